package io.pgha.dcs;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes out the random wait of up to 1 s before a ZooKeeper client's attempt to reach a server.
 * ZooKeeper's client sleeps a random 0-1000 ms before every connection attempt but its very first,
 * to spread the reconnections of many clients. A pgha cluster has a handful of clients, and a
 * primary's agent that lost its server (a ZooKeeper peer that died with its node, or the ensemble's
 * leader, after which every server drops its clients) must renew its lease within a fraction of the
 * ttl: at ttl 2.5 s that is 1.25 s, which two or three such waits use up.
 *
 * <p>The client skips the wait while its {@code isFirstConnect} flag is set, and clears the flag as
 * soon as a connection to a server is established ({@code ClientCnxn.SendThread.primeConnection}).
 * {@link ZkHosts} sets it again right before every attempt, on the client's own thread, and paces
 * the attempts itself.
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
     * Makes the next connection attempt of {@code zk}'s client go out without the random wait; true
     * when it could.
     */
    static boolean arm(ZooKeeper zk) {
        Object thread = sendThread(zk);
        if (thread == null) return false;
        FIRST_CONNECT.setVolatile(thread, true);
        return true;
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
