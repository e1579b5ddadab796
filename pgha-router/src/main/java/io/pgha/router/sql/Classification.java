package io.pgha.router.sql;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where one query text (one or more statements) may run, and what it does to the session.
 *
 * @param target {@link Target#STANDBY} when every statement only reads and may run on a standby;
 *     {@link Target#PRIMARY} otherwise
 * @param reason why, for logs, metrics and {@code SHOW}: the statement kind, the function, the
 *     clause or the hint that decided it
 * @param beginsReadOnly the text opens a read-only transaction ({@code BEGIN READ ONLY}, {@code
 *     START TRANSACTION READ ONLY}): the whole transaction may run on one standby
 * @param sessionState the text changes session state that can be replayed on another connection
 *     ({@code SET}, {@code RESET}, {@code DISCARD})
 * @param pins session state that cannot be replayed: the client must keep its server connection
 * @param setting for a text that is one session-level {@code SET name ...} or {@code RESET name}
 *     (not of a role), the setting's name: a pooler can replay the text on another connection;
 *     null otherwise
 */
public record Classification(
        Target target, String reason, boolean beginsReadOnly, boolean sessionState, Set<Pin> pins, String setting) {

    public Classification(Target target, String reason, boolean beginsReadOnly, boolean sessionState, Set<Pin> pins) {
        this(target, reason, beginsReadOnly, sessionState, pins, null);
    }

    /** Where a statement may run. */
    public enum Target {
        STANDBY,
        PRIMARY
    }

    /** Why a session must keep its server connection. */
    public enum Pin {
        LISTEN("LISTEN"),
        ADVISORY_LOCK("session advisory lock"),
        TEMP_TABLE("temporary table"),
        HOLD_CURSOR("WITH HOLD cursor"),
        SQL_PREPARE("SQL PREPARE"),
        SESSION_FUNCTION("set_config or setseed"),
        LOAD("LOAD");

        private final String label;

        Pin(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    public Classification {
        pins = pins.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(pins));
    }

    static Classification standby(String reason) {
        return new Classification(Target.STANDBY, reason, false, false, Set.of());
    }

    static Classification primary(String reason) {
        return new Classification(Target.PRIMARY, reason, false, false, Set.of());
    }

    public boolean readOnly() {
        return target == Target.STANDBY;
    }
}
