package io.pgha.core.resource;

import java.util.List;
import java.util.Map;

/**
 * A fence device: a fence agent (Debian's {@code fence-agents}, or a user's own) run with its
 * options as {@code key=value} lines on stdin.
 *
 * @param name the device's name in the config
 * @param agent the fence agent's path
 * @param options the agent's options (ip, username, ...; a password is better given with the
 *     agent's own {@code passwd_script} than written into the DCS)
 * @param targets the members this device can fence; empty: every member
 * @param plugs the plug (port) per member; a member not listed is its own name
 * @param action off or reboot
 * @param timeoutMs how long one call may take
 */
public record FenceDevice(
        String name,
        String agent,
        Map<String, String> options,
        List<String> targets,
        Map<String, String> plugs,
        String action,
        long timeoutMs) {
    public static final long DEFAULT_TIMEOUT_MS = 60_000;

    public FenceDevice {
        options = options == null ? Map.of() : Map.copyOf(options);
        targets = targets == null ? List.of() : List.copyOf(targets);
        plugs = plugs == null ? Map.of() : Map.copyOf(plugs);
        action = action == null ? "off" : action;
    }

    public boolean canFence(String member) {
        return targets.isEmpty() || targets.contains(member);
    }

    public String plug(String member) {
        return plugs.getOrDefault(member, member);
    }
}
