package io.pgha.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import java.util.Map;

/**
 * pgha's logging defaults, set up in code when logback starts (logback finds this class through
 * {@code META-INF/services}). It replaces a logback.xml: reading XML with logback's Joran cost every
 * pgha process about 0.2 s of its start, the CLI's included. {@link LogSetup} then applies a config
 * file's {@code log:} section on top.
 *
 * <ul>
 *   <li>one console appender named {@code OUT} on standard error, with a full timestamp and its zone
 *       offset (ISO-8601), the level, {@code [node]} (system property {@code pgha.node}, read once)
 *       and the logger's simple name;
 *   <li>the root level from {@code pgha.log.level} (Main sets WARN for CLI commands, INFO for
 *       daemons), ZooKeeper's and Curator's from {@code pgha.zk.log.level} (WARN);
 *   <li>libraries that report every retry or every expected close are quieter: pgha reports what
 *       failed once, in its own words.
 * </ul>
 *
 * A user's own file still wins: with {@code -Dlogback.configurationFile=FILE} this class steps aside,
 * and so it does when the class path carries a {@code logback-test.xml} (pgha's tests), unless
 * {@code -Dpgha.log.defaults=true} asks for the shipped defaults (the agents tests start).
 */
public final class LogDefaults extends ContextAwareBase implements Configurator {
    /** Levels below the root's, by logger name. */
    private static final Map<String, Level> QUIET = Map.ofEntries(
            Map.entry("org.apache.zookeeper.server.embedded", Level.ERROR),
            Map.entry("org.apache.zookeeper.ClientCnxn", Level.ERROR),
            // a CLI command that closes its session while a connect attempt is pending gets a stack trace here
            Map.entry("org.apache.zookeeper.ClientCnxnSocketNetty", Level.OFF),
            Map.entry("org.apache.zookeeper.server.NIOServerCnxn", Level.ERROR),
            Map.entry("org.apache.zookeeper.server.quorum", Level.OFF),
            Map.entry("org.apache.curator.ConnectionState", Level.OFF),
            Map.entry("org.apache.curator.framework.imps.CuratorFrameworkImpl", Level.OFF),
            Map.entry("org.apache.curator.framework.state.ConnectionStateManager", Level.ERROR),
            // jetcd logs every retry of a failed call; EtcdDcs reports what failed, once
            Map.entry("io.etcd.jetcd", Level.ERROR),
            Map.entry("io.vertx", Level.ERROR),
            Map.entry("io.grpc", Level.ERROR));

    @Override
    public ExecutionStatus configure(LoggerContext ctx) {
        if (System.getProperty("logback.configurationFile") != null) return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        if (!Boolean.getBoolean("pgha.log.defaults")
                && LogDefaults.class.getClassLoader().getResource("logback-test.xml") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        apply(ctx);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Sets the defaults up in {@code ctx}. */
    static void apply(LoggerContext ctx) {
        ctx.getStatusManager().add(new NopStatusListener());
        String node = ctx.getProperty("pgha.node");
        if (node == null) node = System.getProperty("pgha.node", "pgha");
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSxxx} %-5level [" + literal(node) + "] %logger{0}: %msg%n");
        encoder.start();
        ConsoleAppender<ILoggingEvent> out = new ConsoleAppender<>();
        out.setContext(ctx);
        out.setName("OUT");
        out.setTarget("System.err");
        out.setEncoder(encoder);
        out.start();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(System.getProperty("pgha.log.level"), Level.WARN));
        root.addAppender(out);
        Level zk = Level.toLevel(System.getProperty("pgha.zk.log.level"), Level.WARN);
        ctx.getLogger("org.apache.zookeeper").setLevel(zk);
        ctx.getLogger("org.apache.curator").setLevel(zk);
        QUIET.forEach((name, level) -> ctx.getLogger(name).setLevel(level));
    }

    /** {@code s} as literal text of a logback pattern. */
    static String literal(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c == '%' || c == '(' || c == ')' || c == '\\') b.append('\\');
            b.append(c);
        }
        return b.toString();
    }
}
