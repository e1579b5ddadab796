/** The router: listeners, routing by the cluster view, the session relay, metrics. */
package io.pgha.router;
