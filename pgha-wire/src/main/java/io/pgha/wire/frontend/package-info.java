/** Messages a client sends: the startup-phase packets and the frontend message types. */
package io.pgha.wire.frontend;
