/** The PostgreSQL wire protocol as the router needs it: startup packets, framing, SQLSTATEs. */
package io.pgha.wire;
