package io.pgha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.model.DynamicConfig;
import io.pgha.core.resource.Fencing;
import io.pgha.core.resource.ResourceSpec;
import io.pgha.core.resource.Score;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The resource settings: what is accepted, the errors that name the key, and the round trip. */
class ResourceSettingsTest {

    private static DynamicConfig apply(String key, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(key, value);
        return DynamicSettings.apply(DynamicConfig.DEFAULT, m);
    }

    @Test
    void aFullConfigParsesAndSurvivesTheRoundTrip() {
        Map<String, Object> vip = new LinkedHashMap<>();
        vip.put("kind", "ip");
        vip.put("address", "10.0.0.100/24");
        vip.put("interface", "eth0");
        vip.put("up_script", "/etc/ucarp/up.sh");
        vip.put("monitor", Map.of("interval", "2s", "timeout", "5s"));
        vip.put(
                "location",
                List.of(Map.of("node", "n1", "score", "INFINITY"), Map.of("tag", "nofailover", "score", -100)));
        vip.put("critical", true);
        Map<String, Object> app = Map.of(
                "kind",
                "script",
                "path",
                "/usr/local/bin/app",
                "with",
                "every",
                "after",
                List.of("vip"),
                "failure_timeout",
                "10m",
                "migration_threshold",
                5);
        Map<String, Object> fs = Map.of(
                "kind",
                "ocf",
                "agent",
                "ocf:heartbeat:Filesystem",
                "params",
                Map.of("device", "/dev/sdb1", "directory", "/srv", "fstype", "ext4"),
                "order",
                "before-promote");
        Map<String, Object> resources = new LinkedHashMap<>();
        resources.put("vip", vip);
        resources.put("app", app);
        resources.put("fs", fs);
        Map<String, Object> fencing = Map.of(
                "mode", "required",
                "devices",
                        Map.of(
                                "ipmi",
                                        Map.of(
                                                "agent",
                                                "/usr/sbin/fence_ipmilan",
                                                "options",
                                                Map.of("ip", "10.0.0.5", "passwd_script", "/etc/pgha/pw"),
                                                "plugs",
                                                Map.of("n1", "1")),
                                "pdu", Map.of("agent", "/usr/sbin/fence_apc", "action", "reboot", "timeout", "20s")),
                "levels", List.of(List.of("ipmi"), "pdu"));
        Map<String, Object> changes = new LinkedHashMap<>();
        changes.put("resources", resources);
        changes.put("fencing", fencing);
        changes.put("maintenance", List.of("n3"));
        changes.put(
                "primary_placement", Map.of("location", List.of(Map.of("node", "n1", "score", 100)), "stickiness", 10));
        DynamicConfig c = DynamicSettings.apply(DynamicConfig.DEFAULT, changes);

        ResourceSpec v = c.resources().resources().get("vip");
        assertThat(v.kind()).isEqualTo(ResourceSpec.Kind.IP);
        assertThat(v.params()).containsEntry("address", "10.0.0.100/24").containsEntry("interface", "eth0");
        assertThat(v.monitorIntervalMs()).isEqualTo(2000);
        assertThat(v.location().get(0).score()).isEqualTo(Score.PLUS_INFINITY);
        assertThat(c.resources().resources().get("app").with()).isEqualTo(ResourceSpec.With.EVERY);
        assertThat(c.resources().resources().get("fs").order()).isEqualTo(ResourceSpec.RoleOrder.BEFORE_PROMOTE);
        assertThat(c.resources().fencing().mode()).isEqualTo(Fencing.Mode.REQUIRED);
        assertThat(c.resources().fencing().levelsFor("n1")).hasSize(2);
        assertThat(c.resources().fencing().devices().get("ipmi").plug("n1")).isEqualTo("1");
        assertThat(c.resources().maintenance()).containsExactly("n3");
        assertThat(c.resources().primaryPlacement().stickiness().value()).isEqualTo(10);

        // what toMap writes, apply reads back to the same config
        Map<String, Object> written = new LinkedHashMap<>(ResourceSettings.toMap(c.resources()));
        assertThat(DynamicSettings.apply(DynamicConfig.DEFAULT, written)).isEqualTo(c);
        assertThat(DynamicSettings.toMap(c)).containsKeys("resources", "fencing", "maintenance", "primary_placement");
    }

