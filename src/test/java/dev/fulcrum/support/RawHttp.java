package dev.fulcrum.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A raw-socket HTTP/1.1 client for sending bytes no well-behaved client would: it writes exactly what it is
 * given, reads responses framed by Content-Length, chunked encoding or the close, and then tells whether the
 * server closed the connection and whether anything else arrived after the responses.
 */
public final class RawHttp {

    /** How long to wait for a response before giving up on it. */
    private static final int RESPONSE_TIMEOUT_MILLIS = 5_000;
    /** How long to wait after the responses for the server to close the connection. */
    private static final int CLOSE_TIMEOUT_MILLIS = 2_000;
    private static final int MAX_LINE = 64 * 1024;
    private static final int MAX_HEADERS = 200;
    private static final int MAX_BODY = 16 * 1024 * 1024;
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/\\d\\.\\d \\d{3}( .*)?");

    /**
     * One response. {@code status} is 0 when no complete response arrived (the bytes received are then in
     * {@code trailing}). {@code closed} and {@code trailing} describe the connection after this response and
     * are only meaningful for the last response read from it: {@code closed} is true if the server closed it
     * within two seconds, and {@code trailing} holds any bytes that arrived instead (a response the server
     * should not have sent, say). Header names are lower-cased.
     */
    public record Response(int status, Map<String, List<String>> headers, String body, boolean closed, String trailing) {

        public String header(String name) {
            List<String> values = headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
            return values.isEmpty() ? null : values.get(0);
        }
    }

    private RawHttp() {
    }

    /** Sends {@code request} (ISO-8859-1) on a new connection and reads one response. */
    public static Response send(int port, String request) {
        return exchange(port, request, 1).get(0);
    }

    /**
     * Sends {@code requests} back to back on one connection (pipelined) and reads up to {@code maxResponses}
     * responses, fewer if the connection closes first. Never empty: with no response at all, the one element
     * has status 0.
     */
    public static List<Response> exchange(int port, String requests, int maxResponses) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(RESPONSE_TIMEOUT_MILLIS);
            try {
                socket.getOutputStream().write(requests.getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
            } catch (SocketException e) {
                // The server may close before taking every byte (a request it refused early): read its answer.
            }
            Reader in = new Reader(new BufferedInputStream(socket.getInputStream()));
            List<Response> responses = new ArrayList<>();
            for (int i = 0; i < maxResponses; i++) {
                Response response = in.response();
                if (response.status() == 0) {
                    if (responses.isEmpty() || !response.trailing().isEmpty()) {
                        responses.add(response);
                    } else {
                        Response last = responses.remove(responses.size() - 1);
                        responses.add(new Response(last.status(), last.headers(), last.body(), response.closed(), ""));
                    }
                    return responses;
                }
                responses.add(response);
            }
            socket.setSoTimeout(CLOSE_TIMEOUT_MILLIS);
            Response last = responses.remove(responses.size() - 1);
            String trailing = in.rest();
            responses.add(new Response(last.status(), last.headers(), last.body(), in.closed, trailing));
            return responses;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot talk to 127.0.0.1:" + port, e);
        }
    }

    private static final class Reader {

        private final InputStream in;
        private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
        private boolean closed;

        Reader(InputStream in) {
            this.in = in;
        }

        /** One response; on EOF, a timeout or a reset before it is complete, status 0 and what was seen. */
        Response response() throws IOException {
            seen.reset();
            try {
                String statusLine = line();
                if (!STATUS_LINE.matcher(statusLine).matches()) {
                    String received = seen.toString(StandardCharsets.ISO_8859_1) + rest();
                    return new Response(0, Map.of(), "", closed, received);
                }
                int status = Integer.parseInt(statusLine.substring(9, 12));
                Map<String, List<String>> headers = new LinkedHashMap<>();
                for (String line = line(); !line.isEmpty(); line = line()) {
                    if (headers.size() > MAX_HEADERS) {
                        throw new IOException("too many header lines");
                    }
                    int colon = line.indexOf(':');
                    String name = (colon < 0 ? line : line.substring(0, colon)).trim().toLowerCase(Locale.ROOT);
                    String value = colon < 0 ? "" : line.substring(colon + 1).trim();
                    headers.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
                }
                String body = body(status, headers);
                return new Response(status, headers, body, false, "");
            } catch (EOFException | SocketTimeoutException | SocketException e) {
                if (!(e instanceof SocketTimeoutException)) {
                    closed = true;
                }
                return new Response(0, Map.of(), "", closed, seen.toString(StandardCharsets.ISO_8859_1));
            }
        }

        private String body(int status, Map<String, List<String>> headers) throws IOException {
            if (status / 100 == 1 || status == 204 || status == 304) {
                return "";
            }
            List<String> codings = headers.getOrDefault("transfer-encoding", List.of());
            if (!codings.isEmpty() && codings.get(codings.size() - 1).equalsIgnoreCase("chunked")) {
                return chunked();
            }
            List<String> lengths = headers.getOrDefault("content-length", List.of());
            if (!lengths.isEmpty()) {
                return new String(bytes(Integer.parseInt(lengths.get(0))), StandardCharsets.ISO_8859_1);
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (int b = read(); b >= 0; b = read()) {
                if (body.size() > MAX_BODY) {
                    throw new IOException("body longer than " + MAX_BODY);
                }
                body.write(b);
            }
            closed = true;
            return body.toString(StandardCharsets.ISO_8859_1);
        }

        private String chunked() throws IOException {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            while (body.size() <= MAX_BODY) {
                String sizeLine = line();
                int semicolon = sizeLine.indexOf(';');
                int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
                if (size == 0) {
                    for (int trailers = 0; !line().isEmpty(); trailers++) {
                        if (trailers > MAX_HEADERS) {
                            throw new IOException("too many trailer lines");
                        }
                    }
                    return body.toString(StandardCharsets.ISO_8859_1);
                }
                body.writeBytes(bytes(size));
                if (!line().isEmpty()) {
                    throw new IOException("chunk of " + size + " bytes not followed by CRLF");
                }
            }
            throw new IOException("chunked body longer than " + MAX_BODY);
        }

        /** Whatever arrives until the server closes the connection or stays silent for the socket timeout. */
        String rest() {
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            long deadline = System.nanoTime() + CLOSE_TIMEOUT_MILLIS * 1_000_000L;
            try {
                while (System.nanoTime() < deadline) {
                    int b = in.read();
                    if (b < 0) {
                        closed = true;
                        break;
                    }
                    rest.write(b);
                }
            } catch (SocketTimeoutException e) {
                // still open
            } catch (IOException e) {
                closed = true; // reset by the server
            }
            return rest.toString(StandardCharsets.ISO_8859_1);
        }

        /** A line without its terminator (CRLF, or a bare LF, which is reported as is). */
        private String line() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int b = read(); b != '\n'; b = read()) {
                if (b < 0) {
                    throw new EOFException("connection closed in the middle of a line");
                }
                if (line.length() > MAX_LINE) {
                    throw new IOException("line longer than " + MAX_LINE);
                }
                line.append((char) b);
            }
            int end = line.length();
            return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
        }

        private byte[] bytes(int count) throws IOException {
            byte[] bytes = in.readNBytes(count);
            seen.writeBytes(bytes);
            if (bytes.length < count) {
                throw new EOFException("connection closed after " + bytes.length + " of " + count + " bytes");
            }
            return bytes;
        }

        private int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                seen.write(b);
            }
            return b;
        }
    }
}
