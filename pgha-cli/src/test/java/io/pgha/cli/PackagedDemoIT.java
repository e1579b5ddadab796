package io.pgha.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgha.postgres.Processes;
import io.pgha.testkit.FreePorts;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The packaged {@code pgha.jar} as a user runs it (README's first command, minus the build): the
 * demo starts a healthy 3-node cluster, {@code list} sees it, and SIGTERM leaves nothing running.
 */
class PackagedDemoIT {
    private static final Path JAR = Path.of("target", "pgha.jar");

    @Test
    void theJarCarriesEverythingItNeeds() throws Exception {
        try (JarFile jar = new JarFile(JAR.toFile())) {
            assertThat(jar.getEntry("org/postgresql/Driver.class")).isNotNull();
            assertThat(jar.getEntry("META-INF/services/java.sql.Driver")).isNotNull();
            assertThat(jar.getEntry("org/apache/zookeeper/server/embedded/ZooKeeperServerEmbedded.class"))
                    .isNotNull();
            assertThat(jar.getEntry("com/codahale/metrics/Reservoir.class")).isNotNull();
            assertThat(jar.getEntry("META-INF/native/libnetty_transport_native_epoll_x86_64.so"))
                    .as("the router's epoll transport")
                    .isNotNull();
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
                    .isEqualTo(Main.class.getName());
        }
    }

    /** With either DCS: the embedded ZooKeeper ensemble, or a 3-member etcd the demo starts ({@code --dcs etcd}). */
    @ParameterizedTest
    @ValueSource(strings = {"zookeeper", "etcd"})
    void theDemoRunsFromTheJarAndStopsEverythingOnSigterm(String dcs) throws Exception {
        // Not @TempDir: that one is private (0700) and PostgreSQL runs as another user when we are root.
        Path dir = Files.createTempDirectory("pgha-demo-it");
        int pg = FreePorts.block(3);
        int api = FreePorts.block(3);
        int zk = FreePorts.block(3, 100, 200);
        int router = FreePorts.block(3);
        Process demo = new ProcessBuilder(
                        java(),
                        "-jar",
                        JAR.toString(),
                        "demo",
                        "--dir",
                        dir.toString(),
                        "--pg-port",
                        String.valueOf(pg),
                        "--api-port",
                        String.valueOf(api),
                        "--zk-port",
                        String.valueOf(zk),
                        "--router-port",
                        String.valueOf(router),
                        "--dcs",
                        dcs)
                .redirectErrorStream(true)
                .start();
        List<String> out = new ArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(demo.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (out) {
                        out.add(line);
                    }
                }
            } catch (Exception e) {
                // process ended
            }
        });
        reader.start();
        List<Long> postmasters = new ArrayList<>();
        try {
            // "Press Ctrl-C" is the summary's last line: everything asserted below comes before it
            await().atMost(Duration.ofSeconds(180)).until(() -> text(out).contains("Press Ctrl-C"));
            assertThat(text(out))
                    .contains(
                            "postgresql://postgres@127.0.0.1:" + pg,
                            "jdbc:postgresql://",
                            "primary",
                            "standby",
                            "without a password",
                            "Router demo-router: read-write 127.0.0.1:" + router + ", read-only 127.0.0.1:"
                                    + (router + 1),
                            dcs.equals("etcd") ? "etcd: 127.0.0.1:" + zk : "ZooKeeper: TLS only");
            try (var c = java.sql.DriverManager.getConnection(
                            "jdbc:postgresql://127.0.0.1:" + router + "/postgres?user=postgres");
                    var st = c.createStatement();
                    var rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                assertThat(rs.getBoolean(1))
                        .as("the demo's router reaches the primary")
                        .isFalse();
            }
            for (int i = 1; i <= 3; i++) {
                List<String> pid = Files.readAllLines(
                        dir.resolve("node" + i).resolve("data").resolve("postmaster.pid"));
                postmasters.add(Long.parseLong(pid.get(0).trim()));
            }
            // pgha list from the jar: every member, the primary's lease, and the demo's router (which
            // publishes itself a moment after the demo prints its summary)
            AtomicReference<String> listed = new AtomicReference<>("");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                Process list = new ProcessBuilder(
                                java(),
                                "-jar",
                                JAR.toString(),
                                "list",
                                "-c",
                                dir.resolve("node1.yml").toString())
                        .redirectErrorStream(true)
                        .start();
                String text = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(list.waitFor(60, TimeUnit.SECONDS)).isTrue();
                listed.set(text);
                assertThat(list.exitValue()).as(text).isZero();
                assertThat(text).contains("demo-router");
            });
            assertThat(listed.get()).contains("node1", "node2", "node3", "primary holding the leader lease");

            demo.toHandle().destroy(); // SIGTERM (Process.destroy() would also close our end of its output)
            assertThat(demo.waitFor(90, TimeUnit.SECONDS)).isTrue();
            reader.join(5000);
            assertThat(text(out)).contains("All demo processes stopped");
            for (long pid : postmasters) {
                assertThat(Processes.alive(pid)).as("postmaster %d", pid).isFalse();
            }
            assertThat(ProcessHandle.allProcesses()
                            .filter(p -> p.info().commandLine().orElse("").contains(dir.toString())))
                    .as("no process of this demo is left")
                    .isEmpty();
        } finally {
            if (demo.isAlive()) {
                demo.descendants().forEach(ProcessHandle::destroyForcibly);
                demo.destroyForcibly();
            }
            for (long pid : postmasters) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            System.out.println(text(out));
            io.pgha.postgres.Directories.delete(dir);
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String text(List<String> lines) {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }
}
