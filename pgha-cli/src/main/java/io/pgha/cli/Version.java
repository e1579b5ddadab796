package io.pgha.cli;

import io.pgha.core.PghaVersion;
import picocli.CommandLine.IVersionProvider;

/** {@code pgha --version}: the build's version ({@link PghaVersion}) and the Java runtime. */
final class Version implements IVersionProvider {
    /** The project version, e.g. {@code 0.1.0-SNAPSHOT}; "unknown" only for classes not built by Maven. */
    static String current() {
        return PghaVersion.current();
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "pgha " + current(),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name", "unknown JVM") + ")"
        };
    }
}
