package io.pgha.dcs;

import io.pgha.core.config.DcsConfig;

/** {@link Dcs} on etcd v3 (stand-in until the implementation lands). */
public final class EtcdDcs {
    private EtcdDcs() {}

    public static Dcs connectMember(DcsConfig dcs, String cluster, long ttlMs) {
        throw new UnsupportedOperationException("etcd is not supported yet");
    }

    public static Dcs connect(DcsConfig dcs, String cluster, long timeoutMs) {
        throw new UnsupportedOperationException("etcd is not supported yet");
    }
}
