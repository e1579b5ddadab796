/** Messages a server sends that the router reads or writes itself. */
package io.pgha.wire.backend;
