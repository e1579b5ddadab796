package io.pgha.dcs;

/**
 * What a member that does not hold the leader key knows of it, to end a lease its holder stopped
 * renewing without waiting for the holder's session to expire (ZooKeeper's new leader, after an
 * election of the ensemble, restarts every session's timeout; a crashed holder's key would outlive
 * the crash by the election plus a ttl).
 *
 * <p>The holder renews by bumping the key's version, in a transaction that checks the version of the
 * {@code term} node, which every taking of the key bumps. A member reads the pair (term, version)
 * when the key is created or its watch was set again, and notes when the read answered ({@link
 * #learned}); after that it counts the renewals from the events of its watch, noting when each came
 * ({@link #renewed}), instead of reading the key again several times a second. Each event carries
 * the zxid of its change, so a change the read already showed is not counted twice. When a ttl has passed
 * since it last saw the pair change, it deletes the key in a transaction that checks both ({@link
 * #due}). Why that is as safe as the session's expiry:
 *
 * <ul>
 *   <li>The version read at {@code T} was written by a renewal the holder sent before {@code T}. The
 *       holder stops PostgreSQL {@code ttl - safety_margin} after sending the last renewal that
 *       succeeded, so a delete after {@code T + ttl} that finds the version unchanged (no renewal
 *       was applied since) comes after the holder stopped, with the same margin the session's
 *       expiry leaves.
 *   <li>A renewal applied after the read changes the version, and the delete fails. A renewal that
 *       loses to the delete comes from a holder that had stopped already.
 *   <li>A new holder bumps the term, so neither a delete meant for the old key nor a late renewal
 *       of the old holder can touch the new one, whatever its version.
 *   <li>A stale read (a lagging server) or a miscount (events lost with a connection) only makes the
 *       delete fail, and the key is read again. An event comes after the change it tells of was
 *       applied, so a count that is right is as good as a read when the event came.
 * </ul>
 *
 * Pure logic on times the caller gives (nanoseconds of a monotonic clock); thread-safe.
 */
final class UnrenewedLease {
    /** The pair read, and when it was first read; null while no key is known. */
    private Seen seen;

    /**
     * A reading of the leader key: its term, its version, its holder's session, the zxid of the
     * change that gave the version, and a time after that change was applied.
     */
    record Seen(int term, int version, long owner, long zxid, long sinceNanos) {}

    /**
     * Records a read of the key that answered at {@code atNanos}; {@code term} -1 when there is no
     * term node (a key taken by an older pgha, which only its session's expiry ends). The same term and version read
     * again keep the earlier time: nothing was renewed in between (a re-read after a reconnection
     * does not restart the count).
     */
    synchronized void learned(int term, int version, long owner, long zxid, long atNanos) {
        if (seen != null && seen.term == term && seen.version == version && seen.owner == owner && seen.zxid == zxid)
            return;
        seen = new Seen(term, version, owner, zxid, atNanos);
    }

    /**
     * The watch told at {@code atNanos} of a renewal by the change {@code zxid}: the version goes up
     * by one, unless the last read already showed that change. False when the key must be read: none
     * is known, or the event carries no zxid (a server before ZooKeeper 3.9).
     */
    synchronized boolean renewed(long zxid, long atNanos) {
        if (seen == null || zxid < 0) return false;
        if (zxid <= seen.zxid) return true;
        seen = new Seen(seen.term, seen.version + 1, seen.owner, zxid, atNanos);
        return true;
    }

    /** The key is gone (deleted, expired, or not there when read). */
    synchronized void gone() {
        seen = null;
    }

    /** What was last read, or null. */
    synchronized Seen seen() {
        return seen;
    }

    /**
     * The reading whose key may be deleted now: unchanged for {@code ttlNanos} since first read, and
     * held by another session than {@code mySession} (the holder's own guard ends its lease). Null
     * when nothing is due.
     */
    synchronized Seen due(long nowNanos, long ttlNanos, long mySession) {
        if (seen == null || seen.owner == mySession || seen.term < 0) return null;
        return nowNanos - seen.sinceNanos >= ttlNanos ? seen : null;
    }

    /** How long until the known key is due, in nanoseconds (0 when it is); -1 when nothing is known. */
    synchronized long untilDueNanos(long nowNanos, long ttlNanos, long mySession) {
        if (seen == null || seen.owner == mySession || seen.term < 0) return -1;
        return Math.max(0, seen.sinceNanos + ttlNanos - nowNanos);
    }
}
