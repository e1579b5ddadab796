package io.pgha.http;

import java.util.concurrent.CompletionStage;

/**
 * Answers one request. Called on the server's event loop, so it must not block: a handler that
 * may wait (on the DCS, on a lock) returns a stage completed by a thread of its own executor. A
 * stage failed with {@link java.util.concurrent.RejectedExecutionException} is answered 503, any
 * other failure 500, and the connection stays usable either way.
 */
@FunctionalInterface
public interface Handler {
    CompletionStage<Response> handle(Request request);
}
