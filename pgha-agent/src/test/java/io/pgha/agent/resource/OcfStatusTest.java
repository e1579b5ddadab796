package io.pgha.agent.resource;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.agent.resource.OcfStatus.Severity;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OcfStatusTest {
    @ParameterizedTest
    @CsvSource({
        "0, SUCCESS, true, false, NONE",
        "1, ERR_GENERIC, false, true, SOFT",
        "2, ERR_ARGS, false, true, HARD",
        "3, ERR_UNIMPLEMENTED, false, true, HARD",
        "4, ERR_PERM, false, true, HARD",
        "5, ERR_INSTALLED, false, true, HARD",
        "6, ERR_CONFIGURED, false, true, FATAL",
        "7, NOT_RUNNING, false, false, NONE",
        "8, RUNNING_PROMOTED, true, false, NONE",
        "9, FAILED_PROMOTED, false, true, SOFT",
        "190, DEGRADED, true, false, NONE",
        "191, DEGRADED_PROMOTED, true, false, NONE",
        "10, UNKNOWN, false, true, SOFT",
        "42, UNKNOWN, false, true, SOFT",
        "255, UNKNOWN, false, true, SOFT",
        "-1, UNKNOWN, false, true, SOFT",
        "-2, UNKNOWN, false, true, SOFT",
    })
    void exitCodesMapToStatusRunningFailedAndSeverity(
            int code, OcfStatus status, boolean running, boolean failed, Severity severity) {
        assertThat(OcfStatus.of(code)).isEqualTo(status);
        assertThat(status.running()).isEqualTo(running);
        assertThat(status.failed()).isEqualTo(failed);
        assertThat(status.severity()).isEqualTo(severity);
    }

    @ParameterizedTest
    @CsvSource({"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "190", "191"})
    void everyDefinedCodeRoundTrips(int code) {
        assertThat(OcfStatus.of(code).code()).isEqualTo(code);
    }

    @ParameterizedTest
    @CsvSource({"TIMEOUT, SOFT", "UNKNOWN, SOFT"})
    void aTimeoutIsASoftFailureWithoutAnExitCode(OcfStatus status, Severity severity) {
        assertThat(status.code()).isNegative();
        assertThat(status.failed()).isTrue();
        assertThat(status.severity()).isEqualTo(severity);
        assertThat(status.running()).isFalse();
    }

    @ParameterizedTest
    @CsvSource({"RUNNING_PROMOTED, true", "DEGRADED_PROMOTED, true", "FAILED_PROMOTED, true", "SUCCESS, false"})
    void promotedRoles(OcfStatus status, boolean promoted) {
        assertThat(status.promoted()).isEqualTo(promoted);
    }
}
