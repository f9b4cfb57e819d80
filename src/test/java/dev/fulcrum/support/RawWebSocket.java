package dev.fulcrum.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** The client side of a WebSocket over a raw socket: the upgrade request and short text frames (RFC 6455). */
public final class RawWebSocket {

    /** An upgrade request for {@code /ws}. */
    public static final String HANDSHAKE = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

    private RawWebSocket() {
    }

    /** Sends {@link #HANDSHAKE}, fails unless it is answered 101, and returns the stream the frames arrive on. */
    public static InputStream handshake(Socket socket) throws IOException {
        socket.getOutputStream().write(HANDSHAKE.getBytes(StandardCharsets.ISO_8859_1));
        InputStream in = new BufferedInputStream(socket.getInputStream());
        String head = SocketReads.head(in);
        if (!head.startsWith("HTTP/1.1 101")) {
            throw new AssertionError("handshake answered: " + head);
        }
        return in;
    }

    /** A masked text frame (the mask is all zeros, so the payload is sent as is); under 126 bytes. */
    public static void sendText(Socket socket, String text) throws IOException {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.write(0x81);
        frame.write(0x80 | payload.length);
        frame.write(new byte[4]);
        frame.write(payload);
        socket.getOutputStream().write(frame.toByteArray());
        socket.getOutputStream().flush();
    }

    /** The payload of the next frame, a short unmasked one as a server sends. */
    public static String readText(InputStream in) throws IOException {
        int first = in.read();
        int second = in.read();
        if (first < 0 || second < 0) {
            throw new EOFException("closed instead of a frame");
        }
        int length = second & 0x7f;
        byte[] payload = in.readNBytes(length);
        return new String(payload, StandardCharsets.UTF_8);
    }
}
