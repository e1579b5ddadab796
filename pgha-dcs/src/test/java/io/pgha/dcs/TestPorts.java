package io.pgha.dcs;

import java.io.IOException;
import java.net.ServerSocket;

/** A free port for a test's own server: the kernel's pick, released for the server to bind. */
final class TestPorts {
    private TestPorts() {}

    static int free() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
