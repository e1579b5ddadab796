package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.Tags;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecentMembersTest {
    private static final long S = 1_000_000_000L;

    private static Member m(String name) {
        return new Member(
                name,
                "http://" + name,
                "h",
                5432,
                Role.STANDBY,
                MemberState.RUNNING,
                1,
                Lsn.ZERO,
                Lsn.ZERO,
                null,
                true,
                Tags.NONE,
                "",
                0);
    }

    private static List<String> names(List<Member> ms) {
        return ms.stream().map(Member::name).sorted().toList();
    }

    @Test
    void membersWhoseRecordVanishedMustStillConfirmForAWhile() {
        RecentMembers r = new RecentMembers(60_000);
        r.saw(List.of(m("a"), m("b"), m("c")), 0);
        r.saw(List.of(m("a")), 10 * S); // b's and c's sessions expired: their records are gone
        assertThat(names(r.others("a", 30 * S))).containsExactly("b", "c");
        assertThat(names(r.others("b", 30 * S))).containsExactly("a", "c");
        r.saw(List.of(m("a"), m("b")), 50 * S);
        assertThat(names(r.others("a", 65 * S))).as("c was last seen 65 s ago").containsExactly("b");
        assertThat(r.others("x", 200 * S)).isEmpty();
    }
}
