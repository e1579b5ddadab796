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

    /**
     * Runs the path of {@link #positions} once, against this member's own REST API ({@code self}'s
     * {@code api_url}), without waiting and ignoring the answer: the classes of the HTTP client and
     * of the REST API's codec load and their code runs before the first leader race needs them,
     * instead of during it.
     */
    default void warmUp(Member self) {}
}
