package io.pgha.agent;

import io.pgha.http.Request;
import io.pgha.http.Response;
import java.util.Locale;

/**
 * The REST API's guard against cross-site request forgery. A browser that has the API's basic
 * credentials (someone used the dashboard) sends them with every request to the API's origin,
 * including one that another site's page makes it send: a form posted to {@code /switchover} would
 * carry them. So a state-changing call that comes from a browser page must come from the API's own
 * origin and say so with a header that no cross-site form can set:
 *
 * <ul>
 *   <li>a request with neither {@code Origin} nor {@code Sec-Fetch-Site} is not a browser page's
 *       (the CLI, agents, curl): the guard lets it through unchanged;
 *   <li>otherwise {@code Sec-Fetch-Site}, when sent, must be {@code same-origin}; {@code Origin},
 *       when sent, must be this API's own origin (the scheme of this listener and the request's
 *       {@code Host}); and the request must carry {@code X-Requested-By} (any value; the dashboard
 *       sends {@code pgha}). A cross-origin page can only send that header after a CORS preflight,
 *       which this API never grants.
 * </ul>
 *
 * Anything else is refused with 403 before the credentials are even looked at.
 */
final class SameOrigin {
    static final String HEADER = "X-Requested-By";

    private SameOrigin() {}

    /** Null when {@code r} may go on to authentication; otherwise the 403 to answer. */
    static Response check(Request r, boolean tls) {
        String origin = r.header("Origin");
        String site = r.header("Sec-Fetch-Site");
        if (origin == null && site == null) return null;
        if (site != null && !site.equalsIgnoreCase("same-origin")) {
            return refused("the request comes from another site's page (Sec-Fetch-Site: " + site + ")");
        }
        if (origin != null) {
            String host = r.header("Host");
            String own = host == null ? null : (tls ? "https://" : "http://") + host.toLowerCase(Locale.ROOT);
            if (own == null || !origin.toLowerCase(Locale.ROOT).equals(own)) {
                return refused("the request comes from a page of " + origin + ", not of this API's origin");
            }
        }
        String marker = r.header(HEADER);
        if (marker == null || marker.isBlank()) {
            return refused("a state-changing call from a browser page must carry the header " + HEADER
                    + " (the dashboard sends it)");
        }
        return null;
    }

    private static Response refused(String why) {
        return Response.error(403, "refused, as a possible cross-site request: " + why);
    }
}
