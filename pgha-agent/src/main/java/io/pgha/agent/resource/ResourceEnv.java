package io.pgha.agent.resource;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks resource names and parameters and turns parameters into the {@code OCF_RESKEY_*}
 * environment variables an agent reads. Names are checked here, once, so that a bad one fails at
 * configuration with a message naming it, not as an agent's puzzling error later.
 */
final class ResourceEnv {
    private static final Pattern PARAMETER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern INSTANCE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]*");
    private static final Pattern OS_USER = Pattern.compile("[a-z_][a-z0-9_-]*\\$?");

    private ResourceEnv() {}

    /** The resource's name, as agents use it in file names ({@code OCF_RESOURCE_INSTANCE}). */
    static String checkInstance(String name) {
        if (name == null || !INSTANCE.matcher(name).matches()) {
            throw new IllegalArgumentException("resource name '" + name
                    + "' is not valid: use letters, digits and _ . : - (starting with a letter or digit)");
        }
        return name;
    }

    static String checkOsUser(String user) {
        if (user != null && !OS_USER.matcher(user).matches()) {
            throw new IllegalArgumentException("OS user '" + user + "' is not a valid user name");
        }
        return user;
    }

    /**
     * The parameters as {@code OCF_RESKEY_name=value}, in the given order. A name must match
     * {@code [A-Za-z_][A-Za-z0-9_]*} (it becomes part of a variable name), must not start with
     * {@code CRM_meta_} (those are set by pgha), and a value must not contain a NUL character.
     */
    static Map<String, String> reskeys(Map<String, String> params) {
        Map<String, String> env = new LinkedHashMap<>();
        params.forEach((name, value) -> {
            if (name == null || !PARAMETER.matcher(name).matches()) {
                throw new IllegalArgumentException("parameter name '" + name
                        + "' is not valid: it must match [A-Za-z_][A-Za-z0-9_]* to become OCF_RESKEY_" + name);
            }
            if (name.startsWith("CRM_meta_")) {
                throw new IllegalArgumentException(
                        "parameter '" + name + "': CRM_meta_* values are set by pgha, not configured");
            }
            if (value == null || value.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(
                        "parameter '" + name + "': value is missing or contains a NUL character");
            }
            env.put("OCF_RESKEY_" + name, value);
        });
        return env;
    }
}
