package io.pgha.router;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.pgha.wire.backend.ErrorResponse;
import io.pgha.wire.frontend.StartupMessage;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A byte-level PostgreSQL client for tests that send what no driver would. */
final class RawClient implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;

    /** One backend message: type and body. */
    record Message(char type, byte[] body) {
        ErrorResponse error() {
            return ErrorResponse.decode(body);
        }
    }

    RawClient(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    static byte[] startup(String user) {
        ByteBuf b = Unpooled.buffer();
        new StartupMessage(StartupMessage.PROTOCOL_3_0, Map.of("user", user, "database", "db")).encode(b);
        return ByteBufUtil.getBytes(b);
    }

    static byte[] message(char type, byte[] body) {
        int len = body.length + 4;
        byte[] m = new byte[len + 1];
        m[0] = (byte) type;
        m[1] = (byte) (len >>> 24);
        m[2] = (byte) (len >>> 16);
        m[3] = (byte) (len >>> 8);
        m[4] = (byte) len;
        System.arraycopy(body, 0, m, 5, body.length);
        return m;
    }

    static byte[] query(String sql) {
        return message('Q', (sql + "\0").getBytes(StandardCharsets.UTF_8));
    }

    Message read() throws IOException {
        int type = in.read();
        if (type < 0) throw new EOFException("connection closed by the router");
        int len = in.readInt();
        return new Message((char) type, in.readNBytes(len - 4));
    }

    /** Reads messages up to and including ReadyForQuery. */
    Message readUntilReady() throws IOException {
        Message m;
        do {
            m = read();
        } while (m.type() != 'Z' && m.type() != 'E');
        return m;
    }

    /** True when the router closed the connection (after any bytes still buffered). */
    boolean closedByPeer() throws IOException {
        try {
            while (in.read() >= 0) {
                // drain
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
