package io.pgha.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgha.core.config.NodeConfig;
import io.pgha.postgres.OsCommand;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** GET /backups: the repository listed by a pgha child, at most once a minute, never waited for. */
class BackupListTest {
    private static final String LISTING = "some log line on stderr\n{\n"
            + "  \"repository\" : \"/srv/repo\",\n"
            + "  \"backups\" : [ {\"label\" : \"20261101T000000F\"}, {\"label\" : \"20261102T000000F\"} ],\n"
            + "  \"incomplete\" : [ \"20261103T000000F\" ]\n}\n";

    private final NodeConfig withArchive =
            FakeView.config(Map.of("archive.repo", "/srv/repo", "archive.pgha_command", "/usr/bin/pgha"));
    private final List<List<String>> commands = new ArrayList<>();
    private final List<Runnable> queued = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000_000);

    private BackupList list(NodeConfig cfg, OsCommand.Result answer) {
        return new BackupList(
                () -> cfg,
                queued::add,
                cmd -> {
                    commands.add(cmd);
                    return answer;
                },
                now::get);
    }

    @Test
    void withoutAnArchiveSectionNothingRuns() {
        BackupList l = list(FakeView.config(Map.of()), new OsCommand.Result(0, LISTING));
        assertThat(l.current()).containsEntry("configured", false);
        assertThat(queued).isEmpty();
    }

    @Test
    void theFirstCallStartsAListingAndLaterCallsShowItNewestFirstUntilItIsAMinuteOld() {
        BackupList l = list(withArchive, new OsCommand.Result(0, LISTING));
        Map<String, Object> first = l.current();
        assertThat(first).containsEntry("configured", true).containsEntry("refreshing", true);
        assertThat(l.current()).containsEntry("refreshing", true);
        assertThat(queued).as("one listing at a time").hasSize(1);
        queued.remove(0).run();
        assertThat(commands.get(0))
                .contains("/usr/bin/pgha backup list \"$@\"", "--format", "json", "--repo", "/srv/repo");

        Map<String, Object> shown = l.current();
        assertThat(shown).containsEntry("count", 2).containsEntry("refreshing", false);
        assertThat(shown.get("backups").toString()).matches("(?s).*20261102T000000F.*20261101T000000F.*");
        assertThat(shown.get("incomplete")).isEqualTo(List.of("20261103T000000F"));
        assertThat(queued).isEmpty();

        now.addAndGet(BackupList.FRESH_MS + 1);
        assertThat(l.current()).containsEntry("count", 2);
        assertThat(queued).as("a minute later, listed again in the background").hasSize(1);
    }

    @Test
    void aFailedListingShowsTheEndOfItsOutput() {
        Map<String, Object> doc =
                BackupList.parse(new OsCommand.Result(1, "error: the repository /srv/repo is missing"));
        assertThat(doc.get("error").toString()).contains("exit 1", "the repository /srv/repo is missing");
        assertThat(BackupList.parse(new OsCommand.Result(0, "no json at all"))).containsKey("error");
    }
}
