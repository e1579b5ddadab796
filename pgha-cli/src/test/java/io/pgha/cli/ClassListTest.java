package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * packaging/pgha.classlist, from which the launchers make the class data archive, still describes
 * this code: most pgha classes it names exist, and it names those every command and agent loads
 * first. A list gone stale makes no error, only slower starts; this test says when to run
 * packaging/classlist.sh again.
 */
class ClassListTest {
    private static final Path LIST = Path.of("..", "packaging", "pgha.classlist");

    @Test
    void theListNamesClassesThatExist() throws Exception {
        List<String> pgha = Files.readAllLines(LIST).stream()
                .filter(l -> l.startsWith("io/pgha/"))
                .map(l -> l.split(" ")[0].replace('/', '.'))
                .toList();
        assertThat(pgha).as("pgha classes in " + LIST).hasSizeGreaterThan(200);
        long gone = pgha.stream().filter(c -> !exists(c)).count();
        assertThat(gone)
                .as("classes named in " + LIST + " that are gone; run packaging/classlist.sh")
                .isLessThan(pgha.size() / 10);
        assertThat(pgha)
                .contains(
                        "io.pgha.cli.Main",
                        "io.pgha.cli.LogDefaults",
                        "io.pgha.cli.AgentCommand",
                        "io.pgha.cli.ListCommand",
                        "io.pgha.agent.Agent");
    }

    private static boolean exists(String name) {
        try {
            Class.forName(name, false, ClassListTest.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
