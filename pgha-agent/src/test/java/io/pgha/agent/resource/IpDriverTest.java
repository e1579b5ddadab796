package io.pgha.agent.resource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IpDriverTest {
    @TempDir
    Path dir;

    // ---- no network needed

    @Test
    void badAddressesAreRejectedByValidateWithTheSettingNamed() {
        ActionResult r = new IpDriver("vip", Map.of("address", "10.0.0.300/24")).validate(5000);
        assertThat(r.status()).isEqualTo(OcfStatus.ERR_CONFIGURED);
        assertThat(r.output()).isEqualTo("address: '10.0.0.300/24' is not an IPv4 or IPv6 address");

        assertThat(validate(Map.of("address", "db.example.com/24"))).contains("is not an IPv4 or IPv6 address");
        assertThat(validate(Map.of("address", "10.0.0.5/33"))).contains("address: '10.0.0.5/33' has no valid prefix");
        assertThat(validate(Map.of("address", "fd00::5/129"))).contains("(1 to 128)");
        assertThat(validate(Map.of("address", "10.0.0.5/24", "prefix", "16"))).contains("prefix: 16 disagrees");
        assertThat(validate(Map.of("address", "fd00::5/64", "label", "eth0:x")))
                .contains("label: only IPv4 addresses carry a label");
        assertThat(validate(Map.of("address", "10.0.0.5/24", "interface", "eth0", "label", "eth1:x")))
                .contains("must be the interface name or start with 'eth0:'");
        assertThat(validate(Map.of("address", "10.0.0.5/24", "arp_count", "many")))
                .contains("arp_count: 'many' is not a number");
        assertThat(validate(Map.of())).contains("address: missing");
    }

    private String validate(Map<String, String> params) {
        ActionResult r = new IpDriver("vip", params).validate(5000);
        assertThat(r.status()).isEqualTo(OcfStatus.ERR_CONFIGURED);
        return r.output();
    }

    @Test
    void unknownParametersAreRejectedAtOnce() {
        assertThatThrownBy(() -> new IpDriver("vip", Map.of("adress", "10.0.0.5/24")))
                .hasMessageContaining("unknown parameter 'adress'")
                .hasMessageContaining("address");
    }

    @Test
    void addressesParseToCanonicalForms() {
        assertThat(VirtualIp.parse("fd00:0213:0:0::0100/64", null).toString()).isEqualTo("fd00:213::100/64");
        assertThat(VirtualIp.parse("2001:db8:0:1:0:0:0:1", "64").toString()).isEqualTo("2001:db8:0:1::1/64");
        assertThat(VirtualIp.parse("::1/128", null).toString()).isEqualTo("::1/128");
        assertThat(VirtualIp.parse("10.1.2.3", "8").toString()).isEqualTo("10.1.2.3/8");
        assertThat(VirtualIp.parse("10.1.2.3", null).prefix()).isEqualTo(-1);
        VirtualIp net = VirtualIp.parse("10.213.77.1/24", null);
        assertThat(net.networkContains(VirtualIp.parse("10.213.77.100", null).address()))
                .isTrue();
        assertThat(net.networkContains(VirtualIp.parse("10.213.78.100", null).address()))
                .isFalse();
        assertThat(net.networkContains(VirtualIp.parse("fd00::1", null).address()))
                .isFalse();
        assertThatThrownBy(() -> VirtualIp.parse("::ffff:10.0.0.1/24", null))
                .hasMessageContaining("is not an IPv4 or IPv6 address");
        assertThatThrownBy(() -> VirtualIp.parse("fe80::1%eth0/64", null))
                .hasMessageContaining("is not an IPv4 or IPv6 address");
    }

    @Test
    void ipOutputIsReadLineByLine() {
        String out = """
                1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
                3: d0    inet 10.213.77.100/24 scope global secondary d0:vip\\       valid_lft forever preferred_lft forever
                3: d0    inet6 fd00:213::100/64 scope global nodad \\       valid_lft forever preferred_lft forever
                4: v0@v1    inet6 fe80::1/64 scope link \\       valid_lft forever preferred_lft forever
                """;
        List<IpDriver.IfAddress> a = IpDriver.parseAddresses(out);
        assertThat(a).extracting(IpDriver.IfAddress::iface).containsExactly("lo", "d0", "d0", "v0");
        assertThat(a)
                .extracting(x -> x.ip().toString())
                .containsExactly("127.0.0.1/8", "10.213.77.100/24", "fd00:213::100/64", "fe80::1/64");
    }

    // ---- in a network namespace of the test's own

    @Nested
    class InANamespace {
        private final String ns =
                "pghat-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
        private boolean created;

        private Child.Outcome sh(String... command) {
            return new Child(List.of(command)).run(10_000);
        }

        private void setUp() {
            Child.Outcome add = sh("ip", "netns", "add", ns);
            assumeTrue(
                    add.exited() && add.exitCode() == 0,
                    "cannot create a network namespace (ip netns add: "
                            + add.output().strip() + "); needs root");
            created = true;
            // a dummy interface where the kernel has the module, else a veth pair, both ends inside
            if (sh("ip", "-n", ns, "link", "add", "d0", "type", "dummy").exitCode() != 0) {
                ok(sh("ip", "-n", ns, "link", "add", "d0", "type", "veth", "peer", "name", "d1"));
                ok(sh("ip", "-n", ns, "link", "set", "d1", "up"));
            }
            ok(sh("ip", "-n", ns, "link", "set", "d0", "up"));
            ok(sh("ip", "-n", ns, "addr", "add", "10.213.77.1/24", "dev", "d0"));
            ok(sh("ip", "-n", ns, "addr", "add", "fd00:213::1/64", "dev", "d0", "nodad"));
        }

        private void ok(Child.Outcome o) {
            assertThat(o.exitCode()).as(o.output()).isZero();
        }

        @AfterEach
        void removeNamespace() {
            if (created) sh("ip", "netns", "del", ns);
        }

        private IpDriver driver(Map<String, String> params) {
            return new IpDriver("vip", params, List.of("ip"), List.of("ip", "netns", "exec", ns));
        }

        private String addresses() {
            return sh("ip", "-n", ns, "-o", "addr", "show").output();
        }

        private Path recorder(String name) throws IOException {
            return Scripts.write(dir.resolve(name), "echo \"$@\" >> \"$0.args\"");
        }

        @Test
        void anIpv4AddressComesAndGoesIdempotentlyWithUcarpStyleScripts() throws IOException {
            setUp();
            Path up = recorder("up.sh");
            Path down = recorder("down.sh");
            Map<String, String> p = new HashMap<>(Map.of(
                    "address", "10.213.77.100/24",
                    "interface", "d0",
                    "arp_count", "1",
                    "up_script", up.toString(),
                    "down_script", down.toString()));
            IpDriver vip = driver(p);

            assertThat(vip.validate(10_000).status()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(vip.monitor(10_000).status()).isEqualTo(OcfStatus.NOT_RUNNING);
            ActionResult start = vip.start(10_000);
            assertThat(start.status()).as(start.describe()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(addresses()).contains("inet 10.213.77.100/24");
            assertThat(Scripts.lines(Path.of(up + ".args"))).containsExactly("d0 10.213.77.100");

            ActionResult again = vip.start(10_000);
            assertThat(again.status()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(again.output()).contains("already on d0");
            assertThat(Scripts.lines(Path.of(up + ".args"))).hasSize(1);
            assertThat(vip.monitor(10_000).status()).isEqualTo(OcfStatus.SUCCESS);

            assertThat(vip.stop(10_000).status()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(addresses()).doesNotContain("10.213.77.100").contains("10.213.77.1/24");
            assertThat(Scripts.lines(Path.of(down + ".args"))).containsExactly("d0 10.213.77.100");
            assertThat(vip.monitor(10_000).status()).isEqualTo(OcfStatus.NOT_RUNNING);
            ActionResult stopAgain = vip.stop(10_000);
            assertThat(stopAgain.status()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(stopAgain.output()).contains("not present");
            assertThat(Scripts.lines(Path.of(down + ".args"))).hasSize(1);
        }

        @Test
        void withoutAnInterfaceOrPrefixTheAddressJoinsTheNetworkThatContainsIt() {
            setUp();
            IpDriver vip = driver(Map.of("address", "10.213.77.101", "arp_count", "0", "label", "d0:pg"));
            assertThat(vip.validate(10_000).output()).isEqualTo("10.213.77.101/24 can go on d0");
            ActionResult r = vip.start(10_000);
            assertThat(r.status()).as(r.describe()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(r.output()).isEqualTo("added 10.213.77.101/24 to d0");
            assertThat(addresses()).containsPattern("inet 10\\.213\\.77\\.101/24 .*d0:pg");
            assertThat(vip.monitor(10_000).status()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(vip.stop(10_000).status()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(vip.monitor(10_000).status()).isEqualTo(OcfStatus.NOT_RUNNING);

            ActionResult nowhere = driver(Map.of("address", "10.99.0.5/24")).start(10_000);
            assertThat(nowhere.status()).isEqualTo(OcfStatus.ERR_INSTALLED);
            assertThat(nowhere.output()).isEqualTo("no interface has an address in a network containing 10.99.0.5");
        }

        @Test
        void anIpv6AddressIsUsableAtOnce() {
            setUp();
            IpDriver vip = driver(Map.of("address", "fd00:213::100/64", "interface", "d0", "arp_count", "1"));
            assertThat(vip.monitor(10_000).status()).isEqualTo(OcfStatus.NOT_RUNNING);
            ActionResult r = vip.start(10_000);
            assertThat(r.status()).as(r.describe()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(addresses()).containsPattern("inet6 fd00:213::100/64 .*nodad");
            assertThat(vip.start(10_000).status()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(vip.monitor(10_000).status()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(vip.stop(10_000).status()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(addresses()).doesNotContain("fd00:213::100").contains("fd00:213::1/64");
            assertThat(vip.monitor(10_000).status()).isEqualTo(OcfStatus.NOT_RUNNING);
        }

        @Test
        void aMissingInterfaceIsThisNodesProblemAndNothingToStop() {
            setUp();
            IpDriver vip = driver(Map.of("address", "10.213.77.100/24", "interface", "nope0"));
            ActionResult v = vip.validate(10_000);
            assertThat(v.status()).isEqualTo(OcfStatus.ERR_INSTALLED);
            assertThat(v.output()).isEqualTo("interface nope0 does not exist");
            assertThat(vip.monitor(10_000).status()).isEqualTo(OcfStatus.ERR_INSTALLED);
            assertThat(vip.start(10_000).status()).isEqualTo(OcfStatus.ERR_INSTALLED);
            assertThat(vip.stop(10_000).status()).isEqualTo(OcfStatus.SUCCESS);
        }

        @Test
        void theHeartbeatIPaddr2AgentRunsWithTheEnvironmentOcfDriverGivesIt() {
            assumeTrue(
                    Files.isExecutable(Path.of("/usr/lib/ocf/resource.d/heartbeat/IPaddr2")),
                    "ocf:heartbeat:IPaddr2 is not installed (apt-get install resource-agents)");
            setUp();
            OcfDriver ipaddr2 = new OcfDriver(
                    "vip2",
                    "ocf:heartbeat:IPaddr2",
                    Map.of("ip", "10.213.77.50", "cidr_netmask", "24", "nic", "d0"),
                    OcfDriver.DEFAULT_OCF_ROOT,
                    dir.resolve("rsctmp"),
                    List.of("ip", "netns", "exec", ns));

            assertThat(ipaddr2.validate(20_000).status()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(ipaddr2.monitor(20_000).status()).isEqualTo(OcfStatus.NOT_RUNNING);
            ActionResult start = ipaddr2.start(20_000);
            assertThat(start.status()).as(start.describe()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(addresses()).contains("inet 10.213.77.50/24");
            assertThat(ipaddr2.monitor(20_000, 10_000).status()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(ipaddr2.stop(20_000).status()).isEqualTo(OcfStatus.SUCCESS);
            assertThat(addresses()).doesNotContain("10.213.77.50");
            assertThat(ipaddr2.monitor(20_000).status()).isEqualTo(OcfStatus.NOT_RUNNING);
        }

        @Test
        void aMissingScriptFailsValidation() {
            setUp();
            ActionResult v = driver(Map.of(
                            "address",
                            "10.213.77.100/24",
                            "up_script",
                            dir.resolve("absent.sh").toString()))
                    .validate(10_000);
            assertThat(v.status()).isEqualTo(OcfStatus.ERR_INSTALLED);
            assertThat(v.output()).contains("absent.sh");
            assertThat(Files.exists(dir.resolve("absent.sh"))).isFalse();
        }
    }
}
