package io.pgha.testkit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListSet;

/**
 * A money-moving workload: each transaction moves a random amount between two of {@code accounts}
 * accounts and logs the transfer under its number, so that the total never changes and every
 * acknowledged transfer can be looked up. Accounts are updated in id order (no deadlocks).
 */
public final class Bank extends Workload {
    public static final long OPENING_BALANCE = 1000;

    private final int accounts;
    private final ConcurrentSkipListSet<Long> acked = new ConcurrentSkipListSet<>();
    private final Random random = new Random(7);
    private long next = 1;

    public Bank(String jdbcUrl, int accounts) throws SQLException {
        super(jdbcUrl, "bank");
        this.accounts = accounts;
        try (Connection c = connect();
                Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS accounts (id int PRIMARY KEY, balance bigint NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS transfers (id bigint PRIMARY KEY, src int, dst int, amount bigint)");
            st.execute("INSERT INTO accounts SELECT g, " + OPENING_BALANCE + " FROM generate_series(1, " + accounts
                    + ") g ON CONFLICT DO NOTHING");
            try (ResultSet rs = st.executeQuery("SELECT coalesce(max(id), 0) FROM transfers")) {
                rs.next();
                next = rs.getLong(1) + 1;
            }
        }
    }

    public long expectedTotal() {
        return OPENING_BALANCE * accounts;
    }

    public Bank start() {
        begin();
        return this;
    }

    @Override
    protected void writeWith(Connection c) throws SQLException, InterruptedException {
        try (PreparedStatement debit = c.prepareStatement("UPDATE accounts SET balance = balance - ? WHERE id = ?");
                PreparedStatement credit =
                        c.prepareStatement("UPDATE accounts SET balance = balance + ? WHERE id = ?");
                PreparedStatement log = c.prepareStatement("INSERT INTO transfers VALUES (?, ?, ?, ?)")) {
            c.setAutoCommit(false);
            while (running()) {
                int a = 1 + random.nextInt(accounts);
                int b = 1 + random.nextInt(accounts - 1);
                if (b >= a) b++;
                long amount = 1L + random.nextInt(50);
                for (int id : new int[] {Math.min(a, b), Math.max(a, b)}) {
                    PreparedStatement ps = id == a ? debit : credit;
                    ps.setLong(1, amount);
                    ps.setInt(2, id);
                    ps.executeUpdate();
                }
                log.setLong(1, next);
                log.setInt(2, a);
                log.setInt(3, b);
                log.setLong(4, amount);
                log.executeUpdate();
                c.commit();
                if (!cancelledSyncWait(c.getWarnings())) acked.add(next);
                c.clearWarnings();
                next++;
                Thread.sleep(5);
            }
        }
    }

    @Override
    protected void failed() {
        next++; // the transfer in flight may or may not have committed: its number is never reused
    }

    /** Numbers of the transfers acknowledged to this client. */
    public ConcurrentSkipListSet<Long> acked() {
        return acked;
    }
}
