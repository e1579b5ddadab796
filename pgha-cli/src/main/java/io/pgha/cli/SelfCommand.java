package io.pgha.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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

    /** Beside an archive, the file that says it is mapped at the address it was made for. */
    static final String MAP_SUFFIX = ".map";

    static final String MAP_MARK = "relocation=0";

    /**
     * The options that map an archive at the base address it was made for instead of relocating
     * it at every start (the JDK's default): 0.15 s less CPU per JVM, and its read-write part stays
     * shared between the JVMs of a machine. The launchers make the archive at a base address drawn
     * at random per build or install, and write the mark file when the java maps it so.
     */
    static final List<String> MAP_OPTIONS = List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0");

    /** {@link #MAP_OPTIONS} when {@code archive}'s mark file says so, none otherwise. */
    static List<String> archiveMapOptions(String archive) {
        try {
            Path mark = Path.of(archive + MAP_SUFFIX);
            if (Files.isRegularFile(mark) && Files.readString(mark).strip().equals(MAP_MARK)) return MAP_OPTIONS;
        } catch (IOException | RuntimeException e) {
            // no mark: relocated as by default
        }
        return List.of();
    }

    /** The options that start a JVM on {@code archive}: mapped where it was made when its mark says so. */
    static List<String> archiveOptions(String archive) {
        List<String> o = new java.util.ArrayList<>(archiveMapOptions(archive));
        o.add("-XX:SharedArchiveFile=" + archive);
        return o;
    }

    /**
     * A base address for a new archive, drawn at random (16-48 TiB, 1 GiB steps, as the launchers
     * draw it); null where pgha does not choose one (not x86-64).
     */
    static String randomArchiveBase() {
        if (!"amd64".equals(System.getProperty("os.arch"))) return null;
        long base = 0x1000_0000_0000L + new java.security.SecureRandom().nextInt(32768) * 0x4000_0000L;
        return "0x" + Long.toHexString(base);
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
        if (cds != null) for (String o : archiveOptions(cds)) jvm = jvm + " " + quote(o);
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
