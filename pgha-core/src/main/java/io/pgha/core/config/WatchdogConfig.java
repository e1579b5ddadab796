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

  public enum Mode {
    OFF, AUTOMATIC, REQUIRED;

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
   * The longest timeout that still resets a frozen primary before its lease can expire for the
   * others: ttl minus the safety margin, in whole seconds (watchdog drivers count in seconds).
   */
  public static int defaultTimeoutSeconds(Timing t) {
    return (int) Math.max(1, (t.ttlMs() - t.safetyMarginMs()) / 1000);
  }

  static WatchdogConfig read(Section s, Timing timing) {
    Mode mode = Mode.parse(s.key("mode"), s.string("mode", "off"));
    String device = s.string("device", DEFAULT_DEVICE);
    if (!device.startsWith("/")) throw new ConfigException(s.key("device") + ": '" + device + "' must be an absolute path");
    long timeout = s.integer("timeout", defaultTimeoutSeconds(timing));
    s.rejectUnknown();
    long limitMs = timing.ttlMs() - timing.safetyMarginMs();
    if (mode != Mode.OFF) {
      if (timeout < 1 || timeout * 1000 > limitMs) {
        throw new ConfigException(s.key("timeout") + ": " + timeout + " s would let a frozen primary outlive its lease: at most"
            + " timing.ttl - timing.safety_margin (" + limitMs + " ms), in whole seconds, and at least 1");
      }
      long renew = timing.renewIntervalMs(timing.ttlMs());
      if (timeout * 1000 <= renew) {
        throw new ConfigException(s.key("timeout") + ": " + timeout + " s is not longer than the lease renewal interval ("
            + renew + " ms): the watchdog would reset a healthy primary");
      }
    }
    return new WatchdogConfig(mode, device, (int) timeout);
  }
}
