package io.pgha.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The version of this build, for {@code pgha --version}, the man pages and the member record every
 * agent publishes (so that a rolling upgrade shows which members run which version). It comes from
 * the build itself: a resource Maven filters with the project's version ({@code
 * pgha-version.properties}), else the jar manifest's {@code Implementation-Version}, so that a
 * release never reports a version someone forgot to bump in the code.
 */
public final class PghaVersion {
    private static final String RESOURCE = "pgha-version.properties";
    private static final String CURRENT = read();

    private PghaVersion() {}

    /** The project version, e.g. {@code 0.1.0-SNAPSHOT}; "unknown" only for classes not built by Maven. */
    public static String current() {
        return CURRENT;
    }

    private static String read() {
        try (InputStream in = PghaVersion.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "").trim();
                if (!v.isEmpty() && !v.contains("${")) return v; // "${" : resource copied unfiltered
            }
        } catch (IOException e) {
            // fall back to the manifest
        }
        String manifest = PghaVersion.class.getPackage().getImplementationVersion();
        return manifest != null ? manifest : "unknown";
    }
}
