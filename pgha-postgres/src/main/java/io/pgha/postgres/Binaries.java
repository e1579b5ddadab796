package io.pgha.postgres;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds the PostgreSQL server binaries: the configured directory, Debian's layout, or PATH. */
public final class Binaries {
    private static final String[] REQUIRED = {
        "postgres", "pg_ctl", "initdb", "pg_basebackup", "pg_rewind", "pg_controldata"
    };
    private final Path dir;

    private Binaries(Path dir) {
        this.dir = dir;
    }

    /**
     * Uses {@code configured} when given, else the newest {@code /usr/lib/postgresql/N/bin}, else the
     * directory of {@code postgres} on PATH. Throws with install advice when nothing fits.
     */
    public static Binaries locate(String configured) throws PostgresException {
        if (configured != null) {
            Path p = Path.of(configured);
            Optional<String> missing = missing(p);
            if (missing.isPresent()) {
                throw new PostgresException("bin_dir: " + configured + " has no executable " + missing.get());
            }
            return new Binaries(p);
        }
        return detect().map(Binaries::new)
                .orElseThrow(() -> new PostgresException(
                        "no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin and PATH); install them with"
                                + " 'apt-get install -y postgresql' or set bin_dir in the config"));
    }

    public static Optional<Path> detect() {
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> s = Files.list(debian)) {
                Optional<Path> best = s.filter(p -> p.getFileName().toString().matches("\\d+"))
                        .sorted(Comparator.comparingInt((Path p) ->
                                        Integer.parseInt(p.getFileName().toString()))
                                .reversed())
                        .map(p -> p.resolve("bin"))
                        .filter(p -> missing(p).isEmpty())
                        .findFirst();
                if (best.isPresent()) return best;
            } catch (IOException e) {
                // fall through to PATH
            }
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String d : path.split(":")) {
            if (!d.isEmpty() && missing(Path.of(d)).isEmpty()) return Optional.of(Path.of(d));
        }
        return Optional.empty();
    }

    private static Optional<String> missing(Path dir) {
        for (String b : REQUIRED) {
            if (!Files.isExecutable(dir.resolve(b))) return Optional.of(b);
        }
        return Optional.empty();
    }

    public String path(String binary) {
        return dir.resolve(binary).toString();
    }

    public Path dir() {
        return dir;
    }
}
