package dev.fulcrum.config;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;

import javax.net.ssl.KeyManager;
import javax.net.ssl.X509KeyManager;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * One certificate the TLS listener serves: the PEM texts of {@code certFile} (the leaf first, then its chain) and
 * {@code keyFile} (PKCS#8, PKCS#1 or SEC1), read when the config is parsed and checked to belong together. The
 * names are the leaf's DNS subject alternative names, or its common name when it has none, as the SNI lookup
 * reads them. It shows as its names, expiry and a digest, never as key material. (A class, not a record: the
 * config's change log looks into records field by field, and the key must never be printed.)
 */
public final class ServerCertificate {

    private static final int SAN_DNS = 2;

    private final String certFile;
    private final String keyFile;
    private final String certPem;
    private final String keyPem;
    private final List<String> names;
    private final Instant notAfter;
    private final String sha256;

    private ServerCertificate(String certFile, String keyFile, String certPem, String keyPem, List<String> names,
                              Instant notAfter, String sha256) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.certPem = certPem;
        this.keyPem = keyPem;
        this.names = List.copyOf(names);
        this.notAfter = notAfter;
        this.sha256 = sha256;
    }

    /**
     * Parses and checks a pair: the key must be the certificate's, and the certificate must name a host.
     *
     * @throws IllegalArgumentException saying what is wrong, in words an operator can act on
     */
    static ServerCertificate parse(String certFile, String keyFile, String certPem, String keyPem) {
        if (!certPem.contains("-----BEGIN CERTIFICATE-----")) {
            throw new IllegalArgumentException("certFile " + Values.quote(certFile) + " holds no -----BEGIN CERTIFICATE----- block");
        }
        if (!keyPem.matches("(?s).*-----BEGIN (RSA |EC )?PRIVATE KEY-----.*")) {
            throw new IllegalArgumentException("keyFile " + Values.quote(keyFile) + " holds no unencrypted private key"
                    + " (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)");
        }
        PemKeyCertOptions pair = new PemKeyCertOptions()
                .addCertValue(Buffer.buffer(certPem, StandardCharsets.ISO_8859_1.name()))
                .addKeyValue(Buffer.buffer(keyPem, StandardCharsets.ISO_8859_1.name()));
        PrivateKey key;
        X509Certificate[] chain;
        try {
            // Vert.x's own reader, with no files to open: it needs no Vert.x instance, and accepts what the listener will.
            KeyStore store = pair.loadKeyStore(null);
            String alias = firstAlias(store.aliases());
            X509KeyManager keys = x509(pair.getKeyManagerFactory(null).getKeyManagers());
            key = keys.getPrivateKey(alias);
            chain = keys.getCertificateChain(alias);
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot read the pair " + Values.quote(certFile) + " and " + Values.quote(keyFile)
                    + ": " + firstLine(e));
        }
        if (key == null || chain == null || chain.length == 0) {
            throw new IllegalArgumentException("cannot read the pair " + Values.quote(certFile) + " and " + Values.quote(keyFile));
        }
        X509Certificate leaf = chain[0];
        if (!signsFor(key, leaf)) {
            throw new IllegalArgumentException("keyFile " + Values.quote(keyFile) + " is not the key of the certificate in "
                    + Values.quote(certFile) + " (" + subject(leaf) + ")");
        }
        List<String> names = names(leaf);
        if (names.isEmpty()) {
            throw new IllegalArgumentException("certFile " + Values.quote(certFile) + " names no host: its certificate ("
                    + subject(leaf) + ") has no DNS subject alternative name and no common name");
        }
        return new ServerCertificate(certFile, keyFile, certPem, keyPem, names, leaf.getNotAfter().toInstant(),
                CaCertificates.digest(certPem + keyPem));
    }

    public String certFile() {
        return certFile;
    }

    public String keyFile() {
        return keyFile;
    }

    public Buffer certValue() {
        return Buffer.buffer(certPem, StandardCharsets.ISO_8859_1.name());
    }

    public Buffer keyValue() {
        return Buffer.buffer(keyPem, StandardCharsets.ISO_8859_1.name());
    }

    /** The host names it serves, as SNI matches them: exact names and one-level {@code *.} wildcards. */
    public List<String> names() {
        return names;
    }

    /** The name it is known by in metrics and on the status page: its first. */
    public String name() {
        return names.get(0);
    }

    public Instant notAfter() {
        return notAfter;
    }

    private static String firstAlias(Enumeration<String> aliases) {
        if (!aliases.hasMoreElements()) {
            throw new IllegalArgumentException("no key in it");
        }
        return aliases.nextElement();
    }

    private static X509KeyManager x509(KeyManager[] managers) {
        for (KeyManager manager : managers) {
            if (manager instanceof X509KeyManager x509) {
                return x509;
            }
        }
        throw new IllegalArgumentException("no X.509 key manager");
    }

    /** A signature made with {@code key} verifies under the certificate's public key: whatever the key's type. */
    private static boolean signsFor(PrivateKey key, X509Certificate leaf) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return Objects.equals(key.getAlgorithm(), leaf.getPublicKey().getAlgorithm());
        }
        try {
            byte[] probe = "fulcrum".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static List<String> names(X509Certificate leaf) {
        List<String> names = new ArrayList<>();
        Collection<List<?>> alternatives;
        try {
            alternatives = leaf.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            alternatives = null;
        }
        for (List<?> alternative : alternatives == null ? Collections.<List<?>>emptyList() : alternatives) {
            if (alternative.size() >= 2 && Integer.valueOf(SAN_DNS).equals(alternative.get(0))) {
                names.add(alternative.get(1).toString().toLowerCase(Locale.ROOT));
            }
        }
        if (names.isEmpty()) {
            String commonName = commonName(leaf);
            if (commonName != null && !commonName.isBlank()) {
                names.add(commonName.toLowerCase(Locale.ROOT));
            }
        }
        return names;
    }

    private static String commonName(X509Certificate leaf) {
        try {
            for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
        } catch (InvalidNameException e) {
            return null;
        }
        return null;
    }

    private static String subject(X509Certificate leaf) {
        return leaf.getSubjectX500Principal().getName();
    }

    private static String firstLine(Exception error) {
        Throwable cause = error;
        while (cause.getMessage() == null && cause.getCause() != null) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : message.lines().findFirst().orElse("");
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ServerCertificate that && certFile.equals(that.certFile) && keyFile.equals(that.keyFile)
                && certPem.equals(that.certPem) && keyPem.equals(that.keyPem);
    }

    @Override
    public int hashCode() {
        return Objects.hash(certFile, certPem);
    }

    @Override
    public String toString() {
        return String.join(", ", names) + " (expires " + notAfter + ", sha256 " + sha256 + ")";
    }
}
