package io.pgha.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

    @ParameterizedTest
    @CsvSource({
        "10.0.0.0/8,      10.255.1.2,  true",
        "10.0.0.0/8,      11.0.0.1,    false",
        "192.168.4.0/22,  192.168.7.9, true",
        "192.168.4.0/22,  192.168.8.1, false",
        "192.0.2.7,       192.0.2.7,   true",
        "192.0.2.7,       192.0.2.8,   false",
        "0.0.0.0/0,       203.0.113.1, true",
        "0.0.0.0/0,       ::1,         false",
        "fd00::/8,        fd12::1,     true",
        "fd00::/8,        fe80::1,     false",
        "::1,             ::1,         true",
        "::/0,            127.0.0.1,   false",
    })
    void containsExactlyTheAddressesOfItsNetwork(String network, String address, boolean inside) throws Exception {
        assertThat(Cidr.parse("k", network).contains(InetAddress.getByName(address)))
                .isEqualTo(inside);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "localhost",
                "db1.example.com",
                "10.0.0.0/33",
                "fd00::/129",
                "10.0.0/8",
                "300.1.1.1",
                "10.0.0.0/x",
                "",
                "/8",
                "fe80::1%eth0"
            })
    void refusesAnythingButALiteralNetworkNamingTheKey(String text) {
        assertThatThrownBy(() -> Cidr.parse("restapi.allowlist", text))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("restapi.allowlist: '" + text + "' is not an IP network");
    }

    @Test
    void hostBitsBelowThePrefixAreATypo() {
        assertThatThrownBy(() -> Cidr.parse("restapi.allowlist", "10.1.2.3/8"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("did you mean 10.0.0.0/8?");
    }

    @Test
    void showsItselfAsWritten() {
        assertThat(Cidr.parse("k", "10.0.0.0/8")).hasToString("10.0.0.0/8").isEqualTo(Cidr.parse("k", " 10.0.0.0/8 "));
        assertThat(Cidr.parse("k", "fd00::/8")).hasToString("fd00:0:0:0:0:0:0:0/8");
    }
}
