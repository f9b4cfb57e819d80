package dev.fulcrum.support;

import io.vertx.core.buffer.Buffer;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 in hex, to tell that a large body arrived intact without comparing it byte by byte in a message. */
public final class Sha256 {

    private Sha256() {
    }

    public static String of(Buffer data) {
        return hex(digest().digest(data.getBytes()));
    }

    public static String of(String text) {
        return of(Buffer.buffer(text, "UTF-8"));
    }

    /** A digest to feed a body as it streams. */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
