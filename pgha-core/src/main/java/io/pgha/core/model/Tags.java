package io.pgha.core.model;

/**
 * Per-member tags. {@code nofailover}: never promoted automatically; {@code noloadbalance}: skipped
 * by read-only routing; {@code priority}: higher wins a failover tie on WAL position.
 */
public record Tags(boolean noFailover, boolean noLoadBalance, int priority) {
  public static final Tags NONE = new Tags(false, false, 0);

  public String describe() {
    StringBuilder s = new StringBuilder();
    if (noFailover) s.append("nofailover ");
    if (noLoadBalance) s.append("noloadbalance ");
    if (priority != 0) s.append("priority=").append(priority);
    return s.toString().trim();
  }
}
