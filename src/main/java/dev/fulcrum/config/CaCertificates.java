package dev.fulcrum.config;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.HexFormat;

/**
 * The PEM text of {@code backendTls.caFile}, checked to hold X.509 certificates. It shows as a count and a digest,
 * never as the text itself, so a reload's log line can say the file changed without printing it. (A class, not a
 * record: the config's change log looks into records field by field.)
 */
public final class CaCertificates {

    private static final String PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----";

    private final String pem;
    private final int count;
    private final String sha256;

    private CaCertificates(String pem, int count, String sha256) {
        this.pem = pem;
        this.count = count;
        this.sha256 = sha256;
    }

    public String pem() {
        return pem;
    }

    public int count() {
        return count;
    }

    /** @throws IllegalArgumentException saying what is wrong with {@code pem} */
    static CaCertificates parse(String pem) {
        // The JDK also reads DER, which the TLS setup (PEM only) would refuse much later, at the first handshake.
        if (!pem.contains(PEM_CERTIFICATE)) {
            throw new IllegalArgumentException("no " + PEM_CERTIFICATE + " block in it");
        }
        int count;
        try {
            count = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.ISO_8859_1))).size();
        } catch (CertificateException e) {
            throw new IllegalArgumentException(e.getMessage() == null ? "unreadable" : e.getMessage());
        }
        return new CaCertificates(pem, count, digest(pem));
    }

    static String digest(String pem) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(pem.getBytes(StandardCharsets.ISO_8859_1));
            return HexFormat.of().formatHex(hash, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CaCertificates that && pem.equals(that.pem);
    }

    @Override
    public int hashCode() {
        return pem.hashCode();
    }

    @Override
    public String toString() {
        return count + (count == 1 ? " certificate" : " certificates") + ", sha256 " + sha256;
    }
}
