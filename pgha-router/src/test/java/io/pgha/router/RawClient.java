package io.pgha.router;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** A byte-level PostgreSQL client for tests that send what no driver would. */
final class RawClient implements AutoCloseable {
  final Socket socket;
  final DataInputStream in;
  final DataOutputStream out;

  /** One backend message: type and body. */
  record Message(char type, byte[] body) {
    /** ErrorResponse fields by code ('C' SQLSTATE, 'M' message, 'S' severity). */
    Map<Character, String> fields() {
      Map<Character, String> f = new LinkedHashMap<>();
      int i = 0;
      while (i < body.length && body[i] != 0) {
        char code = (char) body[i++];
        int end = i;
        while (body[end] != 0) end++;
        f.put(code, new String(body, i, end - i, StandardCharsets.UTF_8));
        i = end + 1;
      }
      return f;
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
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] params = ("user\0" + user + "\0database\0db\0\0").getBytes(StandardCharsets.UTF_8);
    int len = 8 + params.length;
    b.writeBytes(new byte[] {(byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len, 0, 3, 0, 0});
    b.writeBytes(params);
    return b.toByteArray();
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
