package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * PostgreSQL 15 servers that pgha does not manage, for the archive tests: run as the postgres OS
 * user, with the packaged pgha.jar in a directory that user can read (sockets and logs go there
 * too). {@link #stopAll} stops every server this started.
 */
final class PlainPostgres {
    static final String BIN = "/usr/lib/postgresql/15/bin/";
    private final Path dir;
    private final List<Path> running = new ArrayList<>();

    private PlainPostgres(Path dir) {
        this.dir = dir;
    }

    /** A new directory (0755, given to postgres) holding pgha.jar and the named subdirectories. */
    static PlainPostgres in(String prefix, String... subdirs) throws Exception {
        Path dir = Files.createTempDirectory(prefix);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.copy(Path.of("target", "pgha.jar"), dir.resolve("pgha.jar"), StandardCopyOption.REPLACE_EXISTING);
        for (String s : subdirs) Files.createDirectories(dir.resolve(s));
        if ("root".equals(System.getProperty("user.name"))) {
            new ProcessBuilder("chown", "-R", "postgres:", dir.toString())
                    .inheritIO()
                    .start()
                    .waitFor(30, TimeUnit.SECONDS);
        }
        return new PlainPostgres(dir);
    }

    Path dir() {
        return dir;
    }

    /**
     * Puts {@code lines} before the rules of {@code data}'s pg_hba.conf, in place: the file keeps
     * its owner (postgres) and mode, and a symlink there is refused, not followed (the directory
     * belongs to postgres while the test may run as root).
     */
    static void prependHba(Path data, String lines) throws java.io.IOException {
        Path hba = data.resolve("pg_hba.conf");
        String before;
        try (var in = Files.newInputStream(hba, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            before = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        try (var out = Files.newOutputStream(
                hba,
                java.nio.file.LinkOption.NOFOLLOW_LINKS,
                java.nio.file.StandardOpenOption.WRITE,
                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write((lines + before).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /** Runs a command as postgres (when the test runs as root) and fails the test unless it exits 0. */
    static String asPostgres(String... cmd) throws Exception {
        List<String> c = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name")))
            c.addAll(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"));
        c.addAll(List.of(cmd));
        Process p = new ProcessBuilder(c).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ":\n" + out).isZero();
        return out;
    }

    /** The shell command that runs the packaged pgha with {@code args}, as archive_command and restore_command do. */
    String pgha(String args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return "'" + java + "' -Xmx64m -XX:TieredStopAtLevel=1 -jar '" + dir.resolve("pgha.jar") + "' " + args;
    }

    /** initdb with 1 MB WAL segments, so tests fill segments quickly. */
    void initdb(Path data) throws Exception {
        asPostgres(BIN + "initdb", "-D", data.toString(), "-U", "postgres", "-A", "trust", "--wal-segsize=1");
    }

    /**
     * Starts PostgreSQL on {@code data} with {@code settings} (name, value pairs) appended to its
     * postgresql.conf; {@code wait}: until it accepts connections (not for a server that recovers to
     * a target and pauses). The log is DIR/NAME.log.
     */
    void start(Path data, int port, boolean wait, String... settings) throws Exception {
        StringBuilder conf = new StringBuilder(
                "\nport = " + port + "\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '" + dir + "'\n");
        for (int i = 0; i < settings.length; i += 2)
            conf.append(settings[i])
                    .append(" = '")
                    .append(settings[i + 1].replace("'", "''"))
                    .append("'\n");
        Files.writeString(data.resolve("postgresql.conf"), conf.toString(), StandardOpenOption.APPEND);
        running.add(data);
        List<String> cmd = new ArrayList<>(
                List.of(BIN + "pg_ctl", "-D", data.toString(), "-l", log(data).toString()));
        cmd.add(wait ? "-w" : "-W");
        cmd.add("start");
        asPostgres(cmd.toArray(String[]::new));
    }

    Path log(Path data) {
        return dir.resolve(data.getFileName() + ".log");
    }

    void stop(Path data) throws Exception {
        asPostgres(BIN + "pg_ctl", "-D", data.toString(), "-m", "immediate", "-w", "stop");
        running.remove(data);
    }

    /** Stops every server this started (reporting, not throwing), then removes the directory. */
    void stopAll() throws Exception {
        for (Path d : new ArrayList<>(running)) {
            try {
                stop(d);
            } catch (Throwable e) {
                System.out.println("stop " + d + ": " + e.getMessage());
            }
        }
        io.pgha.postgres.Directories.delete(dir);
    }
}
