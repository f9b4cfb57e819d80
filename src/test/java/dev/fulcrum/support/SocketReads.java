package dev.fulcrum.support;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Reads of a raw client socket's stream, for tests that watch the bytes arrive (or stop arriving) themselves. */
public final class SocketReads {

    /** What {@link #nextByte} returns when nothing arrived within the socket's read timeout. */
    public static final int NOTHING_YET = -2;

    private SocketReads() {
    }

    /** The next byte; -1 once the server closed or reset the connection, {@link #NOTHING_YET} on a read timeout. */
    public static int nextByte(InputStream in) {
        try {
            return in.read();
        } catch (SocketTimeoutException e) {
            return NOTHING_YET;
        } catch (IOException e) {
            return -1;
        }
    }

    /** Everything up to and including {@code end}; fails if the connection closes or goes quiet first. */
    public static String until(InputStream in, String end) throws IOException {
        StringBuilder text = new StringBuilder();
        while (!text.toString().endsWith(end)) {
            int c;
            try {
                c = in.read();
            } catch (SocketTimeoutException e) {
                throw new AssertionError("no complete response; got " + text);
            }
            if (c < 0) {
                throw new AssertionError("closed early; got " + text);
            }
            text.append((char) c);
        }
        return text.toString();
    }

    /** A response's status line and headers, up to and including the blank line. */
    public static String head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        for (int i = 0; i < 64 * 1024; i++) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("closed in the head: " + head.toString(StandardCharsets.ISO_8859_1));
            }
            head.write(b);
            if (head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        throw new IOException("head too long");
    }
}
