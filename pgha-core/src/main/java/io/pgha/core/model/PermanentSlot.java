package io.pgha.core.model;

/**
 * A replication slot the cluster-wide {@code slots} setting asks for: kept on whichever member is
 * primary, never dropped while it is in the setting. A logical slot is also kept, as a copy that is
 * advanced to the primary's position, on every standby that may become primary. See docs/slots.md.
 *
 * @param type physical or logical
 * @param database the database a logical slot decodes (null for physical)
 * @param plugin the output plugin of a logical slot, e.g. {@code pgoutput} (null for physical)
 */
public record PermanentSlot(Type type, String database, String plugin) {
    public static final PermanentSlot PHYSICAL = new PermanentSlot(Type.PHYSICAL, null, null);

    /** The two kinds of replication slot. */
    public enum Type {
        PHYSICAL,
        LOGICAL;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public PermanentSlot {
        type = type == null ? Type.PHYSICAL : type;
    }

    public static PermanentSlot logical(String database, String plugin) {
        return new PermanentSlot(Type.LOGICAL, database, plugin);
    }

    public boolean logical() {
        return type == Type.LOGICAL;
    }

    public String describe() {
        return logical() ? "logical (database " + database + ", plugin " + plugin + ")" : "physical";
    }
}
