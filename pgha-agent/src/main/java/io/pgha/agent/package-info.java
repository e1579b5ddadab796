/** The per-node agent: its observe-decide-act loop, lease guard, executor, cluster control and REST API. */
package io.pgha.agent;
