package dev.fulcrum.support;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * Raw client sockets a test opens, all closed when it ends: by an {@code @AfterEach} that calls {@link #close},
 * or by this itself as a {@code @RegisterExtension} field.
 */
public final class OpenSockets implements AutoCloseable, AfterEachCallback {

    private final List<Socket> sockets = new ArrayList<>();

    /** A socket connected to {@code port} on loopback, reads timing out after 5 s. */
    public Socket connect(int port) throws IOException {
        return connect(port, 0);
    }

    /** As {@link #connect(int)}, with a receive buffer of {@code receiveBuffer} bytes (set before connecting). */
    public Socket connect(int port, int receiveBuffer) throws IOException {
        Socket socket = new Socket();
        sockets.add(socket);
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.setSoTimeout(5_000);
        socket.connect(new InetSocketAddress("127.0.0.1", port));
        return socket;
    }

    public List<Socket> all() {
        return List.copyOf(sockets);
    }

    @Override
    public void close() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        sockets.clear();
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        close();
    }
}
