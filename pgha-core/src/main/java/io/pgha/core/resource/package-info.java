/**
 * Resources in the Heartbeat/Pacemaker sense (virtual IPs, OCF resource agents, scripts) that
 * follow the primary, the standbys or every member, with scores, ordering and stickiness, and the
 * fence devices that make a takeover safe. {@link io.pgha.core.resource.ResourcePlanner} is the pure
 * function from a cluster view to one member's plan; the agent carries it out.
 */
package io.pgha.core.resource;
