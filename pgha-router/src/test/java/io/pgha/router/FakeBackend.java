package io.pgha.router;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stand-in PostgreSQL server for router component tests: trusts every startup, answers 'Q' with
 * CommandComplete and ReadyForQuery (status 'T' after BEGIN, 'I' after COMMIT or anything else),
 * and records every message type it received, so that a test can check what the router forwarded.
 */
final class FakeBackend implements AutoCloseable {
    final ServerSocket server;
    final List<String> received = new CopyOnWriteArrayList<>();
    final List<Integer> cancels = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private final int pid;

    /** The secret of the BackendKeyData it sends: 4 bytes (protocol 3.0), or longer as PostgreSQL 18 sends in 3.2. */
    private final byte[] secret;

    /** The process id and secret of each CancelRequest received, as hex. */
    final List<String> cancelKeys = new CopyOnWriteArrayList<>();

    FakeBackend(int pid) throws IOException {
        this(pid, new byte[] {0, 0, 0, 77});
    }

    FakeBackend(int pid, byte[] secret) throws IOException {
        this.pid = pid;
        this.secret = secret.clone();
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "fake-backend");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                Thread t = new Thread(() -> serve(s), "fake-backend-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            int len = in.readInt();
            int code = in.readInt();
            byte[] rest = in.readNBytes(len - 8);
            if (code == 80877102) {
                cancels.add(len);
                cancelKeys.add(java.util.HexFormat.of().formatHex(rest));
                return;
            }
            received.add("startup");
            out.writeByte('R');
            out.writeInt(8);
            out.writeInt(0);
            out.writeByte('K');
            out.writeInt(8 + secret.length);
            out.writeInt(pid);
            out.write(secret);
            out.writeByte('Z');
            out.writeInt(5);
            out.writeByte('I');
            out.flush();
            while (true) {
                int type = in.read();
                if (type < 0) return;
                int l = in.readInt();
                byte[] body = in.readNBytes(l - 4);
                String sql = new String(body, 0, Math.max(0, body.length - 1), java.nio.charset.StandardCharsets.UTF_8);
                received.add((char) type + (type == 'Q' ? ":" + sql : ""));
                if (type == 'X') return;
                if (type == 'Q') {
                    byte status = sql.equalsIgnoreCase("begin")
                            ? (byte) 'T'
                            : sql.equalsIgnoreCase("commit")
                                    ? (byte) 'I'
                                    : sql.startsWith("in-tx") ? (byte) 'T' : (byte) 'I';
                    out.writeByte('C');
                    out.writeInt(8);
                    out.write("SQL\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, 4);
                    out.writeByte('Z');
                    out.writeInt(5);
                    out.writeByte(status);
                    out.flush();
                }
            }
        } catch (IOException e) {
            // client went away
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) s.close();
    }
}
