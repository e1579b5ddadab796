package io.pgha.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/** Finds free loopback ports, alone or as a block of consecutive ones. */
public final class FreePorts {
    /**
     * Every port a {@link #block} call handed out in this JVM: nothing listens on them yet when the
     * next block is chosen (a cluster's PostgreSQL, REST and ZooKeeper blocks are picked before any
     * of them starts), so without this two blocks could overlap.
     */
    private static final Set<Integer> GIVEN = ConcurrentHashMap.newKeySet();

    private FreePorts() {}

    public static int one() {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }

    /**
     * The first of {@code count} consecutive free ports in 20000-32000, with every port +100/+200
     * free too if asked. Below the kernel's ephemeral range (32768 and up), so that an outgoing
     * connection cannot take one of them between this check and the server's bind.
     */
    public static synchronized int block(int count, int... offsets) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = 20000 + ThreadLocalRandom.current().nextInt(12000 - 300 - count);
            if (allFree(base, count, offsets)) {
                for (int i = 0; i < count; i++) {
                    GIVEN.add(base + i);
                    for (int o : offsets) GIVEN.add(base + o + i);
                }
                return base;
            }
        }
        throw new IllegalStateException("no block of " + count + " free ports");
    }

    private static boolean allFree(int base, int count, int... offsets) {
        for (int i = 0; i < count; i++) {
            if (GIVEN.contains(base + i) || !free(base + i)) return false;
            for (int o : offsets) if (GIVEN.contains(base + o + i) || !free(base + o + i)) return false;
        }
        return true;
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
