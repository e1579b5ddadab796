package io.pgha.core.resource;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Fencing (STONITH) before a takeover.
 *
 * @param mode when a failover fences the old primary first
 * @param devices the fence devices by name
 * @param levels the order in which devices are tried: every device of the first level must
 *     succeed, else the next level is tried (Pacemaker's fencing topology); empty: each device in
 *     name order, one per level
 */
public record Fencing(Mode mode, Map<String, FenceDevice> devices, List<List<String>> levels) {
    public static final Fencing OFF = new Fencing(Mode.OFF, Map.of(), List.of());

    public Fencing {
        mode = mode == null ? Mode.OFF : mode;
        devices = devices == null ? Map.of() : Map.copyOf(devices);
        levels = levels == null ? List.of() : levels.stream().map(List::copyOf).toList();
    }

    /** When a failover must fence the old primary. */
    public enum Mode {
        /** Never. */
        OFF,
        /** Only when the old primary's state is unknown: its agent does not answer. */
        WHEN_UNKNOWN,
        /** Always, before any promotion that takes over from another member. */
        REQUIRED;

        public String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** The levels to try for {@code member}, each with only the devices that can fence it. */
    public List<List<FenceDevice>> levelsFor(String member) {
        List<List<String>> names = levels.isEmpty()
                ? devices.keySet().stream().sorted().map(List::of).toList()
                : levels;
        return names.stream()
                .map(level -> level.stream()
                        .map(devices::get)
                        .filter(d -> d != null && d.canFence(member))
                        .toList())
                .filter(level -> !level.isEmpty())
                .toList();
    }
}
