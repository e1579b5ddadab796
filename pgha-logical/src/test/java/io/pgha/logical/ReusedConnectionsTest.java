package io.pgha.logical;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A move's connections: one per node and database, kept across close(), replaced when broken. */
class ReusedConnectionsTest {

    /** A stand-in connection that records what was done to it. */
    static final class Fake {
        final String node;
        boolean closed;
        boolean valid = true;
        boolean autoCommit = true;
        int rollbacks;
        final Connection proxy;

        Fake(String node) {
            this.node = node;
            this.proxy = (Connection) Proxy.newProxyInstance(
                    getClass().getClassLoader(),
                    new Class<?>[] {Connection.class},
                    (p, m, args) -> switch (m.getName()) {
                        case "close" -> {
                            closed = true;
                            yield null;
                        }
                        case "isClosed" -> closed;
                        case "isValid" -> valid;
                        case "getAutoCommit" -> autoCommit;
                        case "setAutoCommit" -> {
                            autoCommit = (Boolean) args[0];
                            yield null;
                        }
                        case "rollback" -> {
                            rollbacks++;
                            yield null;
                        }
                        case "toString" -> "fake " + node;
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }
    }

    static final class Servers implements SetServers {
        final List<Fake> opened = new ArrayList<>();

        @Override
        public Connection connect(String node, String database) {
            Fake f = new Fake(node + "/" + database);
            opened.add(f);
            return f.proxy;
        }

        @Override
        public String conninfo(String node) {
            return "host=" + node;
        }

        @Override
        public boolean isCluster(String node) {
            return false;
        }

        @Override
        public void keepSlot(String node, String slot, String database, boolean keep) {}

        @Override
        public void close() {}
    }

    @Test
    void oneConnectionPerNodeAndDatabaseIsKeptAcrossClose() throws Exception {
        Servers servers = new Servers();
        ReusedConnections reused = new ReusedConnections(servers);
        try (Connection c = reused.connect("a", "db")) {
            assertThat(c.isClosed()).isFalse();
        }
        reused.connect("a", "db").close();
        reused.connect("b", "db").close();
        reused.connect("a", "other").close();
        assertThat(servers.opened).extracting(f -> f.node).containsExactly("a/db", "b/db", "a/other");
        assertThat(servers.opened).noneMatch(f -> f.closed);

        reused.close();
        assertThat(servers.opened).allMatch(f -> f.closed);
    }

    @Test
    void aTransactionLeftOpenIsRolledBackAtCloseAndABrokenConnectionIsReplaced() throws Exception {
        Servers servers = new Servers();
        ReusedConnections reused = new ReusedConnections(servers);
        Connection c = reused.connect("a", "db");
        c.setAutoCommit(false);
        c.close();
        Fake first = servers.opened.get(0);
        assertThat(first.rollbacks).isEqualTo(1);
        assertThat(first.autoCommit).isTrue();
        assertThat(first.closed).isFalse();

        first.valid = false; // the server went away
        reused.connect("a", "db").close();
        assertThat(servers.opened).hasSize(2);
        assertThat(first.closed).isTrue();
        assertThat(servers.opened.get(1).closed).isFalse();
        reused.close();
    }
}
