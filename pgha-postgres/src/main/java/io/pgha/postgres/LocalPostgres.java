package io.pgha.postgres;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.decide.LocalState;
import io.pgha.core.decide.SyncPlanner.Replica;
import io.pgha.core.model.ArchiveStatus;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.postgres.ConfigFiles.Upstream;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The local PostgreSQL instance: {@link PostgresControl} for the real server. It holds the parts
 * that each do one job, on one shared {@link PgServer} (config, directories, the SQL session):
 * {@link PgObservation} (what the server is doing), {@link PgLifecycle} (its process),
 * {@link PgCopies} (making and replacing the data directory), {@link PgReplication}
 * (synchronous standby names), {@link Slots} and {@link ConfigFiles}. Actions block until done;
 * the agent runs the long ones on its action runner. Not thread-safe except
 * {@link #stopImmediately()}, which the lease guard may call at any time.
 */
public final class LocalPostgres implements PostgresControl {
    private final PgServer server;
    private final PgObservation observation;
    private final PgLifecycle lifecycle;
    private final PgCopies copies;
    private final PgReplication replication;

    public LocalPostgres(NodeConfig cfg, Binaries bin) {
        this.server = new PgServer(cfg, bin);
        this.observation = new PgObservation(server);
        this.lifecycle = new PgLifecycle(server);
        this.copies = new PgCopies(server, lifecycle);
        this.replication = new PgReplication(server);
    }

    /**
     * The log file pg_ctl starts the server with, beside the data directory: what PostgreSQL writes
     * before its logging collector takes over (and everything when the collector is turned off).
     */
    public Path logFile() {
        return server.sibling(".log");
    }

    /** Where the logging collector writes, unless {@code postgresql.parameters} says otherwise. */
    public Path logDirectory() {
        return ConfigFiles.logDirectory(server.dataDir);
    }

    /** Creates the directories around the data directory, owned by the PostgreSQL OS user. */
    @Override
    public void prepare() throws IOException, PostgresException {
        server.os.ensureOwnedDirectory(server.stateDir);
        server.os.checkWritableByOsUser(server.stateDir);
        String sockets = server.cfg.postgresql().socketDirectory();
        if (!sockets.equals(io.pgha.core.config.NodeConfig.Postgres.DEFAULT_SOCKET_DIRECTORY)
                && !java.nio.file.Files.isDirectory(Path.of(sockets))) server.os.ensureOwnedDirectory(Path.of(sockets));
        if (server.cfg.archive() != null && server.cfg.archive().spool() != null)
            server.os.ensureOwnedDirectory(Path.of(server.cfg.archive().spool()));
        server.files.writePassFile();
    }

    /**
     * Checks that PostgreSQL's OS user can run the pgha command of archive_command and
     * restore_command; a message saying what to fix, or null when it can.
     */
    @Override
    public String checkArchiveCommand() {
        if (server.cfg.archive() == null) return null;
        String pgha = server.cfg.archive().pghaCommand() != null
                ? server.cfg.archive().pghaCommand()
                : System.getProperty("pgha.self");
        if (pgha == null) return "archive: no pgha command is known for archive_command; set archive.pgha_command";
        String tooLong = server.cfg.archive().archiveCommandTooLong(pgha, serverMajorVersion());
        if (tooLong != null) return tooLong;
        try {
            OsCommand.Result r = server.os.run(List.of("sh", "-c", pgha + " --version"), Map.of(), 30_000);
            if (r.ok()) return null;
            return "archive: PostgreSQL's OS user " + server.cfg.osUser() + " cannot run '" + pgha + "' ("
                    + r.output().strip()
                    + "); archive_command would fail and WAL would pile up. Make the jar readable or set archive.pgha_command";
        } catch (PostgresException e) {
            return "archive: cannot check the pgha command as " + server.cfg.osUser() + ": " + e.getMessage();
        }
    }

    /** The major version of the binaries ({@code postgres --version}), or 0 when it cannot be told. */
    private int serverMajorVersion() {
        try {
            Process p = new ProcessBuilder(server.bin.path("postgres"), "--version")
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("\\) (\\d+)").matcher(out);
            return m.find() ? Integer.parseInt(m.group(1)) : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    // ------------------------------------------------------------------ observation

    @Override
    public LocalState observe() {
        return observation.observe();
    }

    @Override
    public ControlData controlData() {
        return observation.controlData();
    }

    @Override
    public io.pgha.core.model.Lsn upstreamPosition() {
        return observation.upstreamPosition();
    }

    @Override
    public boolean pendingRestart() {
        return observation.pendingRestart();
    }

    @Override
    public boolean clusterSettings(io.pgha.core.model.DynamicConfig.Postgres settings)
            throws PostgresException, java.io.IOException {
        if (!server.files.cluster(settings)) return false;
        if (server.postmasterPid() > 0) {
            server.files.writeSettings(server.upstream);
            server.execute("SELECT pg_reload_conf()");
        }
        return true;
    }

    @Override
    public void nodeSettings(io.pgha.core.config.NodeConfig.Postgres settings)
            throws PostgresException, java.io.IOException {
        server.files.node(settings);
        if (server.postmasterPid() > 0) {
            server.files.writeSettings(server.upstream);
            server.execute("SELECT pg_reload_conf()");
        }
    }

    @Override
    public void reload() throws PostgresException, java.io.IOException {
        if (server.postmasterPid() <= 0) throw new PostgresException("PostgreSQL is not running");
        server.files.writeSettings(server.upstream);
        server.execute("SELECT pg_reload_conf()");
    }

    /** The effective parameters of this node and where each comes from (see ConfigFiles#effective). */
    public Map<String, io.pgha.postgres.ConfigFiles.Effective> effectiveParameters() {
        return server.files.effective(server.upstream);
    }

    @Override
    public ArchiveStatus archiveStatus() {
        return observation.archiveStatus();
    }

    @Override
    public Lsn switchpoint(int timeline) throws PostgresException {
        return observation.switchpoint(timeline);
    }

    public boolean dataPresent() {
        return observation.dataPresent();
    }

    /** True when a postmaster process for this data directory is alive (up, starting or stopping). */
    public boolean postmasterAlive() {
        return observation.postmasterAlive();
    }

    /** The member this standby was last pointed at by this agent, or null. */
    public String following() {
        return server.following;
    }

    /**
     * The agent's own connection to the local server's {@code postgres} database, kept open across
     * cycles; for the agent loop's thread (or the action that runs instead of it). Not to be closed.
     */
    Connection agentConnection() throws SQLException {
        return server.connection();
    }

    /** A superuser connection to any member, with pgha's timeouts. The caller closes it. */
    public Connection connect(String host, int port, String database) throws SQLException {
        return server.connect(host, port, database);
    }

    @Override
    public java.util.Map<String, io.pgha.core.config.ParameterCheck.Setting> settingsCatalog() throws SQLException {
        try (Connection conn =
                server.connect(server.localHost(), server.cfg.postgresql().port(), "postgres")) {
            return SettingsCatalog.read(conn);
        }
    }

    /** The address pgha connects to the local server on. */
    String localHost() {
        return server.localHost();
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void start(Upstream upstream, boolean standby) throws PostgresException, IOException {
        lifecycle.start(upstream, standby);
    }

    @Override
    public void restart(Upstream upstream, boolean standby) throws PostgresException, IOException {
        lifecycle.restart(upstream, standby);
    }

    @Override
    public void stop(StopMode mode) throws PostgresException {
        lifecycle.stop(mode);
    }

    @Override
    public io.pgha.core.model.Lsn stopForHandOver() throws PostgresException {
        io.pgha.core.model.Lsn at = lifecycle.stopForHandOver(observation::controlFile);
        if (at != null) return at;
        ControlData cd = observation.controlData();
        if (cd.state() != io.pgha.core.model.ControlState.SHUT_DOWN)
            throw new PostgresException("PostgreSQL did not shut down cleanly: pg_control says '" + cd.state() + "'");
        return cd.checkpoint();
    }

    @Override
    public long postmasterPid() {
        return server.postmasterPid();
    }

    @Override
    public void awaitStopped() throws PostgresException {
        lifecycle.awaitStopped();
    }

    @Override
    public boolean stopImmediately() {
        return lifecycle.stopImmediately();
    }

    @Override
    public void promote() throws PostgresException {
        lifecycle.promote();
    }

    @Override
    public void follow(Upstream upstream) throws PostgresException, IOException {
        lifecycle.follow(upstream);
    }

    @Override
    public void checkpoint() throws PostgresException {
        lifecycle.checkpoint();
    }

    @Override
    public int awaitOpenTransactions(long timeoutMs) throws PostgresException, InterruptedException {
        return lifecycle.awaitOpenTransactions(timeoutMs);
    }

    // ------------------------------------------------------------------ copies

    @Override
    public void initdb() throws PostgresException, IOException {
        copies.initdb();
    }

    @Override
    public void createReplicationRole() throws PostgresException {
        copies.createReplicationRole();
    }

    @Override
    public Path cloneDir() throws IOException {
        return copies.cloneDir();
    }

    @Override
    public void installClone(Upstream source) throws IOException {
        copies.installClone(source);
    }

    @Override
    public void cloneFrom(Upstream source, Consumer<String> progress) throws PostgresException, IOException {
        copies.cloneFrom(source, progress);
    }

    @Override
    public void prepareRewindSource(Upstream source) throws PostgresException {
        copies.prepareRewindSource(source);
    }

    @Override
    public void rewindFrom(Upstream source, Consumer<String> progress) throws PostgresException, IOException {
        copies.rewindFrom(source, progress);
    }

    @Override
    public void removeData() throws IOException {
        copies.removeData();
    }

    @Override
    public void seedHistory(List<HistoryEntry> history, int latest) throws IOException, PostgresException {
        copies.seedHistory(history, latest);
    }

    // ------------------------------------------------------------------ replication

    @Override
    public List<Replica> replicas() throws PostgresException {
        return replication.replicas();
    }

    @Override
    public String synchronousStandbyNames() throws PostgresException {
        return replication.synchronousStandbyNames();
    }

    @Override
    public void prepareSynchronousStandbyNames(String value) {
        replication.prepareSynchronousStandbyNames(value);
    }

    @Override
    public Lsn setSynchronousStandbyNames(String value) throws PostgresException, IOException {
        return replication.setSynchronousStandbyNames(value);
    }

    @Override
    public void nudgeStandbys() throws PostgresException {
        replication.nudgeStandbys();
    }

    @Override
    public SlotControl slots() {
        return new Slots(server.cfg, this);
    }

    @Override
    public void close() {
        server.closeConnection();
    }
}
