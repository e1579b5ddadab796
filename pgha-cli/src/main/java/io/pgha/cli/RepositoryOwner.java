package io.pgha.cli;

import io.pgha.postgres.GuardedDirectory;
import io.pgha.postgres.OsCommand;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Commands that write into a directory repository, started as root, run again as the repository's
 * owner: root never creates files in a directory another user owns (a link planted there could
 * redirect them), and what is written stays readable by the user that archives into it (the
 * repository's files are owner-only). A node config given with {@code -c} is read here, as root,
 * and its archive settings passed on explicitly, since that user may not read the file.
 */
final class RepositoryOwner {
    private RepositoryOwner() {}

    /**
     * Null when this process may go on itself (not root, SFTP, or a repository root owns); otherwise
     * the exit code of the same command run as the repository's owner. {@code extra} are options for
     * settings the command itself took from the {@code -c} file.
     */
    static Integer runAsOwner(ArchiveCommand.RepoOptions options, CommandSpec spec, List<String> extra)
            throws IOException {
        if (!OsCommand.runningAsRoot()) return null;
        Optional<Path> dir = options.location().localDirectory();
        if (dir.isEmpty() || !Files.isDirectory(dir.get())) return null;
        int uid = (Integer) Files.getAttribute(dir.get(), "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (uid == 0) return null;
        String user = Files.getOwner(dir.get(), LinkOption.NOFOLLOW_LINKS).getName();
        GuardedDirectory.Owner owner = new OsCommand(user).owner();
        List<String> cmd = new ArrayList<>(List.of(
                "setpriv",
                "--reuid=" + owner.uid(),
                "--regid=" + owner.gid(),
                "--init-groups",
                "--",
                "sh",
                "-c",
                command(options) + " \"$@\"",
                "pgha"));
        cmd.addAll(withoutConfig(spec.root().commandLine().getParseResult().originalArgs(), options));
        if (options.config != null) cmd.addAll(extra);
        Process p = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.INHERIT)
                .start();
        Thread out = pipe(p.getInputStream(), System.out);
        Thread err = pipe(p.getErrorStream(), System.err);
        try {
            int rc = p.waitFor();
            out.join();
            err.join();
            return rc;
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while the command ran as " + user);
        }
    }

    /** How the owner runs pgha: the config's archive.pgha_command (made for PostgreSQL's OS user), or this pgha. */
    private static String command(ArchiveCommand.RepoOptions options) {
        var section = options.section();
        return section != null && section.pghaCommand() != null
                ? section.pghaCommand()
                : SelfCommand.pgha(SelfCommand.BULK_JVM);
    }

    /** {@code args} with {@code -c FILE} replaced by the repository settings read from FILE. */
    static List<String> withoutConfig(List<String> args, ArchiveCommand.RepoOptions options) {
        List<String> out = new ArrayList<>();
        boolean hadConfig = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-c") || a.equals("--config")) {
                i++;
                hadConfig = true;
            } else if (a.startsWith("--config=") || (a.startsWith("-c") && a.length() > 2 && !a.startsWith("--"))) {
                hadConfig = true;
            } else {
                out.add(a);
            }
        }
        if (hadConfig) out.addAll(options.resolvedArgs());
        return out;
    }

    private static Thread pipe(InputStream in, OutputStream to) {
        Thread t = new Thread(
                () -> {
                    try (in) {
                        in.transferTo(to);
                        to.flush();
                    } catch (IOException e) {
                        // the child is gone
                    }
                },
                "pgha-child-output");
        t.setDaemon(true);
        t.start();
        return t;
    }
}
