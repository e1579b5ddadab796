/**
 * Resource drivers: the low-level runners of OCF resource agents, plain and LSB scripts, pgha's own
 * virtual IP, fence agents and Patroni-style hooks, each returning what happened without deciding
 * what to do about it.
 */
package io.pgha.agent.resource;
