package io.pgha.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How PostgreSQL (or anything else) runs this same pgha: the java binary and class path of the
 * running JVM, with the small JVM settings a per-segment command wants. Quoted for a shell.
 */
final class SelfCommand {
    private SelfCommand() {}

    static String quote(String s) {
        return io.pgha.core.config.ArchiveConfig.shellQuote(s);
    }

    /** Small and quick to start: one segment per call. */
    static final String SMALL_JVM =
            "-Xms16m -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xshare:auto";
    /** For bulk work (the asynchronous pusher): the optimizing JIT compresses and hashes about twice as fast. */
    static final String BULK_JVM = "-Xms32m -Xmx256m -XX:+UseParallelGC -Xshare:auto";

    /**
     * For the long-running archive server: the optimizing JIT (SHA-256 and the copy loops run several
     * times faster than with C1 alone), a small serial heap.
     */
    static final String SERVER_JVM =
            "-Xms16m -Xmx128m -XX:+UseSerialGC -Xss256k -XX:ReservedCodeCacheSize=32m -XX:MaxDirectMemorySize=64m"
                    + " -Xshare:auto";

    /**
     * The class data archive the launcher made and named in the system property {@code pgha.cds},
     * when it can be read; null otherwise. The JVMs pgha starts use it too.
     */
    static String classDataArchive() {
        String cds = System.getProperty("pgha.cds");
        return cds != null && Files.isReadable(Path.of(cds)) ? cds : null;
    }

    static String pgha() {
        return pgha(SMALL_JVM);
    }

    /**
     * The command line; with the system property {@code pgha.jar} set, that jar instead of this JVM's
     * class path (tests: a class path under root's home is not readable by PostgreSQL's OS user).
     */
    static String pgha(String jvm) {
        // the launcher's class data archive, when it made one: a JVM per segment starts faster
        String cds = classDataArchive();
        if (cds != null) jvm = jvm + " -XX:SharedArchiveFile=" + quote(cds);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String jar = System.getProperty("pgha.jar");
        if (jar != null) return quote(java) + " " + jvm + " -jar " + quote(jar);
        String cp = System.getProperty("java.class.path");
        if (cp.endsWith(".jar") && !cp.contains(":"))
            return quote(java) + " " + jvm + " -jar "
                    + quote(Path.of(cp).toAbsolutePath().toString());
        return quote(java) + " " + jvm + " -cp " + quote(cp) + " " + Main.class.getName();
    }
}
