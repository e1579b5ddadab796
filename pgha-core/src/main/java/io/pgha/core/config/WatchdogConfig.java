package io.pgha.core.config;

import java.util.Locale;

/**
 * The Linux watchdog that fences a frozen primary: armed before this member promotes, fed only
 * after each successful lease renewal, so that an agent that stops (SIGSTOP, a long pause) gets
 * its machine reset before the lease can expire for the other members.
 *
 * @param mode off; automatic (use it when it can be opened); required (never become primary
 *     without it)
 * @param device the watchdog device, normally {@code /dev/watchdog}
 * @param timeoutSeconds how long after the last feed the machine is reset
 */
public record WatchdogConfig(Mode mode, String device, int timeoutSeconds) {
    public static final String DEFAULT_DEVICE = "/dev/watchdog";
    static final long MAX_TIMEOUT_SECONDS = 3600;

    public enum Mode {
        OFF,
        AUTOMATIC,
        REQUIRED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Mode parse(String key, String text) {
            return switch (text.trim().toLowerCase(Locale.ROOT)) {
                case "off", "false" -> OFF;
                case "automatic", "auto" -> AUTOMATIC;
                case "required" -> REQUIRED;
                default -> throw new ConfigException(key + ": '" + text + "' is not one of off, automatic, required");
            };
        }
    }

    public static WatchdogConfig off() {
        return new WatchdogConfig(Mode.OFF, DEFAULT_DEVICE, 1);
    }

    /**
     * The timeout that lets a live agent whose renewals fail stop PostgreSQL and disarm first (it does
     * so when the lease validity, ttl minus the safety margin, runs out), yet resets a frozen node
     * before the lease can expire for the others (ttl): the validity rounded up to whole seconds
     * (watchdog drivers count in seconds).
     */
    public static int defaultTimeoutSeconds(Timing t) {
        return (int) Math.max(1, (t.ttlMs() - t.safetyMarginMs() + 999) / 1000);
    }

    /** Time left between the watchdog reset and the earliest moment another member may take over. */
    static final long RESET_ROOM_MS = 200;

    static WatchdogConfig read(Section s, Timing timing) {
        Mode mode = Mode.parse(s.key("mode"), s.string("mode", "off"));
        String device = s.string("device", DEFAULT_DEVICE);
        if (!device.startsWith("/"))
            throw new ConfigException(s.key("device") + ": '" + device + "' must be an absolute path");
        // Linux watchdog drivers take the timeout as an int of seconds; none goes near an hour.
        long timeout = s.integer("timeout", defaultTimeoutSeconds(timing), 1, MAX_TIMEOUT_SECONDS);
        s.rejectUnknown();
        long validityMs = timing.ttlMs() - timing.safetyMarginMs();
        long limitMs = timing.ttlMs() - RESET_ROOM_MS;
        if (mode != Mode.OFF) {
            if (timeout * 1000 > limitMs) {
                throw new ConfigException(s.key("timeout") + ": " + timeout
                        + " s would let a frozen primary outlive its lease (timing.ttl "
                        + timing.ttlMs() + " ms; the reset must come at least " + RESET_ROOM_MS + " ms earlier)"
                        + (timeout == defaultTimeoutSeconds(timing)
                                ? ": raise timing.ttl or timing.safety_margin so that a whole number of"
                                        + " seconds fits between the lease validity (" + validityMs
                                        + " ms) and timing.ttl"
                                : ""));
            }
            if (timeout * 1000 < validityMs) {
                throw new ConfigException(
                        s.key("timeout") + ": " + timeout
                                + " s is shorter than the lease validity (timing.ttl - timing.safety_margin = "
                                + validityMs
                                + " ms): a primary that merely lost the DCS would be reset before it could stop PostgreSQL itself");
            }
        }
        return new WatchdogConfig(mode, device, (int) timeout);
    }
}
