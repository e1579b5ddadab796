package io.pgha.core.config;

/** A user name and password. {@link #toString()} never shows the password. */
public record Credentials(String username, String password) {
    public boolean hasPassword() {
        return password != null && !password.isEmpty();
    }

    @Override
    public String toString() {
        return "Credentials[username=" + username + ", password=" + (hasPassword() ? "****" : "none") + "]";
    }
}
