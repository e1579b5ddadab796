package io.pgha.dcs;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes out the random wait of up to 1 s before a ZooKeeper client's first attempt to reach another
 * server after it lost the one it was connected to. ZooKeeper's client sleeps a random 0-1000 ms
 * before every connection attempt but its very first, to spread the reconnects of many clients. A
 * pgha cluster has a handful of clients, and a primary's agent that lost its server (a ZooKeeper
 * peer that died with its node, or was restarted) must renew its lease within three quarters of the
 * lease's validity: at ttl 2.5 s that is 1.25 s, of which the wait took 0.5 s on average and up to
 * all of it, so losing one server of three could stop a healthy primary.
 *
 * <p>The client skips the wait while its {@code isFirstConnect} flag is set, and clears the flag as
 * soon as a connection to a server is established ({@code ClientCnxn.SendThread.primeConnection}).
 * {@link #arm} sets it again once a session is (re)established, so the next loss of the server is
 * followed by an immediate attempt on the next one. Attempts after that first one keep the wait:
 * a server that accepts the connection and then drops it (one that is electing a leader) still
 * costs a random wait, and a client that went round every server waits 1 s before the next round.
 *
 * <p>The flag is private to ZooKeeper's client (3.5 to 3.9): it is reached by reflection. When that
 * is not possible (another ZooKeeper version), {@link #arm} does nothing and says so once.
 */
final class ZkReconnect {
    private static final Logger LOG = LoggerFactory.getLogger(ZkReconnect.class);
    private static final Field CNXN;
    private static final Field SEND_THREAD;
    private static final VarHandle FIRST_CONNECT;

    static {
        Field cnxn = null;
        Field sendThread = null;
        VarHandle first = null;
        try {
            cnxn = ZooKeeper.class.getDeclaredField("cnxn");
            cnxn.setAccessible(true);
            Class<?> clientCnxn = Class.forName("org.apache.zookeeper.ClientCnxn");
            sendThread = clientCnxn.getDeclaredField("sendThread");
            sendThread.setAccessible(true);
            Class<?> send = Class.forName("org.apache.zookeeper.ClientCnxn$SendThread");
            first = MethodHandles.privateLookupIn(send, MethodHandles.lookup())
                    .findVarHandle(send, "isFirstConnect", boolean.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("ZooKeeper's client has no isFirstConnect flag to reach", e);
            cnxn = null;
            sendThread = null;
            first = null;
        }
        CNXN = cnxn;
        SEND_THREAD = sendThread;
        FIRST_CONNECT = first;
    }

    private static volatile boolean warned;

    private ZkReconnect() {}

    /**
     * Makes the next connection attempt of {@code zk}'s client, after it loses its server, go out at
     * once; true when it could.
     */
    static boolean arm(ZooKeeper zk) {
        Object thread = sendThread(zk);
        if (thread == null) return false;
        FIRST_CONNECT.setVolatile(thread, true);
        return true;
    }

    /** True when {@code zk}'s next reconnect goes out without the random wait (tests). */
    static boolean armed(ZooKeeper zk) {
        Object thread = sendThread(zk);
        return thread != null && (boolean) FIRST_CONNECT.getVolatile(thread);
    }

    private static Object sendThread(ZooKeeper zk) {
        if (FIRST_CONNECT == null || zk == null) {
            if (FIRST_CONNECT == null && !warned) {
                warned = true;
                LOG.warn("this ZooKeeper client has no isFirstConnect flag: after losing its server it waits up to"
                        + " 1 s before it tries the next one, which takes that much from the leader's lease");
            }
            return null;
        }
        try {
            return SEND_THREAD.get(CNXN.get(zk));
        } catch (IllegalAccessException | RuntimeException e) {
            return null;
        }
    }
}
