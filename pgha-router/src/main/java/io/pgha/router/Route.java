package io.pgha.router;

/** The routing choice for one new session: a backend, or wait for the cluster to change. */
public sealed interface Route {
    String reason();

    /**
     * Connect to {@code member} at host:port.
     *
     * @param primary the member holds the leader lease: the session must end when it loses it
     */
    record Backend(String member, String host, int port, boolean primary, String reason) implements Route {}

    /** No backend qualifies now; the session waits (bounded) and is routed again on the next change. */
    record Wait(String reason) implements Route {}
}
