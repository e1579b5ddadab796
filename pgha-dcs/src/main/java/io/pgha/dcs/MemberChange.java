package io.pgha.dcs;

import io.pgha.core.model.Member;
import java.io.IOException;

/**
 * Whether a member's new record should wake the agents. Members republish their record every cycle
 * (positions, lag, the last decision), and waking every agent for those would make each cycle
 * trigger the next. A change of role or state is different: a standby waiting for a running
 * primary to clone from, or for a member to finish its start, acts on it at once instead of at its
 * next loop.
 */
final class MemberChange {
    private MemberChange() {}

    /** True when role, state or timeline differ, or when either record cannot be read (wake, to be safe). */
    static boolean wakesAgents(byte[] before, byte[] after) {
        if (before == null || after == null) return true;
        try {
            return Json.parse(after, Member.class).changesRoleOrState(Json.parse(before, Member.class));
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }
}
