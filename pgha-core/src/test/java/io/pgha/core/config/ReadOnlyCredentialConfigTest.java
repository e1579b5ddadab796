package io.pgha.core.config;

import static io.pgha.core.config.ConfigReaderTest.set;
import static io.pgha.core.config.ConfigReaderTest.valid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A read-only DCS credential: the agents' {@code dcs.readers}, and the client config that CLI
 * commands read instead of a node's file. Every mistake is named by its key.
 */
class ReadOnlyCredentialConfigTest {
    /** base64 of a SHA-1 hash (20 bytes): what {@code pgha config digest} prints. */
    static final String DIGEST = "YwM/lXgs2W4JXb04LvWCr6W8yRo=";

    @TempDir
    Path dir;

    private static Map<String, Object> withAuth() {
        Map<String, Object> doc = valid();
        set(doc, "dcs.auth.username", "pgha");
        set(doc, "dcs.auth.password", "s3cret-enough");
        return doc;
    }

    private static Map<String, Object> reader(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        return m;
    }

    private static void fails(Map<String, Object> doc, String message) {
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .isInstanceOf(ConfigException.class)
                .hasMessage(message);
    }

    @Test
    void readersByPasswordOrByDigest() {
        Map<String, Object> doc = withAuth();
        set(
                doc,
                "dcs.readers",
                List.of(
                        reader("username", "ops", "password", "ops-password-1"),
                        reader("username", "monitor", "digest", DIGEST),
                        reader("username", "grafana", "digest", "grafana:" + DIGEST)));
        DcsConfig d = ConfigReader.read(doc).dcs();
        assertThat(d.readers())
                .containsExactly(
                        new DcsConfig.Reader("ops", "ops-password-1", null),
                        new DcsConfig.Reader("monitor", null, DIGEST),
                        new DcsConfig.Reader("grafana", null, DIGEST));
        assertThat(d.toString()).doesNotContain("ops-password-1");
        assertThat(ConfigReader.read(withAuth()).dcs().readers()).isEmpty();
        assertThat(d.via("127.0.0.1:2181").readers()).isEqualTo(d.readers());
    }

    @Test
    void badReadersNameTheKey() {
        Map<String, Object> doc = withAuth();
        set(doc, "dcs.readers", "ops");
        fails(doc, "dcs.readers: expected a list of {username, password} or {username, digest}");
        set(doc, "dcs.readers", List.of("ops"));
        fails(doc, "dcs.readers[0]: expected a mapping {username, password} or {username, digest}");
        set(doc, "dcs.readers", List.of(reader("password", "ops-password-1")));
        fails(doc, "dcs.readers[0].username: is required");
        set(doc, "dcs.readers", List.of(reader("username", "o:ps", "password", "ops-password-1")));
        assertThatThrownBy(() -> ConfigReader.read(doc)).hasMessageStartingWith("dcs.readers[0].username: 'o:ps' must");
        set(doc, "dcs.readers", List.of(reader("username", "ops")));
        fails(
                doc,
                "dcs.readers[0]: give either password or digest (pgha config digest ops prints the digest of a"
                        + " password)");
        set(doc, "dcs.readers", List.of(reader("username", "ops", "password", "ops-password-1", "digest", DIGEST)));
        fails(
                doc,
                "dcs.readers[0]: give either password or digest (pgha config digest ops prints the digest of a"
                        + " password)");
        set(doc, "dcs.readers", List.of(reader("username", "ops", "password", "short")));
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessageStartingWith("dcs.readers[0].password: is shorter than 8 characters");
        set(doc, "dcs.readers", List.of(reader("username", "ops", "digest", "not base64!")));
        fails(
                doc,
                "dcs.readers[0].digest: 'not base64!' is not a ZooKeeper digest (base64 of a SHA-1 hash, 28"
                        + " characters, as pgha config digest ops prints it)");
        set(doc, "dcs.readers", List.of(reader("username", "ops", "digest", "c2hvcnQ=")));
        assertThatThrownBy(() -> ConfigReader.read(doc)).hasMessageStartingWith("dcs.readers[0].digest: 'c2hvcnQ='");
        set(doc, "dcs.readers", List.of(reader("username", "ops", "digest", "monitor:" + DIGEST)));
        fails(doc, "dcs.readers[0].digest: is the digest of user 'monitor', not of 'ops'");
        set(doc, "dcs.readers", List.of(reader("username", "ops", "digest", DIGEST, "role", "read")));
        fails(doc, "dcs.readers[0].role: unknown key");
        set(
                doc,
                "dcs.readers",
                List.of(reader("username", "ops", "digest", DIGEST), reader("username", "ops", "digest", DIGEST)));
        fails(doc, "dcs.readers[1].username: 'ops' is given twice");
        set(doc, "dcs.readers", List.of(reader("username", "pgha", "digest", DIGEST)));
        fails(doc, "dcs.readers[0].username: 'pgha' is the user of dcs.auth");
    }

