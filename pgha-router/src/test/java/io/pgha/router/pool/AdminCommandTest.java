package io.pgha.router.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.pgha.router.pool.AdminCommand.Verb;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AdminCommandTest {
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "SHOW POOLS|SHOW|POOLS",
                "show pools;|SHOW|POOLS",
                "  Show   Clients ;  |SHOW|CLIENTS",
                "SHOW servers|SHOW|SERVERS",
                "SHOW STATS|SHOW|STATS",
                "SHOW CONFIG|SHOW|CONFIG",
                "SHOW LISTS|SHOW|LISTS",
                "SHOW VERSION|SHOW|VERSION",
                "SHOW HELP|SHOW|HELP",
                "PAUSE|PAUSE|",
                "PAUSE mydb|PAUSE|mydb",
                "pause MyDb;|PAUSE|mydb",
                "PAUSE \"MyDb\"|PAUSE|MyDb",
                "RESUME app-db|RESUME|app-db",
                "RELOAD|RELOAD|",
                "KILL shop|KILL|shop",
                "RECONNECT|RECONNECT|",
                "WAIT_CLOSE shop|WAIT_CLOSE|shop",
            })
    void commands(String text, Verb verb, String argument) throws Exception {
        assertThat(AdminCommand.parse(text)).isEqualTo(new AdminCommand(verb, argument));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "DROP TABLE x|unknown command 'DROP'",
                "SELECT 1|unknown command 'SELECT'",
                "SHOW|SHOW takes one of HELP, POOLS",
                "SHOW TABLES|SHOW 'TABLES' is not known",
                "SHOW POOLS CLIENTS|SHOW takes one of",
                "RELOAD now|RELOAD takes no argument",
                "PAUSE a b|PAUSE takes at most one database",
                "SHOW POOLS; SHOW CLIENTS|one command at a time",
                "PAUSE \"x|unterminated quoted name",
                "PAUSE \"\"|empty quoted name",
                "SHOW 'POOLS'|unexpected character '''",
                "\"SHOW\" POOLS|unknown command",
            })
    void refusedWithTheReason(String text, String message) {
        assertThatThrownBy(() -> AdminCommand.parse(text))
                .isInstanceOf(AdminCommand.Refused.class)
                .hasMessageContaining(message);
    }

    @org.junit.jupiter.api.Test
    void emptyAndTooLong() throws Exception {
        assertThat(AdminCommand.parse("")).isNull();
        assertThat(AdminCommand.parse(" ; ")).isNull();
        assertThatThrownBy(() -> AdminCommand.parse("SHOW " + "x".repeat(2000)))
                .hasMessageContaining("command too long");
        assertThatThrownBy(() -> AdminCommand.parse("PAUSE \u0001")).hasMessageContaining("'\\x01'");
    }

    /** Any text parses to a command or a refusal (never another exception), and a command prints back to itself. */
    @FuzzTest(maxDuration = "30s")
    void parseIsTotal(String text) throws Exception {
        if (text == null) return;
        AdminCommand c;
        try {
            c = AdminCommand.parse(text);
        } catch (AdminCommand.Refused e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        if (c == null) return;
        String again = c.verb() + (c.argument() == null ? "" : " \"" + c.argument() + "\"");
        if (c.verb() == Verb.SHOW) again = "SHOW " + c.argument();
        assertThat(AdminCommand.parse(again)).isEqualTo(c);
    }
}
