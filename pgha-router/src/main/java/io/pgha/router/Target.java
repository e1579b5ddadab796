package io.pgha.router;

/** What a listener promises its sessions. */
public enum Target {
    /** Always the primary that holds the leader lease. */
    READ_WRITE("read-write"),
    /** A healthy standby within the lag limit (least sessions first), else per fallback policy. */
    READ_ONLY("read-only");

    private final String label;

    Target(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
