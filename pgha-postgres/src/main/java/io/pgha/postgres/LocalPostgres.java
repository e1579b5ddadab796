package io.pgha.postgres;

import io.pgha.core.config.NodeConfig;
import io.pgha.core.decide.LocalState;
import io.pgha.core.decide.SyncPlanner.Replica;
import io.pgha.core.model.ControlState;
import io.pgha.core.model.HistoryEntry;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.TimelineHistory;
import io.pgha.postgres.ConfigFiles.Upstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local PostgreSQL instance: observation over JDBC and pg_controldata, and every action the
 * agent takes on it (initdb, start, stop, promote, clone, rewind). Actions block until done; the
 * agent runs the long ones on its action runner. Not thread-safe except {@link #stopImmediately()},
 * which the lease guard may call at any time.
 *
 * <p>Files: the data directory from the config; beside it {@code <data>.log} (server log) and
 * {@code <data>.pgpass} (libpq password file).
 */
public final class LocalPostgres implements PostgresControl {
  private static final Logger LOG = LoggerFactory.getLogger(LocalPostgres.class);
  private static final long LONG_MS = 6 * 3600_000L;

  private final NodeConfig cfg;
  private final Binaries bin;
  private final OsCommand os;
  private final Path dataDir;
  private final Path stateDir;
  private final ConfigFiles files;
  private final Map<String, String> env;
  private Connection connection;
  private String following;
  private Upstream upstream;
  private String lastObserveError;
  private final Map<Integer, Lsn> historyStarts = new java.util.concurrent.ConcurrentHashMap<>();

  public LocalPostgres(NodeConfig cfg, Binaries bin) {
    this.cfg = cfg;
    this.bin = bin;
    this.os = new OsCommand(cfg.osUser());
    this.dataDir = Path.of(cfg.dataDir());
    this.stateDir = dataDir.getParent();
    Path passFile = sibling(".pgpass");
    this.files = new ConfigFiles(cfg, os, passFile);
    this.env = Map.of("PGPASSFILE", passFile.toString(), "PGCONNECT_TIMEOUT", "3");
  }

  private Path sibling(String suffix) {
    return stateDir.resolve(dataDir.getFileName() + suffix);
  }

  public Path logFile() {
    return sibling(".log");
  }

  /** Creates the directories around the data directory, owned by the PostgreSQL OS user. */
  @Override
  public void prepare() throws IOException, PostgresException {
    os.ensureOwnedDirectory(stateDir);
    os.checkWritableByOsUser(stateDir);
    if (cfg.archive() != null && cfg.archive().spool() != null) os.ensureOwnedDirectory(Path.of(cfg.archive().spool()));
    files.writePassFile();
  }

  /**
   * Checks that PostgreSQL's OS user can run the pgha command of archive_command and
   * restore_command; a message saying what to fix, or null when it can.
   */
  @Override
  public String checkArchiveCommand() {
    if (cfg.archive() == null) return null;
    String pgha = cfg.archive().pghaCommand() != null ? cfg.archive().pghaCommand() : System.getProperty("pgha.self");
    if (pgha == null) return "archive: no pgha command is known for archive_command; set archive.pgha_command";
    try {
      OsCommand.Result r = os.run(List.of("sh", "-c", pgha + " --version"), Map.of(), 30_000);
      if (r.ok()) return null;
      return "archive: PostgreSQL's OS user " + cfg.osUser() + " cannot run '" + pgha + "' (" + r.output().strip()
          + "); archive_command would fail and WAL would pile up. Make the jar readable or set archive.pgha_command";
    } catch (PostgresException e) {
      return "archive: cannot check the pgha command as " + cfg.osUser() + ": " + e.getMessage();
    }
  }

  /**
   * The primary's archiving: pg_stat_archiver and the .ready files in pg_wal (what is finished but
   * not archived yet). Null when this server is not a running primary.
   */
  @Override
  public io.pgha.core.model.ArchiveStatus archiveStatus() {
    try (Statement st = connection().createStatement();
         ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery(), archived_count, last_archived_wal, failed_count, last_failed_wal,"
             + " coalesce(last_failed_time > coalesce(last_archived_time, 'epoch'), false) FROM pg_stat_archiver")) {
      rs.next();
      if (rs.getBoolean(1)) return null;
      int pending = 0;
      long bytes = 0;
      try (var files = Files.newDirectoryStream(dataDir.resolve("pg_wal/archive_status"), "*.ready")) {
        for (Path f : files) {
          pending++;
          String n = f.getFileName().toString();
          try {
            bytes += Files.size(dataDir.resolve("pg_wal").resolve(n.substring(0, n.length() - ".ready".length())));
          } catch (IOException gone) {
            // archived meanwhile
          }
        }
      } catch (IOException e) {
        LOG.debug("cannot count .ready files: {}", e.getMessage());
      }
      return new io.pgha.core.model.ArchiveStatus(pending, bytes, rs.getLong(2), rs.getString(3), rs.getLong(4), rs.getString(5), rs.getBoolean(6));
    } catch (SQLException e) {
      return null;
    }
  }

  // ------------------------------------------------------------------ observation

  public boolean dataPresent() {
    return Files.exists(dataDir.resolve("PG_VERSION")) && Files.exists(dataDir.resolve("global/pg_control"));
  }

  /** The member this standby was last pointed at by this agent, or null. */
  public String following() {
    return following;
  }

  @Override
  public LocalState observe() {
    if (!dataPresent()) return LocalState.noData();
    boolean standbySignal = Files.exists(dataDir.resolve("standby.signal"));
    boolean alive = postmasterPid() > 0;
    if (alive) {
      try {
        return observeRunning(standbySignal);
      } catch (SQLException e) {
        closeConnection();
        if (!String.valueOf(e.getMessage()).equals(lastObserveError)) {
          LOG.warn("PostgreSQL is running but does not answer pgha's queries: {}", e.getMessage());
          lastObserveError = e.getMessage();
        }
      }
    }
    ControlData cd = controlData();
    return new LocalState(true, standbySignal, false, false, cd.timeline(), Lsn.max(cd.checkpoint(), cd.minRecoveryPoint()),
        cd.checkpoint(), null, false, cd.state(), cd.checkpoint(), alive);
  }

  /** True when a postmaster process for this data directory is alive (up, starting or stopping). */
  public boolean postmasterAlive() {
    return postmasterPid() > 0;
  }

  /** The live postmaster's pid from postmaster.pid, or -1. */
  public long postmasterPid() {
    return Processes.postmasterPid(dataDir);
  }

  private LocalState observeRunning(boolean standbySignal) throws SQLException {
    String sql = "SELECT pg_is_in_recovery(),"
        + " CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,"
        + " pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,"
        + " CASE WHEN pg_is_in_recovery() THEN NULL ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END,"
        + " (SELECT timeline_id FROM pg_control_checkpoint()),"
        + " (SELECT min_recovery_end_timeline FROM pg_control_recovery()),"
        + " (SELECT status FROM pg_stat_wal_receiver LIMIT 1),"
        + " (SELECT received_tli FROM pg_stat_wal_receiver LIMIT 1)";
    try (Statement st = connection().createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      boolean recovery = rs.getBoolean(1);
      if (!recovery) {
        Lsn cur = Lsn.parse(rs.getString(2));
        int tl = Integer.parseInt(rs.getString(5), 16);
        return new LocalState(true, standbySignal, true, false, tl, cur, cur, null, false, ControlState.IN_PRODUCTION, Lsn.ZERO, true);
      }
      Lsn rcv = rs.getString(3) == null ? Lsn.ZERO : Lsn.parse(rs.getString(3));
      Lsn rpl = rs.getString(4) == null ? Lsn.ZERO : Lsn.parse(rs.getString(4));
      boolean streaming = "streaming".equals(rs.getString(8));
      int received = rs.getInt(9);
      int reported = Math.max(rs.getInt(6), Math.max(rs.getInt(7), received));
      rs.close();
      // While WAL is being received, received_tli is exact (and no history file can name a later
      // timeline for WAL we have); only without a walreceiver is the timeline worked out from files.
      int tl = received > 0 ? reported : Math.max(reported, replayTimeline(Lsn.max(rcv, rpl)));
      return new LocalState(true, standbySignal, true, true, tl, Lsn.max(rcv, rpl), rpl, following, streaming,
          ControlState.IN_ARCHIVE_RECOVERY, Lsn.ZERO, true);
    }
  }

  /**
   * The timeline a standby's WAL position lies on. During recovery PostgreSQL reports only the
   * last restartpoint's timeline, which lags after a timeline switch; the history files in pg_wal
   * say where each timeline began, so the newest one that began at or before {@code position} is
   * the one being replayed. History files never change, so their switch points are cached.
   */
  private int replayTimeline(Lsn position) throws SQLException {
    int best = 0;
    try (Statement st = connection().createStatement();
         ResultSet rs = st.executeQuery("SELECT name FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{8}\\.history$'")) {
      List<String> names = new ArrayList<>();
      while (rs.next()) names.add(rs.getString(1));
      for (String name : names) {
        int tl = Integer.parseInt(name.substring(0, 8), 16);
        if (tl <= best) continue;
        Lsn start = historyStarts.get(tl);
        if (start == null) {
          start = switchpointFromFile("pg_wal/" + name);
          historyStarts.put(tl, start);
        }
        if (!start.isAfter(position)) best = tl;
      }
    }
    return best;
  }

  @Override
  public ControlData controlData() {
    try {
      return ControlData.parse(os.check(List.of(bin.path("pg_controldata"), "-D", dataDir.toString()), env, 30_000, l -> {}));
    } catch (PostgresException e) {
      LOG.warn("pg_controldata failed: {}", e.getMessage());
      return new ControlData("", ControlState.UNKNOWN, Lsn.ZERO, 0, Lsn.ZERO);
    }
  }

  // ------------------------------------------------------------------ SQL

  String localHost() {
    String l = cfg.postgresql().listen().split(",")[0].trim();
    return l.equals("*") || l.equals("0.0.0.0") ? "127.0.0.1" : l.equals("::") ? "::1" : l;
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = connect(localHost(), cfg.postgresql().port(), "postgres");
    }
    return connection;
  }

  /** A superuser connection to any member, with pgha's timeouts. The caller closes it. */
  public Connection connect(String host, int port, String database) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", cfg.postgresql().superuser().username());
    if (cfg.postgresql().superuser().hasPassword()) p.setProperty("password", cfg.postgresql().superuser().password());
    p.setProperty("connectTimeout", "3");
    p.setProperty("socketTimeout", "10");
    p.setProperty("loginTimeout", "5");
    p.setProperty("ApplicationName", "pgha");
    p.setProperty("sslmode", "disable");
    return DriverManager.getConnection("jdbc:postgresql://" + hostForUrl(host) + ":" + port + "/" + database, p);
  }

  private static String hostForUrl(String host) {
    return host.contains(":") ? "[" + host + "]" : host;
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        // already broken
      }
      connection = null;
    }
  }

  private void execute(String sql) throws PostgresException {
    try (Statement st = connection().createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      closeConnection();
      throw new PostgresException("SQL failed: " + e.getMessage(), e);
    }
  }

  /** The standbys connected to this primary (pg_stat_replication), by application_name. */
  @Override
  public List<Replica> replicas() throws PostgresException {
    List<Replica> out = new ArrayList<>();
    try (Statement st = connection().createStatement();
         ResultSet rs = st.executeQuery("SELECT application_name, state, flush_lsn::text FROM pg_stat_replication"
             + " WHERE application_name <> ''")) {
      while (rs.next()) {
        String flush = rs.getString(3);
        out.add(new Replica(rs.getString(1), "streaming".equals(rs.getString(2)),
            flush == null ? Lsn.ZERO : Lsn.parse(flush)));
      }
      return out;
    } catch (SQLException e) {
      closeConnection();
      throw new PostgresException("cannot read pg_stat_replication: " + e.getMessage(), e);
    }
  }

  /** synchronous_standby_names as the running server uses it. */
  @Override
  public String synchronousStandbyNames() throws PostgresException {
    try (Statement st = connection().createStatement(); ResultSet rs = st.executeQuery("SHOW synchronous_standby_names")) {
      rs.next();
      return rs.getString(1);
    } catch (SQLException e) {
      closeConnection();
      throw new PostgresException("cannot read synchronous_standby_names: " + e.getMessage(), e);
    }
  }

  /** The value the next start writes for synchronous_standby_names, without touching the running server. */
  @Override
  public void prepareSynchronousStandbyNames(String value) {
    files.synchronousStandbyNames(value);
  }

  /**
   * Sets synchronous_standby_names and returns once the server uses it: a new session (forked by
   * the postmaster after it reloaded and signalled every process) shows the value, and the WAL
   * senders, which re-read it on their next loop, had a grace period to do so. Returns the WAL
   * position after that (the current insert position on a primary, or zero on a standby).
   */
  @Override
  public Lsn setSynchronousStandbyNames(String value) throws PostgresException, IOException {
    files.synchronousStandbyNames(value);
    files.writePgha(upstream);
    execute("SELECT pg_reload_conf()");
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      try (Connection fresh = connect(localHost(), cfg.postgresql().port(), "postgres");
           Statement st = fresh.createStatement();
           ResultSet rs = st.executeQuery("SHOW synchronous_standby_names")) {
        rs.next();
        if (value.equals(rs.getString(1))) break;
      } catch (SQLException e) {
        throw new PostgresException("cannot confirm synchronous_standby_names: " + e.getMessage(), e);
      }
      if (System.nanoTime() > deadline) throw new PostgresException("PostgreSQL did not take synchronous_standby_names = '" + value + "' within 10 s");
      sleep(5);
    }
    sleep(50);
    try (Statement st = connection().createStatement();
         ResultSet rs = st.executeQuery("SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END")) {
      rs.next();
      return rs.getString(1) == null ? Lsn.ZERO : Lsn.parse(rs.getString(1));
    } catch (SQLException e) {
      closeConnection();
      throw new PostgresException("cannot read the WAL position: " + e.getMessage(), e);
    }
  }

  /**
   * Writes and flushes a small WAL record without waiting for any standby. Commits waiting for a
   * synchronous standby are released only when a WAL sender processes a reply from a standby that
   * counts; a standby that just became synchronous replies only when it receives new WAL (or every
   * wal_receiver_status_interval), and while every client waits, no new WAL comes.
   */
  @Override
  public void nudgeStandbys() throws PostgresException {
    execute("BEGIN; SET LOCAL synchronous_commit = local;"
        + " SELECT pg_logical_emit_message(true, 'pgha', 'synchronous standbys changed'); COMMIT");
  }

  private static void sleep(long ms) throws PostgresException {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PostgresException("interrupted", e);
    }
  }

  @Override
  public SlotControl slots() {
    return new Slots(cfg, this);
  }

  /** The switch point recorded in the history file of {@code timeline} for its parent timeline. */
  @Override
  public Lsn switchpoint(int timeline) throws PostgresException {
    String name = String.format("pg_wal/%08X.history", timeline);
    try {
      return switchpointFromFile(name);
    } catch (SQLException e) {
      closeConnection();
      throw new PostgresException("cannot read " + name + ": " + e.getMessage(), e);
    }
  }

  private Lsn switchpointFromFile(String name) throws SQLException {
    try (Statement st = connection().createStatement();
         ResultSet rs = st.executeQuery("SELECT pg_read_file('" + name + "')")) {
      rs.next();
      return TimelineHistory.lastSwitchpoint(rs.getString(1));
    }
  }

  // ------------------------------------------------------------------ actions

  /** initdb with checksums (pg_rewind needs them or wal_log_hints), then pgha's files. */
  @Override
  public void initdb() throws PostgresException, IOException {
    Directories.delete(dataDir);
    os.ensureOwnedDirectory(dataDir);
    List<String> cmd = new ArrayList<>(List.of(bin.path("initdb"), "-D", dataDir.toString(), "--data-checksums",
        "-E", "UTF8", "--locale=C.UTF-8", "-U", cfg.postgresql().superuser().username(),
        "--wal-segsize=" + cfg.postgresql().walSegmentSizeMb(),
        "--auth-local=peer", "--auth-host=scram-sha-256"));
    String pw = dataDir.getFileName() + ".initpw";
    try (GuardedDirectory state = os.directory(stateDir)) {
      try {
        if (cfg.postgresql().superuser().hasPassword()) {
          state.write(pw, cfg.postgresql().superuser().password() + "\n");
          cmd.add("--pwfile=" + stateDir.resolve(pw));
        }
        os.check(cmd, env, 300_000, l -> LOG.debug("initdb: {}", l));
      } finally {
        state.delete(pw);
      }
    }
    files.writeAll(null, false);
  }

  /** Creates the replication role when it differs from the superuser. Its password is not logged. */
  @Override
  public void createReplicationRole() throws PostgresException {
    var repl = cfg.postgresql().replication();
    if (repl.username().equals(cfg.postgresql().superuser().username())) return;
    String pw = repl.hasPassword() ? " PASSWORD '" + repl.password().replace("'", "''") + "'" : "";
    execute("CREATE ROLE \"" + repl.username() + "\" WITH REPLICATION LOGIN" + pw);
  }

  /** Writes pgha's files for the given role and starts PostgreSQL, waiting until it accepts connections. */
  @Override
  public void start(Upstream upstream, boolean standby) throws PostgresException, IOException {
    if (postmasterPid() <= 0) killOrphans();
    if (standby) files.synchronousStandbyNames("");
    files.writeAll(upstream, standby);
    this.upstream = upstream;
    following = upstream == null ? null : upstream.member();
    try (GuardedDirectory data = os.directory(dataDir)) {
      data.delete("recovery.signal");
    }
    os.check(List.of(bin.path("pg_ctl"), "start", "-D", dataDir.toString(), "-l", logFile().toString(), "-w", "-t", "600", "-s"),
        env, 620_000, l -> LOG.info("pg_ctl: {}", l));
  }

  /** Points a running standby at another upstream; primary_conninfo is reloadable since PostgreSQL 13. */
  @Override
  public void follow(Upstream upstream) throws PostgresException, IOException {
    files.writePgha(upstream);
    this.upstream = upstream;
    following = upstream == null ? null : upstream.member();
    execute("SELECT pg_reload_conf()");
  }

  /**
   * Stops PostgreSQL: {@link StopMode#FAST} (clean: a shutdown checkpoint, and standbys receive all
   * WAL) or another mode. Signals the postmaster directly and waits for the process to exit, which
   * is quicker than pg_ctl's 100 ms polling.
   */
  @Override
  public void stop(StopMode mode) throws PostgresException {
    closeConnection();
    long pid = postmasterPid();
    if (pid <= 0) return;
    os.check(List.of("kill", "-" + mode.signal(), String.valueOf(pid)), Map.of(), 5000, l -> {});
    if (!awaitExit(pid, 120_000)) {
      throw new PostgresException("PostgreSQL (pid " + pid + ") did not stop within 120 s after SIG" + mode.signal());
    }
  }

  /** Waits for the postmaster (not our child) to exit; see {@link Processes}. */
  private static boolean awaitExit(long pid, long timeoutMs) throws PostgresException {
    try {
      return Processes.awaitExit(pid, timeoutMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PostgresException("interrupted while waiting for PostgreSQL (pid " + pid + ") to exit", e);
    }
  }

  /**
   * Kills the postmaster at once with SIGQUIT then SIGKILL, and any PostgreSQL process left working
   * in the data directory (also a postmaster whose pid file cannot be read); used when the lease is
   * lost. True when no such process is left, false when PostgreSQL could not be stopped.
   */
  @Override
  public boolean stopImmediately() {
    long pid = postmasterPid();
    if (pid > 0) {
      try {
        os.run(List.of("kill", "-QUIT", String.valueOf(pid)), Map.of(), 2000);
        if (!awaitExit(pid, 300)) {
          os.run(List.of("kill", "-KILL", String.valueOf(pid)), Map.of(), 2000);
        }
      } catch (PostgresException e) {
        LOG.error("could not stop PostgreSQL (pid {}): {}", pid, e.getMessage());
      }
    }
    killOrphans();
    closeConnection();
    return Processes.postgresIn(dataDir).isEmpty();
  }

  /** SIGKILLs backends left behind by a postmaster that died (they block a new start). */
  private void killOrphans() {
    List<Long> orphans = Processes.postgresIn(dataDir);
    if (orphans.isEmpty()) return;
    LOG.warn("killing {} PostgreSQL processes left behind by a dead postmaster: {}", orphans.size(), orphans);
    List<String> cmd = new ArrayList<>(List.of("kill", "-KILL"));
    orphans.forEach(p -> cmd.add(String.valueOf(p)));
    try {
      os.run(cmd, Map.of(), 2000);
      for (long p : orphans) Processes.awaitExit(p, 2000);
    } catch (PostgresException e) {
      LOG.warn("could not kill the left-over processes: {}", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Restarts an already configured instance in its current role. */
  @Override
  public void restart(Upstream upstream, boolean standby) throws PostgresException, IOException {
    stop(StopMode.FAST);
    start(upstream, standby);
  }

  /** Promotes the standby and waits (polling every 10 ms) until it accepts writes. */
  @Override
  public void promote() throws PostgresException {
    os.check(List.of(bin.path("pg_ctl"), "promote", "-D", dataDir.toString(), "-W", "-s"),
        env, 30_000, l -> LOG.info("pg_ctl: {}", l));
    following = null;
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (System.nanoTime() < deadline) {
      try (Statement st = connection().createStatement(); ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
        rs.next();
        if (!rs.getBoolean(1)) return;
      } catch (SQLException e) {
        closeConnection();
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PostgresException("interrupted while waiting for the promotion", e);
      }
    }
    throw new PostgresException("PostgreSQL did not finish its promotion within 120 s");
  }

  /** An empty directory beside the data directory to build a new copy in (see {@link #installClone}). */
  @Override
  public Path cloneDir() throws IOException {
    Path tmp = sibling(".clone");
    Directories.delete(tmp);
    return tmp;
  }

  /** Replaces the data directory with what was built in {@link #cloneDir()}, configured as a standby of {@code source}. */
  @Override
  public void installClone(Upstream source) throws IOException {
    Path tmp = sibling(".clone");
    try (GuardedDirectory state = os.directory(stateDir); GuardedDirectory clone = state.sub(tmp.getFileName().toString())) {
      if (!clone.has("PG_VERSION")) throw new IOException(tmp + " holds no data directory");
    }
    replaceDataWith(tmp);
    files.writeAll(source, true);
  }

  /** Replaces the data directory with {@code built}, a directory beside it; never through a link. */
  private void replaceDataWith(Path built) throws IOException {
    Directories.delete(dataDir);
    try (GuardedDirectory state = os.directory(stateDir)) {
      state.rename(built.getFileName().toString(), dataDir.getFileName().toString());
    }
  }

  /** Clones {@code source} into a fresh data directory with pg_basebackup, reporting progress. */
  @Override
  public void cloneFrom(Upstream source, Consumer<String> progress) throws PostgresException, IOException {
    Path tmp = sibling(".clone");
    Directories.delete(tmp);
    os.check(List.of(bin.path("pg_basebackup"), "-D", tmp.toString(), "-X", "stream", "-c", "fast", "-P",
        "-h", source.host(), "-p", String.valueOf(source.port()), "-U", cfg.postgresql().replication().username(), "-w"),
        env, LONG_MS, progress);
    replaceDataWith(tmp);
    files.writeAll(source, true);
  }

  /** pg_rewind from {@code source} (stopping first if needed), then configured as its standby. */
  @Override
  public void rewindFrom(Upstream source, Consumer<String> progress) throws PostgresException, IOException {
    stop(StopMode.FAST);
    String conn = "host=" + source.host() + " port=" + source.port() + " user=" + cfg.postgresql().superuser().username()
        + " dbname=postgres connect_timeout=5";
    os.check(List.of(bin.path("pg_rewind"), "-D", dataDir.toString(), "--source-server=" + conn, "-P"),
        env, LONG_MS, progress);
    files.writeAll(source, true);
  }

  /**
   * Makes {@code source} fit to rewind from. pg_rewind learns the source's timeline from its
   * control file, which a newly promoted primary updates only at its next checkpoint (after a
   * promotion PostgreSQL requests a spread one that may take minutes); a stale value makes pg_rewind
   * compute a wrong divergence point. So: when the control file lags the running timeline, run a
   * CHECKPOINT on the source first. Fails when the source cannot be reached at all.
   */
  @Override
  public void prepareRewindSource(Upstream source) throws PostgresException {
    String sql = "SELECT (SELECT timeline_id FROM pg_control_checkpoint()),"
        + " ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int";
    try (Connection c = connect(source.host(), source.port(), "postgres"); Statement st = c.createStatement()) {
      int control;
      int running;
      try (ResultSet rs = st.executeQuery(sql)) {
        rs.next();
        control = rs.getInt(1);
        running = rs.getInt(2);
      }
      if (control != running) {
        LOG.info("{}'s control file still says timeline {} (running {}): checkpointing it before pg_rewind", source.member(), control, running);
        st.execute("CHECKPOINT");
      }
    } catch (SQLException e) {
      throw new PostgresException(source.member() + " (" + source.host() + ":" + source.port() + ") cannot serve as rewind source: " + e.getMessage(), e);
    }
  }

  /** An immediate checkpoint, so that pg_control records the current timeline (after a promotion). */
  @Override
  public void checkpoint() throws PostgresException {
    execute("CHECKPOINT");
  }

  /**
   * Waits until every client transaction that was open when this call began has ended (committed,
   * rolled back, or its session closed), or until {@code timeoutMs} passed. Transactions started
   * later are not waited for. Returns how many were still open at the end.
   */
  @Override
  public int awaitOpenTransactions(long timeoutMs) throws PostgresException, InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    try (Statement st = connection().createStatement()) {
      String since;
      try (ResultSet rs = st.executeQuery("SELECT statement_timestamp()::text")) {
        rs.next();
        since = rs.getString(1);
      }
      String sql = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
          + " AND xact_start < '" + since + "'::timestamptz";
      while (true) {
        int open;
        try (ResultSet rs = st.executeQuery(sql)) {
          rs.next();
          open = rs.getInt(1);
        }
        if (open == 0 || System.nanoTime() - deadline >= 0) return open;
        Thread.sleep(20);
      }
    } catch (SQLException e) {
      closeConnection();
      throw new PostgresException("SQL failed: " + e.getMessage(), e);
    }
  }

  /**
   * Writes the history files of timelines after this standby's one, as the DCS recorded them, into
   * pg_wal, so that a promotion picks a timeline number no member has used (PostgreSQL takes the
   * newest history file it finds plus one). Files already there are left alone.
   */
  @Override
  public void seedHistory(List<HistoryEntry> history, int latest) throws IOException, PostgresException {
    for (int tl = 2; tl <= latest; tl++) {
      String name = String.format("%08X.history", tl);
      Path file = dataDir.resolve("pg_wal").resolve(name);
      if (Files.exists(file)) continue;
      StringBuilder content = new StringBuilder();
      for (int parent = 1; parent < tl; parent++) {
        int p = parent;
        Optional<HistoryEntry> e = history.stream().filter(h -> h.timeline() == p).findFirst();
        if (e.isEmpty()) return; // incomplete history: leave PostgreSQL's own choice
        content.append(parent).append('\t').append(e.get().switchpoint()).append("\tpgha: ").append(e.get().reason()).append('\n');
      }
      writeWal(name, content.toString());
      LOG.info("wrote {} from the DCS history so that promotion picks a fresh timeline", file.getFileName());
    }
  }

  /**
   * Writes {@code name} into pg_wal. pg_wal may legitimately be a link (initdb --waldir) that
   * PostgreSQL's OS user controls; then the file is written beside it and moved by that user.
   */
  private void writeWal(String name, String content) throws IOException, PostgresException {
    try (GuardedDirectory data = os.directory(dataDir)) {
      GuardedDirectory wal;
      try {
        wal = data.sub("pg_wal");
      } catch (java.nio.file.FileSystemException linked) {
        data.write("." + name + ".seed", content);
        os.check(List.of("mv", "-f", dataDir.resolve("." + name + ".seed").toString(), dataDir.resolve("pg_wal").resolve(name).toString()),
            Map.of(), 10_000, l -> {});
        return;
      }
      try (wal) {
        wal.write(name, content);
      }
    }
  }

  /** Removes the data directory. */
  @Override
  public void removeData() throws IOException {
    Directories.delete(dataDir);
  }

  @Override
  public void close() {
    closeConnection();
  }
}
