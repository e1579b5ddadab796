package io.pgha.postgres;

import io.pgha.core.config.NodeConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the files through which pgha configures PostgreSQL: {@code pgha.conf} (included from
 * postgresql.conf), {@code pg_hba.conf}, {@code standby.signal} and a password file outside the
 * data directory. Each file is written through a {@link GuardedDirectory}: created exclusively under
 * a random name with mode 0600, handed to the PostgreSQL OS user on its open descriptor, and renamed;
 * nothing PostgreSQL's OS user plants in these directories (a link, a FIFO) is followed.
 */
public final class ConfigFiles {
    static final String INCLUDE_LINE = "include_if_exists = 'pgha.conf'\t# added by pgha";

    private final NodeConfig cfg;
    private final OsCommand os;
    private final Path dataDir;
    private final Path passFile;
    private volatile String synchronousStandbyNames = "";
    /** This node's own parameters and pg_hba lines (its config file, as last read). */
    private volatile NodeConfig.Postgres node;

    /** The cluster-wide settings from the DCS (below this node's own parameters). */
    private volatile io.pgha.core.model.DynamicConfig.Postgres cluster = io.pgha.core.model.DynamicConfig.Postgres.NONE;

    public ConfigFiles(NodeConfig cfg, OsCommand os, Path passFile) {
        this.cfg = cfg;
        this.node = cfg.postgresql();
        this.os = os;
        this.dataDir = Path.of(cfg.dataDir());
        this.passFile = passFile;
    }

    /**
     * Takes the cluster-wide settings of the DCS; true when they differ from those taken before (the
     * caller rewrites the files and reloads).
     */
    public boolean cluster(io.pgha.core.model.DynamicConfig.Postgres settings) {
        if (settings.equals(cluster)) return false;
        cluster = settings;
        return true;
    }

    /** Takes this node's own parameters and pg_hba lines anew (its config file was read again). */
    public void node(NodeConfig.Postgres settings) {
        node = settings;
    }

    /** Where a parameter's value comes from, lowest precedence first. */
    public enum Source {
        PGHA_DEFAULT("pgha default"),
        CLUSTER("cluster-wide (DCS)"),
        NODE("node file"),
        MANAGED("managed by pgha");

        private final String label;

        Source(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /** One effective parameter and where its value comes from. */
    public record Effective(String value, Source source) {}

    /**
     * The parameters pgha writes, with their sources: pgha's defaults, overridden by the cluster-wide
     * parameters of the DCS, overridden by this node's {@code postgresql.parameters}, overridden by
     * what pgha manages (ports, replication, archiving).
     */
    public Map<String, Effective> effective(Upstream upstream) {
        Map<String, Effective> out = new LinkedHashMap<>();
        defaults().forEach((k, v) -> out.put(k, new Effective(v, Source.PGHA_DEFAULT)));
        cluster.parameters().forEach((k, v) -> out.put(k, new Effective(v, Source.CLUSTER)));
        node.parameters().forEach((k, v) -> out.put(k, new Effective(v, Source.NODE)));
        Map<String, String> all = parameters(upstream);
        all.forEach((k, v) -> {
            Effective e = out.get(k);
            if (e == null || !e.value().equals(v)) out.put(k, new Effective(v, Source.MANAGED));
        });
        return out;
    }

    /** pgha's defaults: every one may be overridden, cluster-wide or by a node. */
    private Map<String, String> defaults() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("max_wal_senders", "10");
        p.put("max_replication_slots", "10");
        p.put("wal_keep_size", "128MB");
        p.put("wal_retrieve_retry_interval", "1s");
        p.put("wal_log_hints", "on");
        p.put("hot_standby_feedback", "on");
        p.put("unix_socket_directories", cfg.postgresql().socketDirectory());
        p.put("password_encryption", "scram-sha-256");
        // Crash recovery begins by fsyncing every file of the data directory one by one (1.4 s for a
        // small database on a busy machine, during which a primary whose postmaster crashed takes no
        // writes); syncfs() flushes the file system in one call. PostgreSQL 14 and later, on Linux.
        if (majorVersion() >= 14 && System.getProperty("os.name", "").startsWith("Linux"))
            p.put("recovery_init_sync_method", "syncfs");
        serverLog(p);
        return p;
    }

