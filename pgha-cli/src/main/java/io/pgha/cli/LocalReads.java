package io.pgha.cli;

import io.pgha.agent.Agent;
import io.pgha.agent.ControlSocket;
import io.pgha.core.config.ClientConfig;
import io.pgha.core.config.NodeConfig;
import io.pgha.dcs.Dcs;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The read-only commands ({@code pgha list}, {@code status}, {@code topology}, {@code history})
 * that an agent answers on its control socket ({@link ControlSocket}) for a CLI on its machine: the
 * same text the command prints, made from a fresh read through the agent's own DCS session, so
 * that the CLI needs no DCS session (TLS, the key store) of its own.
 */
final class LocalReads {
    /** How long a command waits for this machine's agent before it reads the DCS itself. */
    static final long TIMEOUT_MS = 2000;

    private LocalReads() {}

    /** The commands served, by name: each is what the command prints for one read of the DCS. */
    static Map<String, ListCommand.Show> commands() {
        Map<String, ListCommand.Show> m = new LinkedHashMap<>();
        m.put("list", ListCommand::show);
        m.put("status", StatusCommand::show);
        m.put("topology", TopologyCommand::show);
        m.put("history", HistoryCommand::show);
        return m;
    }

    /** The agent's handlers: arguments {@code json} or {@code text}; an error while its DCS session is down. */
    static Map<String, ControlSocket.Handler> handlers(Agent agent) {
        Map<String, ControlSocket.Handler> out = new LinkedHashMap<>();
        commands()
                .forEach((name, show) -> out.put(name, args -> {
                    Dcs dcs = agent.connectedDcs();
                    if (dcs == null) throw new IllegalStateException("the agent has no DCS session right now");
                    return show.show(agent.config().cluster(), dcs, args.contains("json"), true);
                }));
        return out;
    }

    /**
     * {@code command}'s text from this machine's agent, or null when there is none to ask: a client
     * config, the socket turned off, no agent running, another OS user's agent, an agent without a
     * DCS session right now, or no answer within {@link #TIMEOUT_MS}.
     */
    static String ask(ClientConfig cfg, String command, boolean json) {
        return cfg.isNodeConfig() ? ask(cfg.node(), command, json, TIMEOUT_MS) : null;
    }

    /**
     * {@code command}'s text from the agent of node config {@code n}, or null when it has no socket,
     * does not run, has no DCS session right now or does not answer within {@code timeoutMs}.
     */
    static String ask(NodeConfig n, String command, boolean json, long timeoutMs) {
        if (n.controlSocket() == null) return null;
        ControlSocket.Reply r = ControlSocket.Client.ask(
                Path.of(n.controlSocket()),
                new ControlSocket.Identity(n.cluster(), n.name(), n.dataDir()),
                List.of(command, json ? "json" : "text"),
                timeoutMs);
        return r != null && r.ok() ? r.text() : null;
    }
}
