package io.pgha.router.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgha.wire.auth.ScramVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthFileTest {
    private static final String VERIFIER = "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
            + "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

    @Test
    void readsPgbouncerUserlists(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("users.txt");
        Files.write(
                f,
                List.of(
                        "; PgBouncer-style comment",
                        "# and a shell-style one",
                        "",
                        "\"alice\" \"" + VERIFIER + "\"",
                        "\"bob\"   \"md553f48b7c4b76a86ce72276c5755f217d\"",
                        "\"carol\" \"plain \"\"quoted\"\" pw\"",
                        "\"with \"\"quote\"\"\" \"x\""));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        Map<String, Secret> users = AuthFile.read(f);
        assertThat(users.keySet()).containsExactly("alice", "bob", "carol", "with \"quote\"");
        assertThat(users.get("alice")).isEqualTo(new Secret.Verifier(ScramVerifier.parse(VERIFIER)));
        assertThat(users.get("bob")).isEqualTo(new Secret.Md5("md553f48b7c4b76a86ce72276c5755f217d"));
        assertThat(users.get("carol")).isEqualTo(new Secret.Plain("plain \"quoted\" pw"));
        assertThat(users.values().toString()).doesNotContain("pw", "md553", "W22Z");
    }

    @Test
    void aFileEveryoneCanReadIsRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("users.txt");
        Files.writeString(f, "\"alice\" \"pw\"\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> AuthFile.read(f))
                .hasMessageContaining("readable by every user")
                .hasMessageContaining("chmod 600");
    }

    @Test
    void aSymbolicLinkIsRefused(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("users.txt");
        Files.writeString(f, "\"alice\" \"pw\"\n");
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
        Path link = Files.createSymbolicLink(dir.resolve("link.txt"), f);
        assertThatThrownBy(() -> AuthFile.read(link)).hasMessageContaining("is a symbolic link");
        assertThat(AuthFile.read(f)).containsOnlyKeys("alice");
    }

    @Test
    void badLinesNameTheirNumberAndNotTheirSecret() {
        assertBad("alice \"pw\"", "users:1: the user name must be in double quotes");
        assertBad("\"alice\" pw", "users:1: the password must be in double quotes");
        assertBad("\"alice\" \"pw", "users:1: the password has no closing double quote");
        assertBad("\"alice\" \"pw\" extra", "users:1: text after the password field");
        assertBad("\"\" \"pw\"", "users:1: an empty user name");
        assertBad("\"a\" \"x\"\n\"a\" \"y\"", "users:2: user a is listed twice");
        assertBad("\"a\" \"SCRAM-SHA-256$4096:c2FsdA==$secretpart\"", "users:1: the password of a: SCRAM verifier");
        assertThatThrownBy(() -> AuthFile.parse("users", List.of("\"alice\" \"sekrit\" junk")))
                .hasMessageNotContaining("sekrit");
    }

    private static void assertBad(String text, String message) {
        assertThatThrownBy(() -> AuthFile.parse("users", List.of(text.split("\n"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
