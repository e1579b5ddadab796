package io.pgha.archive;

/**
 * WAL file names and segment numbers, as PostgreSQL computes them: a name is timeline, "log" and
 * segment in 8 hex digits each, where a log holds 4 GB / segment size segments.
 */
final class WalNames {
    private WalNames() {}

    /** Segments per 4 GB "log" for {@code segmentSize}. */
    static long perLog(long segmentSize) {
        return 0x1_0000_0000L / segmentSize;
    }

    static int timeline(String name) {
        return Integer.parseInt(name.substring(0, 8), 16);
    }

    /** The segment number of a segment name (the first 24 characters of any WAL file name). */
    static long segNo(String name, long perLog) {
        return Long.parseLong(name.substring(8, 16), 16) * perLog + Long.parseLong(name.substring(16, 24), 16);
    }

    /** The name of segment number {@code n} on {@code timeline}; {@code perLog} 0: n is log << 32 | segment. */
    static String name(int timeline, long n, long perLog) {
        long log = perLog > 0 ? n / perLog : n >>> 32;
        long seg = perLog > 0 ? n % perLog : n & 0xffffffffL;
        return String.format("%08X%08X%08X", timeline, log, seg);
    }

    /** The segment holding WAL position {@code lsn}. */
    static String ofLsn(int timeline, long lsn, long segmentSize) {
        return name(timeline, lsn / segmentSize, perLog(segmentSize));
    }
}
