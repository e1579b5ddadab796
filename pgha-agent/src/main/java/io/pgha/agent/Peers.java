package io.pgha.agent;

import io.pgha.core.config.Credentials;
import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import java.util.Collection;
import java.util.Map;
import java.util.Set;

/** What an agent asks the other members' agents directly; {@link PeerClient} asks over their REST APIs. */
public interface Peers {
    /**
     * Failsafe mode: the names of those {@code members} that confirmed {@code leader} as primary
     * within {@code timeoutMs}, each answer naming the member that was asked.
     */
    Set<String> confirmLeader(Collection<Member> members, String leader, Credentials auth, long timeoutMs);

    /** The live WAL positions of those running standbys among {@code members} that answered in time. */
    Map<String, Lsn> positions(Collection<Member> members, long timeoutMs);
}
