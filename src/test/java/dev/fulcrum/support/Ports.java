package dev.fulcrum.support;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;

/** Ports for tests that must name them in a config (the jar, a listenPort change). */
public final class Ports {

    private Ports() {
    }

    /** Distinct free ports: all are held open until all are chosen, so none is handed out twice. */
    public static int[] free(int count) throws IOException {
        ServerSocket[] sockets = new ServerSocket[count];
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                sockets[i] = new ServerSocket(0);
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket socket : sockets) {
                if (socket != null) {
                    socket.close();
                }
            }
        }
    }

    /** Whether a connection to {@code port} on loopback is refused: nothing listens there (any more). */
    public static boolean refuses(int port) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            return false;
        } catch (ConnectException refused) {
            return true;
        } catch (IOException other) {
            throw new AssertionError(other);
        }
    }
}
