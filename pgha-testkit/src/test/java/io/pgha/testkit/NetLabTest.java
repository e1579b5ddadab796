package io.pgha.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A real lab of namespaces (root only): the client reaches a member through the bridge until the
 * member's cable is pulled, and again once it is back; closing removes every namespace and link.
 * The host has no ping, so reachability is a TCP connection attempt ({@link NetLab#reachable}).
 */
class NetLabTest {
    @Test
    void clientReachesAMemberUntilItIsCutAndCloseRemovesEverything() throws Exception {
        Optional<String> why = NetLab.unavailable();
        assumeTrue(why.isEmpty(), () -> "network namespaces are not available: " + why.orElse(""));
        NetLab lab = NetLab.create(2);
        String bridge = lab.bridge();
        try {
            assertThat(lab.namespace(1)).endsWith("-1").hasSizeLessThanOrEqualTo(15);
            assertThat(lab.address(1)).startsWith("10.213.").endsWith(".1");
            assertThat(lab.subnet()).matches("10\\.213\\.\\d+\\.0/24");
            assertThat(lab.freeAddress()).endsWith(".100");
            assertThat(lab.freeAddress()).endsWith(".101");
            assertThat(lab.run(lab.namespace(1), "ip", "-o", "-4", "addr", "show", "dev", "eth0")
                            .output())
                    .contains(lab.address(1) + "/24");

            assertThat(lab.reachable(lab.clientNamespace(), lab.address(1))).isTrue();
            assertThat(lab.reachable(null, lab.address(2)))
                    .as("from the root namespace through the bridge")
                    .isTrue();
            String mac = lab.run(lab.namespace(1), "cat", "/sys/class/net/eth0/address")
                    .output()
                    .strip();
            assertThat(lab.neighbours(lab.clientNamespace())).containsEntry(lab.address(1), mac);

            lab.cut(1);
            assertThat(lab.reachable(lab.clientNamespace(), lab.address(1))).isFalse();
            assertThat(lab.reachable(lab.clientNamespace(), lab.address(2))).isTrue();

            lab.restore(1);
            org.awaitility.Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> lab.reachable(lab.clientNamespace(), lab.address(1)));

            // something left running in a namespace is killed on close
            lab.run(lab.namespace(2), "bash", "-c", "sleep 600 >/dev/null 2>&1 &");
            assertThat(lab.run(null, "ip", "netns", "pids", lab.namespace(2)).output())
                    .isNotBlank();
        } finally {
            lab.close();
        }
        lab.close(); // again: nothing to do
        String namespaces =
                NetLab.run(null, Duration.ofSeconds(10), "ip", "netns", "list").output();
        assertThat(namespaces).doesNotContain(lab.namespace(1), lab.namespace(2), lab.clientNamespace());
        assertThat(NetLab.run(null, Duration.ofSeconds(10), "ip", "link", "show", bridge)
                        .ok())
                .isFalse();
        assertThat(NetLab.run(null, Duration.ofSeconds(10), "ip", "route").output())
                .doesNotContain(lab.subnet());
    }
}
