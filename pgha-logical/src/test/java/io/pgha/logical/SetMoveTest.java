package io.pgha.logical;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.pgha.core.sets.SetsConfig.ReplicationSet;
import io.pgha.core.sets.SetsConfig.Subscriber;
import io.pgha.core.sets.SetsConfig.TableSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The set as a move leaves it: who subscribes from whom once the origin has changed. */
class SetMoveTest {

    /** main is the origin; reports and audit subscribe from it, archive from reports, backup from audit. */
    static ReplicationSet shop() {
        Map<String, Subscriber> subs = new LinkedHashMap<>();
        subs.put("reports", new Subscriber("reports", null));
        subs.put("archive", new Subscriber("archive", "reports"));
        subs.put("audit", new Subscriber("audit", null));
        subs.put("backup", new Subscriber("backup", "audit"));
        return new ReplicationSet(
                "shop",
                "app",
                "main",
                List.of(new TableSpec("public", "orders", List.of("id", "total"), "total > 0")),
                List.of("catalog"),
                List.of("public.invoice_no"),
                false,
                subs,
                false);
    }

    private static String provider(ReplicationSet s, String node) {
        return s.subscribers().get(node).provider();
    }

    @Test
    void theOldOriginBecomesADirectSubscriberOfTheNewOne() {
        ReplicationSet r = SetMove.reversed(shop(), "main", "reports");
        assertThat(r.origin()).isEqualTo("reports");
        assertThat(r.subscribers()).containsKey("main");
        assertThat(provider(r, "main")).isNull();
        assertThat(r.providerOf("main")).isEqualTo("reports");
    }

    @Test
    void theNewOriginIsNoLongerASubscriber() {
        ReplicationSet r = SetMove.reversed(shop(), "main", "reports");
        assertThat(r.subscribers()).doesNotContainKey("reports");
        assertThat(r.nodes()).containsExactly("reports", "main", "archive", "audit", "backup");
    }

    @Test
    void whoCascadedFromTheNewOriginNowSubscribesDirectlyAndTheOthersKeepTheirProvider() {
        ReplicationSet r = SetMove.reversed(shop(), "main", "reports");
        assertThat(r.subscribers())
                .containsExactly(
                        entry("main", new Subscriber("main", null)),
                        entry("archive", new Subscriber("archive", null)),
                        entry("audit", new Subscriber("audit", null)),
                        entry("backup", new Subscriber("backup", "audit")));
        assertThat(r.providerOf("archive")).isEqualTo("reports");
        assertThat(r.providerOf("audit")).isEqualTo("reports");
        assertThat(r.providerOf("backup")).isEqualTo("audit");
    }

    @Test
    void everythingButTheOriginAndTheSubscribersIsKept() {
        ReplicationSet s = shop();
        ReplicationSet r = SetMove.reversed(s, "main", "reports");
        assertThat(r.name()).isEqualTo(s.name());
        assertThat(r.database()).isEqualTo(s.database());
        assertThat(r.tables()).isEqualTo(s.tables());
        assertThat(r.schemas()).isEqualTo(s.schemas());
        assertThat(r.sequences()).isEqualTo(s.sequences());
        assertThat(r.ownedSequences()).isEqualTo(s.ownedSequences());
        assertThat(r.protect()).isEqualTo(s.protect());
    }

    @Test
    void aSetWithOneSubscriberSwapsItsTwoNodes() {
        ReplicationSet s = shop().withSubscribers(Map.of("reports", new Subscriber("reports", null)));
        ReplicationSet r = SetMove.reversed(s, "main", "reports");
        assertThat(r.origin()).isEqualTo("reports");
        assertThat(r.subscribers()).containsExactly(entry("main", new Subscriber("main", null)));
    }

    @Test
    void movingBackRestoresASetOfDirectSubscribers() {
        Map<String, Subscriber> subs = new LinkedHashMap<>();
        subs.put("reports", new Subscriber("reports", null));
        subs.put("audit", new Subscriber("audit", null));
        subs.put("backup", new Subscriber("backup", "audit"));
        ReplicationSet s = shop().withSubscribers(subs);
        ReplicationSet back = SetMove.reversed(SetMove.reversed(s, "main", "reports"), "reports", "main");
        assertThat(back).isEqualTo(s);
    }

    @Test
    void directSubscribersAreThoseOfTheOrigin() {
        assertThat(SetMove.directSubscribers(shop())).containsExactly("reports", "audit");
        assertThat(SetMove.directSubscribers(SetMove.reversed(shop(), "main", "reports")))
                .containsExactly("main", "archive", "audit");
        assertThat(SetMove.directSubscribers(shop().withSubscribers(Map.of()))).isEmpty();
    }
}
