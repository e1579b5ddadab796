package io.pgha.agent;

import io.pgha.agent.resource.FenceAgent;
import io.pgha.core.model.ClusterState;
import io.pgha.core.model.FailoverRequest;
import io.pgha.core.model.Member;
import io.pgha.core.resource.FenceDevice;
import io.pgha.core.resource.Fencing;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * STONITH before a takeover: the new primary fences the old one with the configured devices before
 * it promotes ({@code fencing.mode}: required, or when-unknown: only when the old primary's agent
 * no longer keeps its record in the DCS). Devices are tried level by level; every device of a level
 * must succeed. When fencing fails the promotion waits (the member keeps the lease and says why),
 * unless the old primary's watchdog was armed: it reset its machine when its lease ran out.
 */
final class Fencer {
    private static final Logger LOG = LoggerFactory.getLogger(Fencer.class);

    private final FenceAgent agent;

    Fencer(FenceAgent agent) {
        this.agent = agent;
    }

    /**
     * The verdict before a promotion.
     *
     * @param proceed whether the promotion may go on
     * @param summary what was done, for the log and the history (null: nothing to say)
     */
    record Verdict(boolean proceed, String summary) {
        static final Verdict NOTHING = new Verdict(true, null);
    }

    /**
     * Fences {@code oldPrimary} when the config asks for it.
     *
     * @param c a fresh read of the DCS, taken after this member acquired the lease
     * @param lastSeen the old primary's record as this agent last saw it (for its watchdog state); may be null
     */
    Verdict beforePromotion(ClusterState c, String me, String oldPrimary, Member lastSeen) {
        Fencing f = c.config().resources().fencing();
        if (f.mode() == Fencing.Mode.OFF || oldPrimary == null || oldPrimary.equals(me)) return Verdict.NOTHING;
        FailoverRequest fr = c.failover();
        if (fr != null && fr.isSwitchover() && oldPrimary.equals(fr.leader()) && fr.stoppedAt() != null)
            return Verdict.NOTHING; // it shut down cleanly and handed over
        Member now = c.members().get(oldPrimary);
        if (f.mode() == Fencing.Mode.WHEN_UNKNOWN && now != null && !now.isRunningPrimary()) {
            return new Verdict(
                    true,
                    oldPrimary + " not fenced: its agent reports it "
                            + now.role().label() + ", " + now.state().label());
        }
        List<List<FenceDevice>> levels = f.levelsFor(oldPrimary);
        List<String> errors = new ArrayList<>();
        if (levels.isEmpty()) errors.add("no fence device can fence " + oldPrimary);
        for (List<FenceDevice> level : levels) {
            List<String> done = new ArrayList<>();
            String failed = null;
            for (FenceDevice d : level) {
                FenceAgent.FenceResult r =
                        agent.run(Path.of(d.agent()), d.options(), d.action(), d.plug(oldPrimary), d.timeoutMs());
                LOG.warn(
                        "fencing {}: device {} ({} {}): {}",
                        oldPrimary,
                        d.name(),
                        d.action(),
                        d.plug(oldPrimary),
                        r.ok() ? "done" : "FAILED");
                if (!r.ok()) {
                    failed = d.name() + ": " + r.describe();
                    break;
                }
                done.add(d.name());
            }
            if (failed == null) {
                return new Verdict(
                        true,
                        oldPrimary + " fenced by " + String.join(", ", done) + " ("
                                + level.get(0).action() + ")");
            }
            errors.add(failed);
        }
        String why = "fencing " + oldPrimary + " failed (" + String.join("; ", errors) + ")";
        if (lastSeen != null
                && lastSeen.watchdog() != null
                && lastSeen.watchdog().startsWith("armed")) {
            return new Verdict(true, why + "; its watchdog was armed, so it reset itself when its lease ran out");
        }
        return new Verdict(false, why + ": not promoting until it is fenced (pgha retries; see docs/resources.md)");
    }
}
