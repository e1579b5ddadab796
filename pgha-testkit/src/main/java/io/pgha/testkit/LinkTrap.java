package io.pgha.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What PostgreSQL's OS user could do to a root-run agent: symbolic links, owned by that user,
 * planted at the names the agent writes in directories that user owns, each pointing at a victim
 * file outside (root's, with known content and mode). {@link #changed()} lists every victim whose
 * content, owner or mode is no longer what it was. The victims' directory is the caller's to delete.
 */
public final class LinkTrap {
    private final Path victims;
    private final String osUser;
    private final Map<Path, PosixFileAttributes> before = new LinkedHashMap<>();
    private final Map<Path, String> content = new LinkedHashMap<>();
    private int next;

    /** Victims are created in {@code victims} (a directory owned by root); links are handed to {@code osUser}. */
    public LinkTrap(Path victims, String osUser) {
        this.victims = victims;
        this.osUser = osUser;
    }

    /** Plants a link at each of {@code names} in {@code dir} where nothing is; returns how many were planted. */
    public int plant(Path dir, List<String> names) throws IOException {
        int planted = 0;
        for (String name : names) {
            Path link = dir.resolve(name);
            if (!Files.isDirectory(link.getParent(), LinkOption.NOFOLLOW_LINKS)
                    || Files.exists(link, LinkOption.NOFOLLOW_LINKS)) continue;
            next++;
            Path victim = victims.resolve("victim-" + next);
            String text = "victim " + next + " of " + link + "\n";
            Files.writeString(victim, text, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-r--r--"));
            content.put(victim, text);
            before.put(victim, Files.readAttributes(victim, PosixFileAttributes.class));
            Files.createSymbolicLink(link, victim);
            var users = link.getFileSystem().getUserPrincipalLookupService();
            Files.getFileAttributeView(link, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setOwner(users.lookupPrincipalByName(osUser));
            planted++;
        }
        return planted;
    }

    /** Victims whose content, owner, group or mode changed, with what changed. */
    public List<String> changed() throws IOException {
        List<String> out = new ArrayList<>();
        for (Map.Entry<Path, PosixFileAttributes> e : before.entrySet()) {
            Path v = e.getKey();
            if (!Files.exists(v)) {
                out.add(v + ": removed");
                continue;
            }
            PosixFileAttributes now = Files.readAttributes(v, PosixFileAttributes.class);
            if (!Files.readString(v, StandardCharsets.UTF_8).equals(content.get(v))) out.add(v + ": content changed");
            if (!now.owner().equals(e.getValue().owner())
                    || !now.group().equals(e.getValue().group())) out.add(v + ": owner changed to " + now.owner());
            if (!now.permissions().equals(e.getValue().permissions()))
                out.add(v + ": mode changed to " + PosixFilePermissions.toString(now.permissions()));
        }
        return out;
    }

    /** How many victims were planted so far. */
    public int planted() {
        return before.size();
    }
}
