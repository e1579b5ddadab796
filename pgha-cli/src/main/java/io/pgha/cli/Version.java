package io.pgha.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * The version of this build, for {@code pgha --version}, the man pages and anyone comparing members
 * during a rolling upgrade. It comes from the build itself: a resource Maven filters with the
 * project's version ({@code pgha-version.properties}), else the jar manifest's {@code
 * Implementation-Version} (the shaded pgha.jar carries both), so that a release never reports a
 * version someone forgot to bump in the code.
 */
final class Version implements IVersionProvider {
    private static final String RESOURCE = "pgha-version.properties";

    /** The project version, e.g. {@code 0.1.0-SNAPSHOT}; "unknown" only for classes not built by Maven. */
    static String current() {
        try (InputStream in = Version.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "").trim();
                if (!v.isEmpty() && !v.contains("${")) return v; // "${" : resource copied unfiltered
            }
        } catch (IOException e) {
            // fall back to the manifest
        }
        String manifest = Version.class.getPackage().getImplementationVersion();
        return manifest != null ? manifest : "unknown";
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "pgha " + current(),
            "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name", "unknown JVM") + ")"
        };
    }
}
