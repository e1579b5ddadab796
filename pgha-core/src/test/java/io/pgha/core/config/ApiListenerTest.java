package io.pgha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST API's TLS, allowlist and timeout keys, and the router API's copy of them. */
class ApiListenerTest {
    @TempDir
    Path dir;

    private NodeConfig.RestApi restapi(Map<String, Object> keys) {
        Map<String, Object> doc = ConfigReaderTest.valid();
        keys.forEach((k, v) -> ConfigReaderTest.set(doc, "restapi." + k, v));
        return ConfigReader.read(doc).restapi();
    }

    private String file(String name) throws Exception {
        return Files.writeString(dir.resolve(name), "-----BEGIN CERTIFICATE-----\n")
                .toString();
    }

    @Test
    void defaultsToPlainHttpFromAnywhereWithAFiveSecondTimeout() {
        NodeConfig.RestApi api = restapi(Map.of());
        assertThat(api.listener()).isEqualTo(ApiListener.PLAIN);
        assertThat(api.url()).startsWith("http://");
    }

    @Test
    void readsTlsAllowlistAndTimeout() throws Exception {
        NodeConfig.RestApi api = restapi(Map.of(
                "certfile",
                file("c.pem"),
                "keyfile",
                file("k.pem"),
                "cafile",
                file("ca.pem"),
                "verify_client",
                "optional",
                "allowlist",
                List.of("10.0.0.0/8", "::1"),
                "request_timeout",
                "3s"));
        ApiListener l = api.listener();
        assertThat(l.tls()).isTrue();
        assertThat(l.verifyClient()).isEqualTo(ApiListener.VerifyClient.OPTIONAL);
        assertThat(l.allowlist()).containsExactly(Cidr.parse("k", "10.0.0.0/8"), Cidr.parse("k", "::1"));
        assertThat(l.requestTimeoutMs()).isEqualTo(3_000);
        assertThat(api.url()).as("members advertise https when TLS is on").startsWith("https://");
    }

    @Test
    void refusesHalfOrUnusableTlsSettingsNamingTheKey() throws Exception {
        String cert = file("c.pem");
        assertThatThrownBy(() -> restapi(Map.of("certfile", cert)))
                .hasMessage("restapi.certfile and restapi.keyfile: give both or neither");
        assertThatThrownBy(() -> restapi(Map.of(
                        "certfile", cert, "keyfile", dir.resolve("missing.pem").toString())))
                .hasMessageStartingWith("restapi.keyfile: ")
                .hasMessageEndingWith("is not a readable file");
        assertThatThrownBy(() -> restapi(Map.of("certfile", "c.pem", "keyfile", cert)))
                .hasMessageStartingWith("restapi.certfile: 'c.pem' must be an absolute path");
        assertThatThrownBy(() -> restapi(Map.of("cafile", cert))).hasMessageStartingWith("restapi.cafile: needs TLS");
        assertThatThrownBy(() -> restapi(Map.of("certfile", cert, "keyfile", cert, "verify_client", "required")))
                .hasMessageStartingWith("restapi.verify_client: required needs restapi.cafile");
        assertThatThrownBy(() ->
                        restapi(Map.of("certfile", cert, "keyfile", cert, "cafile", cert, "verify_client", "maybe")))
                .hasMessage("restapi.verify_client: 'maybe' must be none, optional or required");
    }

    @Test
    void refusesBadNetworksAndTimeouts() {
        assertThatThrownBy(() -> restapi(Map.of("allowlist", List.of("10.0.0.0/8", "office"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("restapi.allowlist: 'office' is not an IP network");
        assertThatThrownBy(() -> restapi(Map.of("allowlist", "10.0.0.0/8")))
                .hasMessage("restapi.allowlist: expected a list");
        assertThatThrownBy(() -> restapi(Map.of("request_timeout", "10ms")))
                .hasMessageStartingWith("restapi.request_timeout: 10 ms");
        assertThatThrownBy(() -> restapi(Map.of("request_timeout", "1h")))
                .hasMessageStartingWith("restapi.request_timeout: ");
    }

    @Test
    void theRouterApiTakesTheSameKeys() {
        Map<String, Object> doc = ConfigReaderTest.valid();
        ConfigReaderTest.set(doc, "router.api.port", 7000);
        ConfigReaderTest.set(doc, "router.api.allowlist", List.of("127.0.0.0/8"));
        ConfigReaderTest.set(doc, "router.api.request_timeout", "2s");
        RouterConfig r = ConfigReader.read(doc).router();
        assertThat(r.apiListener().allowlist()).containsExactly(Cidr.parse("k", "127.0.0.0/8"));
        assertThat(r.apiListener().requestTimeoutMs()).isEqualTo(2_000);
        ConfigReaderTest.set(doc, "router.api.verify_client", "required");
        assertThatThrownBy(() -> ConfigReader.read(doc))
                .hasMessageStartingWith("router.api.verify_client: required needs router.api.cafile");
    }
}
