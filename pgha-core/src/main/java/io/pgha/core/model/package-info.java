/** The cluster's vocabulary: members, LSNs, timelines, the DCS snapshot. Immutable values, no I/O. */
package io.pgha.core.model;
