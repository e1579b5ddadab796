/** The DCS, the cluster's shared truth, and its ZooKeeper implementation (Curator, embedded ensemble). */
package io.pgha.dcs;
