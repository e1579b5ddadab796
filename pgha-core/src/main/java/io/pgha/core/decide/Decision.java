package io.pgha.core.decide;

/**
 * What the agent does this cycle. A closed set: the executor switches over it exhaustively. Every
 * decision carries a reason for people, logged and shown by {@code pgha list}.
 */
public sealed interface Decision {
    String reason();

    /** Dispatches to the visitor's method for this decision (exhaustive at compile time). */
    <R> R accept(Visitor<R> v) throws Exception;

    /** One method per decision; adding a decision breaks every visitor until it handles it. */
    interface Visitor<R> {
        R onWait(Wait d) throws Exception;

        R onBootstrap(Bootstrap d) throws Exception;

        R onClone(Clone d) throws Exception;

        R onStartStandby(StartStandby d) throws Exception;

        R onRestartPrimary(RestartPrimary d) throws Exception;

        R onFollow(Follow d) throws Exception;

        R onTakeOver(TakeOver d) throws Exception;

        R onPromote(Promote d) throws Exception;

        R onKeepLeading(KeepLeading d) throws Exception;

        R onReacquireLease(ReacquireLease d) throws Exception;

        R onDemote(Demote d) throws Exception;

        R onReleaseLease(ReleaseLease d) throws Exception;

        R onRewind(Rewind d) throws Exception;

        R onReclone(Reclone d) throws Exception;
    }

    /** Nothing to do (healthy, or waiting for something outside this member). */
    record Wait(String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onWait(this);
        }
    }

    /** Take the initialize key, run initdb, start as primary and take the lease. */
    record Bootstrap(String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onBootstrap(this);
        }
    }

    /** Clone the data directory from {@code source} with pg_basebackup and start as its standby. */
    record Clone(String source, String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onClone(this);
        }
    }

    /** Start the stopped local PostgreSQL as a standby of {@code upstream} (null: no upstream yet). */
    record StartStandby(String upstream, String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onStartStandby(this);
        }
    }

    /** Start the stopped local primary again; this member holds the lease. */
    record RestartPrimary(String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onRestartPrimary(this);
        }
    }

    /** Point the running standby at {@code upstream}. */
    record Follow(String upstream, String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onFollow(this);
        }
    }

    /** Take the vacant leader key and, on success, promote the local standby. */
    record TakeOver(String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onTakeOver(this);
        }
    }

    /** The lease is already held: promote the local standby. */
    record Promote(String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onPromote(this);
        }
    }

    /** Renew the lease, publish the primary's position, keep replication slots. */
    record KeepLeading(String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onKeepLeading(this);
        }
    }

    /** A running primary with a vacant leader key takes the key back. */
    record ReacquireLease(String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onReacquireLease(this);
        }
    }

    /**
     * Stop accepting writes now. For a switchover the primary shuts down cleanly, records its
     * shutdown checkpoint for the candidate and releases the lease; otherwise it stops at once.
     */
    record Demote(boolean forSwitchover, String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onDemote(this);
        }
    }

    /** Give the lease up so that a standby can take over. */
    record ReleaseLease(String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onReleaseLease(this);
        }
    }

    /** Stop if needed, pg_rewind from {@code source}, and start as its standby. */
    record Rewind(String source, String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onRewind(this);
        }
    }

    /** Wipe the local data directory and clone it again from {@code source}. */
    record Reclone(String source, String reason) implements Decision {
        @Override
        public <R> R accept(Visitor<R> v) throws Exception {
            return v.onReclone(this);
        }
    }
}
