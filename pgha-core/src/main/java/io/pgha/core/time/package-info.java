/** The clock the agent reads, injected so that tests step time. */
package io.pgha.core.time;
