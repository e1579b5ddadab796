package io.pgha.core.model;

/**
 * Per-member tags. {@code nofailover}: never promoted automatically; {@code noloadbalance}: skipped
 * by read-only routing; {@code priority}: higher wins a failover tie on WAL position; {@code
 * nosync}: never chosen as a synchronous standby; {@code sync_priority}: higher is chosen first as
 * a synchronous standby.
 */
@SuppressWarnings("InvalidParam") // the Javadoc names the tags as written in the config, not the parameters
public record Tags(boolean noFailover, boolean noLoadBalance, int priority, boolean noSync, int syncPriority) {
    public static final Tags NONE = new Tags(false, false, 0, false, 0);

    public Tags(boolean noFailover, boolean noLoadBalance, int priority) {
        this(noFailover, noLoadBalance, priority, false, 0);
    }

    public String describe() {
        StringBuilder s = new StringBuilder();
        if (noFailover) s.append("nofailover ");
        if (noLoadBalance) s.append("noloadbalance ");
        if (noSync) s.append("nosync ");
        if (priority != 0) s.append("priority=").append(priority).append(' ');
        if (syncPriority != 0) s.append("sync_priority=").append(syncPriority);
        return s.toString().trim();
    }
}
