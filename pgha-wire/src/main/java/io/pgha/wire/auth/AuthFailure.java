package io.pgha.wire.auth;

/**
 * An authentication exchange failed. {@link #getMessage()} is what the client may be told (as
 * PostgreSQL, it says no more than "password authentication failed"); {@link #detail()} is for the
 * router's log and never holds a secret.
 */
public final class AuthFailure extends Exception {
    private final String detail;

    public AuthFailure(String detail) {
        super("password authentication failed");
        this.detail = detail;
    }

    public String detail() {
        return detail;
    }
}