    /** The data directory's PostgreSQL major version (PG_VERSION), or 0 when it cannot be read. */
    private int majorVersion() {
        try (GuardedDirectory data = os.directory(dataDir)) {
            String v = data.read("PG_VERSION", 64).orElse("0").trim();
            return Integer.parseInt(v.contains(".") ? v.substring(0, v.indexOf('.')) : v);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** The parameters pgha sets; user parameters override pgha's defaults but not managed ones. */
    public Map<String, String> parameters(Upstream upstream) {
        Map<String, String> p = defaults();
        p.putAll(cluster.parameters());
        p.putAll(node.parameters());
        p.put("listen_addresses", cfg.postgresql().listen());
        p.put("port", String.valueOf(cfg.postgresql().port()));
        p.put("wal_level", "logical".equals(p.get("wal_level")) ? "logical" : "replica");
        p.put("hot_standby", "on");
        p.put("recovery_target_timeline", "latest");
        p.put("cluster_name", cfg.cluster() + "/" + cfg.name());
        p.put("synchronous_standby_names", synchronousStandbyNames);
        if (cfg.archive() != null) {
            // archive_mode 'on' archives only while a server is the primary: a standby (and a deposed
            // primary once it runs as a standby) never pushes; every member can restore from the archive.
            String pgha =
                    cfg.archive().pghaCommand() != null ? cfg.archive().pghaCommand() : System.getProperty("pgha.self");
            if (pgha != null) {
                p.put("archive_mode", "on");
                p.put("archive_command", cfg.archive().archiveCommand(pgha));
                p.put("restore_command", cfg.archive().restoreCommand(pgha));
            }
        }
        if (upstream != null && upstream.streams()) {
            p.put(
                    "primary_conninfo",
                    upstream.conninfo(
                            cfg.postgresql().replication().username(),
                            // In the primary cluster's pg_stat_replication a standby leader must not pass
                            // for one of its members of the same name (synchronous_standby_names!).
                            upstream.primaryCluster() ? cfg.cluster() + "/" + cfg.name() : cfg.name(),
                            passFile));
            p.put(
                    "primary_slot_name",
                    upstream.primaryCluster()
                            ? (upstream.slot() == null ? "" : upstream.slot())
                            : slotName(cfg.name()));
        } else {
            p.put("primary_conninfo", "");
            p.put("primary_slot_name", "");
        }
        return p;
    }

    /**
     * PostgreSQL's own log, by default: the logging collector writes one file per weekday, each
     * truncated when its day comes round again, so a week of logs is kept and the disk use stays
     * bounded without logrotate. The files go {@linkplain #logDirectory beside the data directory},
     * not inside it: pg_basebackup and pg_rewind copy a data directory's log files from the source
     * member, so a clone would start with its primary's logs and a rewind would replace the
     * deposed primary's own logs (the ones that say what happened to it) with the new primary's.
     * Size-based rotation stays off: with a weekday name it could only reopen the same file. Only
     * what PostgreSQL writes before the collector starts (and pg_ctl's own messages) still goes to
     * the {@code -l} file, {@code <data>.log}. Any of these can be overridden in
     * {@code postgresql.parameters}.
     */
    private void serverLog(Map<String, String> p) {
        p.put("logging_collector", "on");
        p.put("log_directory", logDirectory(dataDir).toString());
        p.put("log_filename", "postgresql-%a.log");
        p.put("log_truncate_on_rotation", "on");
        p.put("log_rotation_age", "1d");
        p.put("log_rotation_size", "0");
    }

    /** Where PostgreSQL's rotated log files go by default: {@code <data>.log.d} beside the data directory. */
    public static Path logDirectory(Path dataDir) {
        return dataDir.resolveSibling(dataDir.getFileName() + ".log.d");
    }

    /** The value written for synchronous_standby_names from now on (managed by the primary's agent). */
    public void synchronousStandbyNames(String value) {
        synchronousStandbyNames = value;
    }

    /** Where a standby streams from. */
    /**
     * Where a standby gets WAL from: another member, or (the standby leader of a standby cluster)
     * the primary cluster.
     *
     * @param member the member's name, or {@link io.pgha.core.model.StandbyCluster#UPSTREAM}
     * @param host libpq's {@code host}: one host, or a comma-separated list; null: no streaming (WAL
     *     comes from the archive only)
     * @param port libpq's {@code port}: one port, or a list matching {@code host}
     * @param primaryCluster the primary cluster of a standby cluster: of the hosts, the one that
     *     takes writes is chosen, and the stream uses {@code slot} rather than this member's slot
     * @param slot the replication slot on the primary cluster's primary, or null
     */
    public record Upstream(String member, String host, String port, boolean primaryCluster, String slot) {
        public Upstream(String member, String host, int port) {
            this(member, host, String.valueOf(port), false, null);
        }

        /** The primary cluster, streamed from at one of {@code hosts}. */
        public static Upstream primaryCluster(List<io.pgha.core.net.HostPort> hosts, String slot) {
            List<String> h = new java.util.ArrayList<>();
            List<String> p = new java.util.ArrayList<>();
            for (var hp : hosts) {
                h.add(hp.host());
                p.add(String.valueOf(hp.port()));
            }
            return new Upstream(
                    io.pgha.core.model.StandbyCluster.UPSTREAM, String.join(",", h), String.join(",", p), true, slot);
        }

        /** The primary cluster through the shared WAL archive only: no stream. */
        public static Upstream archiveOnly() {
            return new Upstream(io.pgha.core.model.StandbyCluster.UPSTREAM, null, null, true, null);
        }

        /** Whether WAL is streamed (else it comes from the archive only). */
        public boolean streams() {
            return host != null;
        }

        /** The port of a single-host upstream. */
        public int portNumber() {
            return Integer.parseInt(port);
        }

        String conninfo(String user, String applicationName, Path passFile) {
            return "host=" + host + " port=" + port + " user=" + user + " application_name=" + applicationName
                    + " passfile=" + passFile
                    + (primaryCluster ? " target_session_attrs=read-write" : "")
                    + " connect_timeout=2 keepalives=1 keepalives_idle=2 keepalives_interval=1 keepalives_count=3";
        }

        /** For messages: {@code db2 (10.0.0.2:5432)}. */
        public String describe() {
            return member + (host == null ? " (WAL archive)" : " (" + host + ":" + port + ")");
        }
    }

    /** The physical replication slot a member streams through ({@code pgha_} and its sanitized name). */
    public static String slotName(String member) {
        return io.pgha.core.decide.SlotPlanner.memberSlot(member);
    }

    public void writeAll(Upstream upstream, boolean standby) throws IOException {
        try (GuardedDirectory data = os.directory(dataDir)) {
            data.writeIfChanged("pgha.conf", pghaConf(upstream));
            data.writeIfChanged("pg_hba.conf", hbaConf());
            ensureInclude(data);
            if (standby) data.writeIfChanged("standby.signal", "");
            else data.delete("standby.signal");
        }
    }

    public void writePgha(Upstream upstream) throws IOException {
        try (GuardedDirectory data = os.directory(dataDir)) {
            data.write("pgha.conf", pghaConf(upstream));
        }
    }

    private String pghaConf(Upstream upstream) {
        StringBuilder s = new StringBuilder("# Written by pgha on every start and change; edits here are lost.\n");
        for (Map.Entry<String, String> e : parameters(upstream).entrySet()) {
            s.append(e.getKey())
                    .append(" = '")
                    .append(e.getValue().replace("'", "''"))
                    .append("'\n");
        }
        return s.toString();
    }

    /** This node's pg_hba lines first (the first line that matches decides), then the cluster-wide ones. */
    private String hbaConf() {
        List<String> lines = new java.util.ArrayList<>(node.pgHba());
        lines.addAll(cluster.pgHba());
        return "# Written by pgha from postgresql.pg_hba of its config, then the cluster-wide pg_hba of the DCS.\n"
                + String.join("\n", lines) + "\n";
    }

    /** Rewrites pgha.conf and pg_hba.conf (after the cluster-wide settings changed). */
    public void writeSettings(Upstream upstream) throws IOException {
        try (GuardedDirectory data = os.directory(dataDir)) {
            data.write("pgha.conf", pghaConf(upstream));
            data.write("pg_hba.conf", hbaConf());
        }
    }

    private static void ensureInclude(GuardedDirectory data) throws IOException {
        String text = data.read("postgresql.conf", 16 << 20).orElse("");
        if (!text.contains(INCLUDE_LINE)) {
            data.write(
                    "postgresql.conf",
                    text + (text.endsWith("\n") || text.isEmpty() ? "" : "\n") + INCLUDE_LINE + "\n");
        }
    }

    /** The password file libpq reads for pgha's connections; never logged. */
    public void writePassFile() throws IOException {
        StringBuilder s = new StringBuilder();
        var su = cfg.postgresql().superuser();
        var repl = cfg.postgresql().replication();
        if (repl.hasPassword())
            s.append("*:*:*:")
                    .append(escape(repl.username()))
                    .append(':')
                    .append(escape(repl.password()))
                    .append('\n');
        if (su.hasPassword())
            s.append("*:*:*:")
                    .append(escape(su.username()))
                    .append(':')
                    .append(escape(su.password()))
                    .append('\n');
        write(passFile, s.toString());
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace(":", "\\:");
    }

    private void write(Path target, String content) throws IOException {
        try (GuardedDirectory dir = os.directory(target.getParent())) {
            dir.write(target.getFileName().toString(), content);
        }
    }
}
