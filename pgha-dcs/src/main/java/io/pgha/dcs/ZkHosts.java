package io.pgha.dcs;

import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.utils.ZookeeperFactory;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ConnectStringParser;
import org.apache.zookeeper.client.HostProvider;
import org.apache.zookeeper.client.StaticHostProvider;
import org.apache.zookeeper.client.ZKClientConfig;

/**
 * The servers a pgha ZooKeeper client tries after it lost its server, and how fast. ZooKeeper's own
 * client waits a random 0-1000 ms before every attempt but its very first, and a whole second each
 * time it has tried every server in vain: waits meant to spread the reconnections of thousands of
 * clients. A pgha cluster has a handful, and a primary's agent must renew its lease within a
 * fraction of the ttl (1.25 s at the default 2.5 s). When the ensemble's leader dies, every server
 * drops its clients and elects a new leader (half a second here); the servers that are electing
 * accept a connection and close it at once. With ZooKeeper's waits a client then typically took
 * 1-3 s to land on a serving server, so losing the ZooKeeper leader could stop a healthy primary
 * (seen in the fault campaign: 6 s of writes lost, the lease gone, a new election).
 *
 * <p>This provider goes round the servers in ZooKeeper's (shuffled) order without the random wait
 * ({@link ZkReconnect#arm} before every attempt) and pauses only between rounds: {@value
 * #FIRST_PAUSE_MS} ms after the first round, doubling up to {@value #MAX_PAUSE_MS} ms, so a client
 * finds the new leader's ensemble within about one pause of its serving, while a long outage costs
 * each client a few attempts a second. A connection resets the rounds.
 */
final class ZkHosts implements HostProvider {
    static final long FIRST_PAUSE_MS = 20;
    static final long MAX_PAUSE_MS = 250;

    /** How the provider pauses; tests record instead of sleeping. */
    interface Pause {
        void sleep(long ms) throws InterruptedException;
    }

    private final HostProvider servers;
    private final Pause pause;
    private volatile ZooKeeper owner;
    /** Attempts since the last connection. */
    private int attempts;
    /** Pauses taken between rounds, and their total, since the client started. */
    private final AtomicLong pauses = new AtomicLong();

    private final AtomicLong pausedMs = new AtomicLong();
    /** Attempts sent without ZooKeeper's random wait. */
    private final AtomicLong armed = new AtomicLong();

    ZkHosts(Collection<InetSocketAddress> addresses, Pause pause) {
        this(new StaticHostProvider(addresses), pause);
    }

    ZkHosts(HostProvider servers, Pause pause) {
        this.servers = servers;
        this.pause = pause;
    }

    /** The client whose attempts go out without ZooKeeper's random wait; set once it exists. */
    void owner(ZooKeeper zk) {
        this.owner = zk;
    }

    @Override
    public int size() {
        return servers.size();
    }

    /**
     * The next server to try. ZooKeeper's client asks with a spin delay of 1000 ms, which is
     * ignored: this provider pauses by its own schedule.
     */
    @Override
    public InetSocketAddress next(long spinDelay) {
        long wait;
        synchronized (this) {
            int tried = attempts++;
            int rounds = tried / Math.max(1, servers.size());
            wait = tried > 0 && tried % Math.max(1, servers.size()) == 0 ? pauseAfter(rounds) : 0;
        }
        if (wait > 0) {
            pauses.incrementAndGet();
            pausedMs.addAndGet(wait);
            try {
                pause.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        InetSocketAddress next = servers.next(0);
        ZooKeeper zk = owner;
        if (zk != null && ZkReconnect.arm(zk)) armed.incrementAndGet();
        return next;
    }

    /** The pause after {@code rounds} rounds in vain (1 or more). */
    static long pauseAfter(int rounds) {
        long ms = FIRST_PAUSE_MS << Math.min(rounds - 1, 10);
        return Math.min(ms, MAX_PAUSE_MS);
    }

    @Override
    public void onConnected() {
        synchronized (this) {
            attempts = 0;
        }
        servers.onConnected();
    }

    @Override
    public boolean updateServerList(Collection<InetSocketAddress> serverAddresses, InetSocketAddress currentHost) {
        return servers.updateServerList(serverAddresses, currentHost);
    }

    /** Pauses taken between rounds since the client started (tests). */
    long pauses() {
        return pauses.get();
    }

    /** Attempts that went out without ZooKeeper's random wait (tests). */
    long armed() {
        return armed.get();
    }

    /** The milliseconds of those pauses (tests). */
    long pausedMs() {
        return pausedMs.get();
    }

    /**
     * Curator's way to make its ZooKeeper clients: each one gets a {@link ZkHosts} of the connect
     * string's servers. {@link #last} is the provider of the newest client (one per session).
     */
    static final class Factory implements ZookeeperFactory {
        private volatile ZkHosts last;

        @Override
        public ZooKeeper newZooKeeper(String connectString, int sessionTimeout, Watcher watcher, boolean canBeReadOnly)
                throws Exception {
            return newZooKeeper(connectString, sessionTimeout, watcher, canBeReadOnly, new ZKClientConfig());
        }

        @Override
        public ZooKeeper newZooKeeper(
                String connectString,
                int sessionTimeout,
                Watcher watcher,
                boolean canBeReadOnly,
                ZKClientConfig clientConfig)
                throws Exception {
            ZkHosts hosts = new ZkHosts(new ConnectStringParser(connectString).getServerAddresses(), Thread::sleep);
            ZooKeeper zk = new ZooKeeper(connectString, sessionTimeout, watcher, canBeReadOnly, hosts, clientConfig);
            hosts.owner(zk);
            last = hosts;
            return zk;
        }

        ZkHosts last() {
            return last;
        }
    }
}
