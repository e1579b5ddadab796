package io.pgha.dcs;

import io.etcd.jetcd.Client;
import io.grpc.ManagedChannel;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts short gRPC's reconnect backoff in a jetcd client. A gRPC channel that failed to connect to a
 * server waits before it tries again, 1 s and then 1.6 times longer after each failure: after an
 * etcd member, or all of them, or the network to them, were gone for a few seconds, the client goes
 * on refusing every call ("UNAVAILABLE: Network closed") for seconds after the servers are back.
 * That is longer than a leader lease. {@link #reset()} makes every server the channel is not
 * connected to be tried again now; {@link EtcdDcs} calls it when a call failed for want of a
 * server, at most every {@link #MIN_INTERVAL_MS}.
 *
 * <p>jetcd does not expose its channel: it is read from jetcd's client by reflection (jetcd 0.8's
 * {@code ClientImpl.connectionManager.getChannel()}). When that is not possible (another jetcd
 * version), {@link #reset()} does nothing and says so once.
 */
final class ConnectBackoff {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectBackoff.class);
    static final long MIN_INTERVAL_MS = 100;

    private final Client client;
    private final AtomicLong lastNanos = new AtomicLong(System.nanoTime() - MIN_INTERVAL_MS * 1_000_000);
    private volatile ManagedChannel channel;
    private volatile boolean unavailable;

    ConnectBackoff(Client client) {
        this.client = client;
    }

    /** Makes the channel try every server it is not connected to now; true when it could. */
    boolean reset() {
        long now = System.nanoTime();
        long last = lastNanos.get();
        if (now - last < MIN_INTERVAL_MS * 1_000_000 || !lastNanos.compareAndSet(last, now)) return true;
        ManagedChannel c = channel();
        if (c == null) return false;
        c.resetConnectBackoff();
        return true;
    }

    private ManagedChannel channel() {
        ManagedChannel c = channel;
        if (c != null || unavailable) return c;
        try {
            Field manager = client.getClass().getDeclaredField("connectionManager");
            manager.setAccessible(true);
            Object m = manager.get(client);
            Method get = m.getClass().getDeclaredMethod("getChannel");
            get.setAccessible(true);
            c = (ManagedChannel) get.invoke(m);
            channel = c;
            return c;
        } catch (ReflectiveOperationException | RuntimeException e) {
            unavailable = true;
            LOG.warn(
                    "cannot reach jetcd's gRPC channel ({}): after an etcd outage this client reconnects only"
                            + " on gRPC's own backoff, which can take seconds longer",
                    e.toString());
            return null;
        }
    }
}
