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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code dcs.auth} and {@code dcs.tls}: read into the config, and every mistake named by its key. */
class DcsSecurityConfigTest {
    @TempDir
    Path dir;

    @Test
    void withoutThemThereIsNoAuthenticationAndNoTls() {
        DcsConfig d = ConfigReader.read(valid()).dcs();
        assertThat(d.auth()).isNull();
        assertThat(d.tls()).isNull();
    }

    @Test
    void readsTheDigestCredential() {
        Map<String, Object> doc = valid();
        set(doc, "dcs.auth.username", "pgha");
        set(doc, "dcs.auth.password", "s3cret-enough");
        DcsConfig d = ConfigReader.read(doc).dcs();
        assertThat(d.auth()).isEqualTo(new Credentials("pgha", "s3cret-enough"));
        assertThat(d.toString()).doesNotContain("s3cret-enough");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "dcs.auth.password | s3cret-enough | dcs.auth.username: is required",
                "dcs.auth.username | pgha          | dcs.auth.password: is required",
                "dcs.auth.color    | red           | dcs.auth.username: is required",
            })
    void anIncompleteCredentialNamesTheKey(String key, String value, String error) {
        Map<String, Object> doc = valid();
        set(doc, key, value);
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .isInstanceOf(ConfigException.class)
                .hasMessage(error);
    }

    @Test
    void aUserNameWithAColonOrAShortPasswordIsRefused() {
        Map<String, Object> doc = valid();
        set(doc, "dcs.auth.username", "pg:ha");
        set(doc, "dcs.auth.password", "s3cret-enough");
        assertThatThrownBy(() -> ConfigReader.read(doc)).hasMessageStartingWith("dcs.auth.username: 'pg:ha' must be");
        set(doc, "dcs.auth.username", "pgha");
        set(doc, "dcs.auth.password", "short");
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessageStartingWith("dcs.auth.password: is shorter than 8 characters");
        set(doc, "dcs.auth.password", "s3cret-enough");
        set(doc, "dcs.auth.extra", "x");
        assertThatThrownBy(() -> ConfigReader.read(doc)).hasMessage("dcs.auth.extra: unknown key");
    }

    @Test
    void readsTheTlsStores() throws Exception {
        Path key = Files.writeString(dir.resolve("node.p12"), "x");
        Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
        Map<String, Object> doc = valid();
        set(
                doc,
                "dcs.tls",
                new LinkedHashMap<>(
                        Map.of("keystore", key.toString(), "keystore_password", "kpw", "truststore", ca.toString())));
        DcsConfig.Tls tls = ConfigReader.read(doc).dcs().tls();
        assertThat(tls).isEqualTo(new DcsConfig.Tls(key.toString(), "kpw", ca.toString(), null));
        assertThat(tls.toString()).doesNotContain("kpw");
    }

    @Test
    void anExternalEnsemblesClientMayGoWithoutAKeyStoreButTheEmbeddedOneMayNot() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
        Map<String, Object> doc = valid();
        set(doc, "dcs.tls.truststore", ca.toString());
        assertThat(ConfigReader.read(doc).dcs().tls().keystore()).isNull();
        doc.put(
                "dcs",
                new LinkedHashMap<>(Map.of(
                        "embedded",
                        new LinkedHashMap<>(Map.of(
                                "my_id",
                                1,
                                "data_dir",
                                "/var/lib/pgha/zk",
                                "peers",
                                List.of("1=127.0.0.1:2181:2888:3888"))))));
        set(doc, "dcs.tls.truststore", ca.toString());
        assertThatThrownBy(() -> ConfigReader.read(doc)).hasMessage("dcs.tls.keystore: is required");
    }

    @Test
    void badStoresNameTheKey() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
        Path txt = Files.writeString(dir.resolve("ca.txt"), "x");
        Map<String, Object> doc = valid();
        set(doc, "dcs.tls.truststore", "ca.pem");
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessage("dcs.tls.truststore: 'ca.pem' must be an absolute path");
        set(doc, "dcs.tls.truststore", dir.resolve("missing.pem").toString());
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessageStartingWith("dcs.tls.truststore: '" + dir.resolve("missing.pem")
                        + "' does not exist or is not a readable file");
        set(doc, "dcs.tls.truststore", txt.toString());
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessageContaining("dcs.tls.truststore:")
                .hasMessageContaining("must end in .pem");
        set(doc, "dcs.tls.truststore", ca.toString());
        set(doc, "dcs.tls.keystore_password", "kpw");
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessage("dcs.tls.keystore_password: is given without dcs.tls.keystore");
        Map<String, Object> noTrust = valid();
        set(noTrust, "dcs.tls.keystore", ca.toString());
        assertThatThrownBy(() -> ConfigReader.read(noTrust)).hasMessage("dcs.tls.truststore: is required");
    }

    @Test
    void aStandaloneRouterReadsThemToo() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
        Map<String, Object> doc = new LinkedHashMap<>(Map.of("cluster", "main"));
        set(doc, "dcs.zookeeper.connect", "db1:2181");
        set(doc, "dcs.auth.username", "pgha");
        set(doc, "dcs.auth.password", "s3cret-enough");
        set(doc, "dcs.tls.truststore", ca.toString());
        RouterConfig.File f = RouterConfig.File.read(doc, "r1");
        assertThat(f.dcs().auth().username()).isEqualTo("pgha");
        assertThat(f.dcs().tls().truststore()).isEqualTo(ca.toString());
    }
}
