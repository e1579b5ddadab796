package io.pgha.testkit;

import io.pgha.core.model.Lsn;
import io.pgha.core.model.Member;
import io.pgha.core.model.MemberState;
import io.pgha.core.model.Role;
import io.pgha.core.model.Tags;

/** Members of a cluster view for tests that route by it (routers, pools), without agents. */
public final class Members {
    private Members() {}

    /** A running, streaming member with PostgreSQL on 127.0.0.1:{@code port}, at position 100. */
    public static Member running(String name, int port, Role role) {
        return new Member(
                name,
                "http://" + name,
                "127.0.0.1",
                port,
                role,
                MemberState.RUNNING,
                1,
                new Lsn(100),
                new Lsn(100),
                null,
                true,
                Tags.NONE,
                "",
                0);
    }
}
