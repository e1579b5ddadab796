package io.pgha.postgres;

import io.pgha.core.model.ControlState;
import io.pgha.core.model.Lsn;
import java.util.HashMap;
import java.util.Map;

/** The parts of {@code pg_controldata}'s output the agent uses. */
public record ControlData(
        String systemIdentifier, ControlState state, Lsn checkpoint, int timeline, Lsn minRecoveryPoint) {

    public static ControlData parse(String output) {
        Map<String, String> kv = new HashMap<>();
        for (String line : output.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0)
                kv.put(
                        line.substring(0, colon).trim(),
                        line.substring(colon + 1).trim());
        }
        return new ControlData(
                kv.getOrDefault("Database system identifier", ""),
                ControlState.parse(kv.getOrDefault("Database cluster state", "unknown")),
                lsn(kv.get("Latest checkpoint location")),
                Integer.parseInt(kv.getOrDefault("Latest checkpoint's TimeLineID", "0")),
                lsn(kv.get("Minimum recovery ending location")));
    }

    /** pg_control_version of PostgreSQL 13 to 16, whose layout {@link #fromControlFile} reads. */
    static final int CONTROL_VERSION_13_TO_16 = 1300;

    /** Where pg_control's CRC-32C sits for that version on a 64-bit server: it covers every byte before it. */
    static final int CRC_OFFSET = 288;

    /** pg_controldata's words for pg_control's DBState values, in their order. */
    private static final String[] STATES = {
        "starting up",
        "shut down",
        "shut down in recovery",
        "shutting down",
        "in crash recovery",
        "in archive recovery",
        "in production"
    };

    /**
     * The fields pgha uses read from the bytes of {@code global/pg_control} itself, without starting
     * pg_controldata (a process, 50-100 ms on a busy machine, which a switchover waits for). Null when
     * the file is not one this reads: another pg_control_version, another layout (the CRC, computed
     * with the layout of PostgreSQL 13-16 on a 64-bit server, does not match), or too short; the
     * caller then runs pg_controldata.
     */
    public static ControlData fromControlFile(byte[] b) {
        if (b.length < CRC_OFFSET + 4) return null;
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.nativeOrder());
        if (buf.getInt(8) != CONTROL_VERSION_13_TO_16) return null;
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(b, 0, CRC_OFFSET);
        if ((int) crc.getValue() != buf.getInt(CRC_OFFSET)) return null;
        int state = buf.getInt(16);
        if (state < 0 || state >= STATES.length) return null;
        return new ControlData(
                Long.toUnsignedString(buf.getLong(0)),
                ControlState.parse(STATES[state]),
                new Lsn(buf.getLong(32)), // checkPoint
                buf.getInt(48), // checkPointCopy.ThisTimeLineID
                new Lsn(buf.getLong(136))); // minRecoveryPoint
    }

    private static Lsn lsn(String s) {
        return s == null ? Lsn.ZERO : Lsn.parse(s);
    }
}
