package dev.fulcrum.support;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.x response read from a socket's stream as it arrives, for tests that drive a raw socket themselves
 * (see {@link RawHttp} for whole exchanges). {@code bodyless} is for the answer to a HEAD request.
 */
public record ParsedResponse(int status, Map<String, List<String>> headers, String body) {

    public String header(String name) {
        List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    public static ParsedResponse read(InputStream in, boolean bodyless) throws IOException {
        String statusLine = line(in);
        if (!statusLine.startsWith("HTTP/1.")) {
            throw new AssertionError("not a status line: " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        Map<String, List<String>> headers = new LinkedHashMap<>();
        for (int i = 0; i < 500; i++) {
            String line = line(in);
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            headers.computeIfAbsent(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), n -> new ArrayList<>())
                    .add(line.substring(colon + 1).trim());
        }
        if (bodyless || status / 100 == 1 || status == 204 || status == 304) {
            return new ParsedResponse(status, headers, "");
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        List<String> codings = headers.getOrDefault("transfer-encoding", List.of());
        List<String> lengths = headers.getOrDefault("content-length", List.of());
        if (!codings.isEmpty()) {
            for (int chunks = 0; chunks < 1_000_000; chunks++) {
                int size = Integer.parseInt(line(in).split(";")[0].trim(), 16);
                if (size == 0) {
                    for (int t = 0; t < 100 && !line(in).isEmpty(); t++) {
                        // trailers
                    }
                    break;
                }
                body.writeBytes(exactly(in, size));
                line(in);
            }
        } else if (!lengths.isEmpty()) {
            body.writeBytes(exactly(in, Integer.parseInt(lengths.get(0))));
        } else {
            body.writeBytes(in.readAllBytes());
        }
        return new ParsedResponse(status, headers, body.toString(StandardCharsets.ISO_8859_1));
    }

    private static byte[] exactly(InputStream in, int count) throws IOException {
        byte[] bytes = in.readNBytes(count);
        if (bytes.length < count) {
            throw new EOFException("closed after " + bytes.length + " of " + count + " bytes");
        }
        return bytes;
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < 64 * 1024; i++) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("closed in a line: " + line);
            }
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            line.append((char) b);
        }
        throw new IOException("line too long");
    }
}
