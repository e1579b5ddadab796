package io.pgha.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.Tags;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPortTest {
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "db1:5432|db1|5432|db1:5432",
                "10.0.0.1:2181|10.0.0.1|2181|10.0.0.1:2181",
                "[::1]:2181|::1|2181|[::1]:2181",
                "[fd00::1:2]:8008|fd00::1:2|8008|[fd00::1:2]:8008",
                "[::1]|::1|2181|[::1]:2181",
                "zk1|zk1|2181|zk1:2181"
            })
    void parsesAndPrintsHostAndPort(String text, String host, int port, String printed) {
        HostPort hp = HostPort.parse(text, 2181);
        assertThat(hp.host()).isEqualTo(host);
        assertThat(hp.port()).isEqualTo(port);
        assertThat(hp).hasToString(printed);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "::1:2181|write an IPv6 address in brackets",
                "[::1]2181|expected ':port' after ']'",
                "[db1]:5432|only IPv6 literals go in brackets",
                ":5432|has no host",
                "db1:0|port 0 is not a TCP port",
                "db1:99999999999|port '99999999999' is not a number",
                "db1:-1|port '-1' is not a number"
            })
    void refusesWhatItCannotReadUnambiguously(String text, String message) {
        assertThatThrownBy(() -> HostPort.parse(text, 2181))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {"::1|[::1]:5432", "[::1]|[::1]:5432", "db1|db1:5432", "10.0.0.1|10.0.0.1:5432"})
    void aMemberAddressBracketsIpv6(String host, String address) {
        Member m = new Member(
                "db1",
                "http://x",
                host,
                5432,
                Role.STANDBY,
                MemberState.RUNNING,
                1,
                Lsn.ZERO,
                Lsn.ZERO,
                null,
                false,
                Tags.NONE,
                "",
                0);
        assertThat(m.address()).isEqualTo(address);
        assertThat(HostPort.join(host, 8008)).isEqualTo(address.replace("5432", "8008"));
    }
}
