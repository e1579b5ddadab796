package io.pgha.dcs;

import io.pgha.testkit.InMemoryDcs;
import java.util.HashMap;
import java.util.Map;

/** The in-memory DCS of pgha-testkit passes the same contract as ZooKeeper, in milliseconds. */
class InMemoryDcsTest extends DcsContract {
    private final Map<String, InMemoryDcs.Store> stores = new HashMap<>();

    @Override
    protected Dcs connect(String cluster) {
        return stores.computeIfAbsent(cluster, c -> new InMemoryDcs.Store()).connect();
    }
}
