package io.pgha.router.pool;

import io.pgha.wire.auth.Md5Password;
import io.pgha.wire.auth.ScramVerifier;

/**
 * What the router knows of a user's password: PostgreSQL's SCRAM verifier, its md5 hash, or (from
 * an auth file) the password itself. {@link #toString()} never shows it.
 */
public sealed interface Secret {
    /** A SCRAM-SHA-256 verifier ({@code pg_authid.rolpassword}, or an auth file entry). */
    record Verifier(ScramVerifier verifier) implements Secret {
        @Override
        public String toString() {
            return "Secret[SCRAM-SHA-256]";
        }
    }

    /** An md5 hash ({@code md5} and 32 hex digits). */
    record Md5(String hash) implements Secret {
        public Md5 {
            if (!Md5Password.looksLikeOne(hash)) throw new IllegalArgumentException("not an md5 password hash");
        }

        @Override
        public String toString() {
            return "Secret[md5]";
        }
    }

    /** The password itself (an auth file may hold it; pg_authid never does). */
    record Plain(String password) implements Secret {
        @Override
        public String toString() {
            return "Secret[plain]";
        }
    }

    /** Reads PostgreSQL's (and PgBouncer's) text form: a verifier, an md5 hash, or else a password. */
    static Secret parse(String text) {
        if (ScramVerifier.looksLikeOne(text)) return new Verifier(ScramVerifier.parse(text));
        if (Md5Password.looksLikeOne(text)) return new Md5(text);
        return new Plain(text);
    }
}
