package io.pgha.postgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs PostgreSQL's programs as the right OS user. When the agent runs as root, every command runs
 * as {@code osUser} through {@code setpriv} (PostgreSQL refuses root), and files pgha creates for
 * PostgreSQL are handed to that user. Environment values passed in (passwords) are never logged.
 *
 * <p>Children get a clean environment: only {@link #INHERITED} variables of the agent's own (no
 * {@code PGHA_*} overrides, which may hold passwords, and nothing else a backend could read back
 * from {@code /proc}), plus what the caller passes.
 */
public final class OsCommand {
    private static final Logger LOG = LoggerFactory.getLogger(OsCommand.class);
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    /** The agent's variables a child process inherits; everything else is left out. */
    static final List<String> INHERITED = List.of("PATH", "TZ", "LANG");

    private final String osUser;
    private volatile GuardedDirectory.Owner owner;

    public OsCommand(String osUser) {
        this.osUser = osUser;
    }

    /** The environment every child starts from: {@link #INHERITED} of this process's, and LC_ALL=C.UTF-8. */
    public static Map<String, String> cleanEnvironment() {
        Map<String, String> env = new java.util.HashMap<>();
        for (String name : INHERITED) {
            String v = System.getenv(name);
            if (v != null) env.put(name, v);
        }
        env.putIfAbsent("PATH", "/usr/local/bin:/usr/bin:/bin");
        env.put("LC_ALL", "C.UTF-8");
        return env;
    }

    public static boolean runningAsRoot() {
        return ROOT;
    }

    /**
     * {@code command} as the OS user (through setpriv when this process is root), with a clean
     * environment plus {@code env}, its standard error merged into its output.
     */
    public ProcessBuilder builder(List<String> command, Map<String, String> env) {
        List<String> full = new ArrayList<>();
        if (ROOT) {
            full.addAll(List.of("setpriv", "--reuid=" + osUser, "--regid=" + osUser, "--init-groups", "--"));
        }
        full.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(full).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(cleanEnvironment());
        pb.environment().putAll(env);
        return pb;
    }

    /** The outcome of a finished command: exit code and its combined output. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }

        /** The last lines of output, for error messages. */
        public String tail() {
            String[] lines = output.strip().split("\n");
            return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 6), lines.length));
        }
    }

    public Result run(List<String> command, Map<String, String> env, long timeoutMs) throws PostgresException {
        return run(command, env, timeoutMs, line -> {});
    }

    /** Runs {@code command} and passes every output line to {@code progress} as it arrives. */
    public Result run(List<String> command, Map<String, String> env, long timeoutMs, Consumer<String> progress)
            throws PostgresException {
        LOG.debug("running {}", command);
        ProcessBuilder pb = builder(command, env);
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            StringBuilder out = new StringBuilder();
            Thread reader = new Thread(
                    () -> {
                        try (var r = p.inputReader(StandardCharsets.UTF_8)) {
                            String line;
                            while ((line = r.readLine()) != null) {
                                synchronized (out) {
                                    out.append(line).append('\n');
                                }
                                progress.accept(line);
                            }
                        } catch (IOException e) {
                            // process ended
                        }
                    },
                    "cmd-output");
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new PostgresException(command.get(0) + " did not finish within " + timeoutMs / 1000 + " s");
            }
            reader.join(2000);
            synchronized (out) {
                return new Result(p.exitValue(), out.toString());
            }
        } catch (IOException e) {
            throw new PostgresException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PostgresException(command.get(0) + " interrupted", e);
        }
    }

    /** Runs and throws with the output's tail when the exit code is not 0. */
    public String check(List<String> command, Map<String, String> env, long timeoutMs, Consumer<String> progress)
            throws PostgresException {
        Result r = run(command, env, timeoutMs, progress);
        if (!r.ok()) {
            throw new PostgresException(
                    Path.of(command.get(0)).getFileName() + " failed (exit " + r.exitCode() + "): " + r.tail());
        }
        return r.output();
    }

    /**
     * Creates {@code dir} (and its parents) and, as root, gives it to the PostgreSQL OS user, never
     * through a symbolic link; a new directory has mode 0700 from the start.
     */
    public void ensureOwnedDirectory(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        Files.createDirectories(abs.getParent());
        try (GuardedDirectory parent = GuardedDirectory.open(abs.getParent(), owner())) {
            parent.ensureDirectory(abs.getFileName().toString(), 0700);
        }
    }

    /** The directory {@code dir}, opened safely; files created through it belong to the PostgreSQL OS user. */
    public GuardedDirectory directory(Path dir) throws IOException {
        return GuardedDirectory.open(dir, owner());
    }

    /**
     * Fails with a clear message when the PostgreSQL OS user cannot write into {@code dir} (as root:
     * typically a parent directory that is not searchable by others, such as a 0700 home or temp dir).
     */
    public void checkWritableByOsUser(Path dir) throws PostgresException {
        if (!ROOT) return;
        Result r = run(List.of("test", "-w", dir.toString(), "-a", "-x", dir.toString()), Map.of(), 10_000);
        if (!r.ok()) {
            throw new PostgresException(
                    "OS user '" + osUser + "' cannot write into " + dir
                            + ": every directory above it must be searchable by that user (chmod o+x), or choose another data_dir");
        }
    }

    /** As root, the PostgreSQL OS user's uid and gid (from /etc/passwd); otherwise null (files stay as created). */
    public GuardedDirectory.Owner owner() throws IOException {
        if (!ROOT) return null;
        GuardedDirectory.Owner o = owner;
        if (o != null) return o;
        for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
            String[] f = line.split(":");
            if (f.length > 3 && f[0].equals(osUser)) {
                try {
                    o = new GuardedDirectory.Owner(Integer.parseInt(f[2]), Integer.parseInt(f[3]));
                } catch (NumberFormatException e) {
                    throw new IOException("/etc/passwd: unreadable uid or gid for OS user '" + osUser + "'", e);
                }
                owner = o;
                return o;
            }
        }
        throw new IOException("OS user '" + osUser + "' does not exist (os_user in the config)");
    }
}