    static Stream<Arguments> bad() {
        return Stream.of(
                Arguments.of(
                        Map.of("v", Map.of("kind", "vip")), "resources.v.kind: 'vip' is not one of ip, ocf, script"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "ip")),
                        "resources.v.address: is required for an ip resource (e.g. 10.0.0.100/24)"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "ip", "address", "10.0.0.1/24", "params", Map.of("nic", "eth0"))),
                        "resources.v.params: an ip resource takes address, interface, label and arp_count directly, not params"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "ip", "address", "10.0.0.300/24")),
                        "resources.v.address: '10.0.0.300/24' is not an IPv4 or IPv6 address"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "ip", "address", "10.0.0.3/33")),
                        "resources.v.address: /33 is not an IPv4 prefix length (0-32)"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "ip", "address", "fd00::1/64x")),
                        "resources.v.address: 'fd00::1/64x' has no valid prefix length after '/'"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "ocf", "agent", "heartbeat/IPaddr2")),
                        "resources.v.agent: 'heartbeat/IPaddr2' is not ocf:PROVIDER:TYPE (e.g. ocf:heartbeat:IPaddr2)"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "ocf", "agent", "ocf:../x:IPaddr2")),
                        "resources.v.agent: 'ocf:../x:IPaddr2' is not ocf:PROVIDER:TYPE (e.g. ocf:heartbeat:IPaddr2)"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "script", "path", "bin/x")),
                        "resources.v.path: 'bin/x' is not an absolute path"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "script", "path", "/bin/x", "with", "master-slave")),
                        "resources.v.with: 'master-slave' is not one of primary, standby, standbys, every, any"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "script", "path", "/bin/x", "with", "standby", "critical", true)),
                        "resources.v.critical: only a resource with: primary can be critical (it moves the primary role)"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "script", "path", "/bin/x", "after", List.of("w"))),
                        "resources.v.after: 'w' is not a resource (known: v)"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "script", "path", "/bin/x", "colour", "red")),
                        "resources.v.colour: unknown key"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "script", "path", "/bin/x", "params", Map.of("1x", "y"))),
                        "resources.v.params.1x: a parameter name must be letters, digits and '_', not starting with a digit"),
                Arguments.of(
                        Map.of(
                                "v",
                                Map.of("kind", "script", "path", "/bin/x", "location", List.of(Map.of("node", "n1")))),
                        "resources.v.location[0].score: is required"),
                Arguments.of(
                        Map.of(
                                "v",
                                Map.of(
                                        "kind",
                                        "script",
                                        "path",
                                        "/bin/x",
                                        "location",
                                        List.of(Map.of("node", "n1", "score", "lots")))),
                        "resources.v.location[0].score: 'lots' is not a score (a whole number, INFINITY or -INFINITY)"),
                Arguments.of(
                        Map.of(
                                "v",
                                Map.of(
                                        "kind",
                                        "script",
                                        "path",
                                        "/bin/x",
                                        "location",
                                        List.of(Map.of("tag", "fast", "score", 1)))),
                        "resources.v.location[0].tag: 'fast' is not one of [nofailover, noloadbalance, nosync]"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "script", "path", "/bin/x", "order", "before-postgresql")),
                        "resources.v.order: before-postgresql needs with: every (it starts before PostgreSQL on each member)"),
                Arguments.of(
                        Map.of("v", Map.of("kind", "script", "path", "/bin/x", "monitor", Map.of("interval", "10ms"))),
                        "resources.v.monitor.interval: at least 500ms (or 0: never monitor)"),
                Arguments.of(
                        Map.of("v w", Map.of("kind", "script", "path", "/bin/x")),
                        "resources.v w: a resource name must be 1-63 letters, digits, '_', '.' or '-'"));
    }

    @ParameterizedTest
    @MethodSource("bad")
    void badResourcesAreRefusedNamingTheKey(Map<String, Object> resources, String message) {
        assertThatThrownBy(() -> apply("resources", resources))
                .isInstanceOf(ConfigException.class)
                .hasMessage(message);
    }

    @Test
    void onlyAnAgentOnEveryMemberCanBePromotable() {
        assertThatThrownBy(() -> apply(
                        "resources",
                        Map.of("d", Map.of("kind", "ocf", "agent", "ocf:linbit:drbd", "promotable", true))))
                .hasMessage(
                        "resources.d.promotable: needs with: every (started on every member, promoted on the primary)");
        assertThatThrownBy(() -> apply(
                        "resources",
                        Map.of(
                                "d",
                                Map.of("kind", "ip", "address", "10.0.0.1/24", "with", "every", "promotable", true))))
                .hasMessage("resources.d.promotable: only an ocf agent or an OCF-style script can be promoted");
        assertThat(apply(
                                "resources",
                                Map.of(
                                        "d",
                                        Map.of(
                                                "kind",
                                                "ocf",
                                                "agent",
                                                "ocf:linbit:drbd",
                                                "with",
                                                "every",
                                                "promotable",
                                                true)))
                        .resources()
                        .resources()
                        .get("d")
                        .promotable())
                .isTrue();
    }

    @Test
    void cyclesInOrderingAreRefused() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("a", Map.of("kind", "script", "path", "/bin/a", "after", List.of("b")));
        r.put("b", Map.of("kind", "script", "path", "/bin/b", "after", List.of("a")));
        assertThatThrownBy(() -> apply("resources", r))
                .hasMessage("resources: the after: constraints form a cycle: a -> b -> a");
    }

    @Test
    void badFencingIsRefused() {
        assertThatThrownBy(() -> apply("fencing", Map.of("mode", "sometimes")))
                .hasMessage("fencing.mode: 'sometimes' is not one of required, when-unknown, off");
        assertThatThrownBy(() -> apply("fencing", Map.of("mode", "required")))
                .hasMessage("fencing.devices: fencing mode required needs at least one device");
        assertThatThrownBy(() -> apply(
                        "fencing",
                        Map.of(
                                "mode",
                                "required",
                                "devices",
                                Map.of("d", Map.of("agent", "/x")),
                                "levels",
                                List.of("e"))))
                .hasMessage("fencing.levels[0]: 'e' is not a device (known: d)");
        assertThatThrownBy(() -> apply(
                        "fencing",
                        Map.of("devices", Map.of("d", Map.of("agent", "/x", "options", Map.of("action", "on"))))))
                .hasMessage("fencing.devices.d.options.action: is set by pgha (use the device's action and plugs)");
        assertThatThrownBy(() -> apply("maintenance", List.of("bad name")))
                .hasMessage("maintenance: 'bad name' is not a member name");
    }
}