    @Test
    void readersNeedAuthenticationAndZooKeeper() {
        Map<String, Object> open = valid();
        set(open, "dcs.readers", List.of(reader("username", "ops", "digest", DIGEST)));
        fails(
                open,
                "dcs.readers: needs dcs.auth (without it pgha's ZooKeeper nodes are open to everybody, and there is"
                        + " nothing to grant)");
        Map<String, Object> etcd = withAuth();
        ((Map<?, ?>) etcd.get("dcs")).remove("zookeeper");
        set(etcd, "dcs.etcd.endpoints", List.of("10.0.0.1:2379"));
        set(etcd, "dcs.readers", List.of(reader("username", "ops", "digest", DIGEST)));
        assertThatThrownBy(() -> ConfigReader.read(etcd))
                .hasMessageStartingWith("dcs.readers: etcd's read-only users are etcd users")
                .hasMessageContaining("etcdctl role add");
    }

    /** A client config: cluster and dcs only. */
    private static Map<String, Object> client() {
        Map<String, Object> doc = new LinkedHashMap<>(Map.of("cluster", "main"));
        set(doc, "dcs.zookeeper.connect", "zk1:2181,zk2:2181");
        set(doc, "dcs.auth.username", "ops");
        set(doc, "dcs.auth.password", "ops-password-1");
        return doc;
    }

    @Test
    void aClientConfigNeedsOnlyTheClusterAndItsDcs() {
        Map<String, Object> doc = client();
        assertThat(ClientConfig.isClientDocument(doc)).isTrue();
        assertThat(ClientConfig.isClientDocument(valid())).isFalse();
        ClientConfig c = ClientConfig.read(doc);
        assertThat(c.cluster()).isEqualTo("main");
        assertThat(c.isNodeConfig()).isFalse();
        assertThat(c.dcs().connectString()).isEqualTo("zk1:2181,zk2:2181");
        assertThat(c.dcs().auth()).isEqualTo(new Credentials("ops", "ops-password-1"));
        assertThat(c.timing()).isEqualTo(Timing.DEFAULT);
        assertThat(c.superuser()).isNull();
        assertThat(c.restapi()).isNull();

        Map<String, Object> etcd = new LinkedHashMap<>(Map.of("cluster", "main"));
        set(etcd, "dcs.etcd.endpoints", "10.0.0.1:2379");
        assertThat(ClientConfig.read(etcd).timing().ttlMs()).isEqualTo(Timing.DEFAULT_ETCD_TTL_MS);
    }

    @Test
    void aClientConfigMayCarryTheRestApiAndSuperuserCredentials() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
        Map<String, Object> doc = client();
        set(doc, "restapi.authentication.username", "admin");
        set(doc, "restapi.authentication.password", "api-secret");
        set(doc, "restapi.cafile", ca.toString());
        set(doc, "postgresql.authentication.superuser.password", "pg-secret");
        ClientConfig c = ClientConfig.read(doc);
        assertThat(c.restapi().auth()).isEqualTo(new Credentials("admin", "api-secret"));
        assertThat(c.restapi().tls().caFile()).isEqualTo(ca.toString());
        assertThat(c.restapi().tls().verifyClient()).isEqualTo(ApiListener.VerifyClient.NONE);
        assertThat(c.superuser()).isEqualTo(new Credentials("postgres", "pg-secret"));
    }

    @Test
    void aClientConfigsMistakesNameTheKey() throws Exception {
        Map<String, Object> doc = client();
        doc.put("timing", Map.of("ttl", "3s"));
        assertThatThrownBy(() -> ClientConfig.read(doc))
                .hasMessageStartingWith(
                        "timing: not a key of a client config (it has cluster, dcs, restapi and" + " postgresql");
        doc.remove("timing");
        doc.remove("cluster");
        assertThatThrownBy(() -> ClientConfig.read(doc)).hasMessage("cluster: is required");
        doc.put("cluster", "main");
        set(doc, "dcs.readers", List.of(reader("username", "x", "digest", DIGEST)));
        assertThatThrownBy(() -> ClientConfig.read(doc))
                .hasMessageStartingWith("dcs.readers: belongs in the agents' node configs");
        ((Map<?, ?>) doc.get("dcs")).remove("readers");
        set(doc, "postgresql.port", 5432);
        assertThatThrownBy(() -> ClientConfig.read(doc)).hasMessage("postgresql.port: unknown key");
        doc.remove("postgresql");
        set(
                doc,
                "restapi.certfile",
                Files.writeString(dir.resolve("c.pem"), "x").toString());
        assertThatThrownBy(() -> ClientConfig.read(doc))
                .hasMessage("restapi.certfile and restapi.keyfile: give both or neither");
        doc.remove("restapi");
        set(doc, "restapi.port", 8008);
        assertThatThrownBy(() -> ClientConfig.read(doc)).hasMessage("restapi.port: unknown key");
        doc.remove("restapi");
        set(doc, "dcs.auth.password", "short");
        assertThatThrownBy(() -> ClientConfig.read(doc))
                .hasMessageStartingWith("dcs.auth.password: is shorter than 8 characters");

        Map<String, Object> embedded = new LinkedHashMap<>(Map.of("cluster", "main"));
        set(embedded, "dcs.embedded.my_id", 1);
        assertThatThrownBy(() -> ClientConfig.read(embedded))
                .hasMessageStartingWith("dcs.embedded: a client joins no ensemble");
    }
}
