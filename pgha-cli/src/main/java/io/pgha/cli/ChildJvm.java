package io.pgha.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The class path and class data archive of the pgha JVMs that {@link LocalCluster} (and tests)
 * start: agents, ZooKeeper servers, commands.
 *
 * <p>By default, this JVM's class path and the launcher's archive ({@code pgha.cds}), as {@code pgha
 * demo} runs them. The integration tests run from Maven's class path (directories of classes, which
 * a class data archive cannot hold) and set two system properties instead: {@code
 * pgha.child.classpath}, the built jar, and {@code pgha.child.classlist}, the list of classes to
 * archive (packaging/pgha.classlist). The archive is made next to the jar once, on first use, and
 * every child JVM then maps the classes instead of loading and verifying them: a few hundred
 * milliseconds of CPU each, on a machine where a test starts hundreds of them.
 */
public final class ChildJvm {
    private static final Logger LOG = LoggerFactory.getLogger(ChildJvm.class);
    private static String archive;
    private static boolean tried;

    private ChildJvm() {}

    /** The class path for a child JVM. */
    public static String classPath() {
        String cp = System.getProperty("pgha.child.classpath");
        return cp != null && Files.isReadable(Path.of(cp)) ? cp : System.getProperty("java.class.path");
    }

    /**
     * The options that map the class data archive made for {@link #classPath()} (none when there is
     * none); with {@code handOn}, also the property that passes it on to the JVMs that child starts.
     */
    public static List<String> archiveOptions(boolean handOn) {
        List<String> o = new ArrayList<>();
        String launcher = SelfCommand.classDataArchive();
        if (launcher != null && System.getProperty("pgha.child.classpath") == null) {
            o.addAll(SelfCommand.archiveOptions(launcher));
            if (handOn) o.add("-Dpgha.cds=" + launcher);
            return o;
        }
        String made = testArchive();
        if (made != null) o.addAll(SelfCommand.archiveOptions(made));
        return o;
    }

    /** Whether {@code java} starts on {@code jsa} (made for class path {@code cp}) mapped at the address it was made for. */
    private static boolean mapsAtBase(String java, Path jsa, String cp) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(SelfCommand.MAP_OPTIONS);
        cmd.addAll(List.of("-Xshare:on", "-XX:SharedArchiveFile=" + jsa, "-cp", cp, "-version"));
        return run(cmd, 60) == 0;
    }

    /** Runs {@code cmd} with its output dropped: its exit status, or -1 when it took more than {@code seconds}. */
    private static int run(List<String> cmd, int seconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    /** The archive for {@code pgha.child.classpath}, made on first use; null without one. */
    private static synchronized String testArchive() {
        if (tried) return archive;
        tried = true;
        String cp = System.getProperty("pgha.child.classpath");
        String list = System.getProperty("pgha.child.classlist");
        if (cp == null || list == null || !Files.isReadable(Path.of(cp)) || !Files.isReadable(Path.of(list)))
            return null;
        Path jar = Path.of(cp);
        Path jsa = jar.resolveSibling(jar.getFileName() + ".test.jsa");
        try {
            if (Files.exists(jsa) && Files.getLastModifiedTime(jsa).compareTo(Files.getLastModifiedTime(jar)) > 0) {
                archive = jsa.toString();
                return archive;
            }
            Path tmp = jsa.resolveSibling(jsa.getFileName() + ".tmp");
            Path map = Path.of(jsa + SelfCommand.MAP_SUFFIX);
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(map);
            String java =
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> dump = new ArrayList<>(List.of(java, "-Xshare:dump"));
            String base = SelfCommand.randomArchiveBase();
            if (base != null) dump.add("-XX:SharedBaseAddress=" + base);
            dump.addAll(List.of("-XX:SharedClassListFile=" + list, "-XX:SharedArchiveFile=" + tmp, "-cp", cp));
            int exit = run(dump, 120);
            if (exit == -1) {
                LOG.warn("making the class data archive of {} took more than 120 s: child JVMs go without", cp);
                return null;
            }
            if (exit != 0 || !Files.exists(tmp)) {
                LOG.warn("could not make the class data archive of {} (exit {}): child JVMs go without", cp, exit);
                return null;
            }
            if (base != null && mapsAtBase(java, tmp, cp)) Files.writeString(map, SelfCommand.MAP_MARK + "\n");
            Files.move(tmp, jsa, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            archive = jsa.toString();
            return archive;
        } catch (IOException e) {
            LOG.warn("could not make the class data archive of {}: {}", cp, e.toString());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
