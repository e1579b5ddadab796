/** One small HTTP server on Netty, shared by the agent's REST API and the router's API, with TLS, a client allowlist and request timeouts. */
package io.pgha.http;
