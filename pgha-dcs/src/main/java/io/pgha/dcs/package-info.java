/**
 * The DCS, the cluster's shared truth, and its implementations: ZooKeeper (Curator, embedded ensemble)
 * and etcd v3 (jetcd; {@link io.pgha.dcs.LocalEtcd} runs a local etcd for the demo and tests).
 */
package io.pgha.dcs;
