package io.pgha.postgres;

import io.pgha.core.decide.SlotPlanner.Slot;
import io.pgha.core.model.Lsn;
import io.pgha.postgres.ConfigFiles.Upstream;
import java.io.IOException;
import java.util.List;

/** Replication slots on the local server, as the agent keeps them ({@link Slots} is the real one). */
public interface SlotControl {
    /** The local server's slots, temporary ones left out. */
    List<Slot> list() throws PostgresException;

    /** A physical slot that reserves WAL from now on. */
    void createPhysical(String name) throws PostgresException;

    /** A logical slot in {@code database}; PostgreSQL needs wal_level=logical for it. */
    void createLogical(String name, String database, String plugin) throws PostgresException;

    void drop(String name) throws PostgresException;

    /** Moves the logical slot {@code name} forward to {@code to} (on a standby: at most its replay position). */
    void advance(String name, String database, Lsn to) throws PostgresException;

    /** Copies the logical slot {@code name}'s state file from {@code primary}; PostgreSQL loads it at its next start. */
    void copyFrom(Upstream primary, String name) throws PostgresException, IOException;
}
