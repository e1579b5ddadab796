package io.pgha.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.pgha.core.config.LogConfig;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Applies a config file's {@code log:} section to the running logback, after {@link LogDefaults} set the
 * defaults: the root level, the levels of single loggers, and text or JSON lines on the console
 * appenders. Only daemons (agent, router, ZooKeeper server) call it; CLI commands keep their quiet
 * defaults whatever the node file says.
 *
 * <p>It may be called again with a changed section (a config reload): what an earlier call changed
 * is first put back as LogDefaults had it, so a logger dropped from {@code log.loggers} returns to
 * its default instead of keeping its old level.
 */
final class LogSetup {
    /** Levels (possibly null: inherited) as they were before this class changed them, by logger name. */
    private static final Map<String, Level> ORIGINAL_LEVELS = new LinkedHashMap<>();
    /** Encoders replaced by the JSON one, by appender. */
    private static final Map<OutputStreamAppender<ILoggingEvent>, Encoder<ILoggingEvent>> ORIGINAL_ENCODERS =
            new HashMap<>();

    private LogSetup() {}

    /**
     * Applies {@code log} for the process named {@code node} (put into every JSON line). A no-op when
     * SLF4J is not bound to logback.
     */
    static synchronized void apply(LogConfig log, String node) {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx)) return;
        ORIGINAL_LEVELS.forEach((name, level) -> ctx.getLogger(name).setLevel(level));
        ORIGINAL_LEVELS.clear();
        level(ctx, Logger.ROOT_LOGGER_NAME, log.level());
        log.loggers().forEach((name, level) -> level(ctx, name, level));
        ORIGINAL_ENCODERS.forEach(OutputStreamAppender::setEncoder);
        ORIGINAL_ENCODERS.clear();
        if (log.format() == LogConfig.Format.JSON) json(ctx, node);
    }

    private static void level(LoggerContext ctx, String name, String level) {
        if (level == null) return;
        Logger l = ctx.getLogger(name);
        ORIGINAL_LEVELS.putIfAbsent(name, l.getLevel());
        l.setLevel(Level.toLevel(level));
    }

    /** Every console or file appender of the root logger writes JSON lines from now on. */
    private static void json(LoggerContext ctx, String node) {
        for (Iterator<Appender<ILoggingEvent>> it =
                        ctx.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
                it.hasNext(); ) {
            if (!(it.next() instanceof OutputStreamAppender<ILoggingEvent> a)) continue;
            JsonLogEncoder enc = new JsonLogEncoder();
            enc.setContext(ctx);
            enc.setNode(node);
            enc.start();
            ORIGINAL_ENCODERS.put(a, a.getEncoder());
            // The appender reads its encoder for each event; swapping it needs no restart, and
            // restarting a console appender would reopen standard error for nothing.
            a.setEncoder(enc);
        }
    }
}
