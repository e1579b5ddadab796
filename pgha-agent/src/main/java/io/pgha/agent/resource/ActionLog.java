package io.pgha.agent.resource;

import org.slf4j.Logger;

/**
 * How every driver logs an action: resource, action, status and time; the output (which may repeat
 * parameters, passwords among them) only at DEBUG. Monitors that find nothing wrong log at DEBUG,
 * since they run every few seconds; failures at WARN.
 */
final class ActionLog {
    private ActionLog() {}

    static ActionResult log(Logger log, String resource, ActionResult r) {
        String code = r.exitCode() >= 0 ? " (" + r.exitCode() + ")" : "";
        if (r.status().failed()) {
            log.warn(
                    "resource {} {}: {}{} after {} ms",
                    resource,
                    r.action(),
                    r.status().label(),
                    code,
                    r.millis());
        } else if (r.action().equals("monitor")) {
            log.debug(
                    "resource {} monitor: {}{} after {} ms",
                    resource,
                    r.status().label(),
                    code,
                    r.millis());
        } else {
            log.info(
                    "resource {} {}: {}{} after {} ms",
                    resource,
                    r.action(),
                    r.status().label(),
                    code,
                    r.millis());
        }
        if (log.isDebugEnabled() && !r.output().isBlank()) {
            log.debug(
                    "resource {} {} output:\n{}",
                    resource,
                    r.action(),
                    r.output().strip());
        }
        return r;
    }
}
