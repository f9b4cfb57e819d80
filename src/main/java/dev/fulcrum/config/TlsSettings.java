package dev.fulcrum.config;

import java.util.List;
import java.util.Set;

/**
 * The HTTPS listener: where it binds, the certificates it chooses from by SNI (the first for clients that send
 * none, or a name no certificate has), and the oldest protocol it accepts. With {@code httpsRedirect} the plain
 * listener answers every request with a redirect here.
 */
public record TlsSettings(ListenAddress listen, List<ServerCertificate> certificates, String minVersion, boolean httpsRedirect,
                          Engine engine) {

    /** Who does the TLS work: the JDK's own provider, or BoringSSL through netty-tcnative. */
    public enum Engine {
        JDK, OPENSSL;

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public static final String TLS_1_2 = "TLSv1.2";
    public static final String TLS_1_3 = "TLSv1.3";

    /**
     * Mozilla's "intermediate" list (TLS 1.2 suites with forward secrecy and AEAD only, every one allowed by
     * HTTP/2), in its order, and TLS 1.3's three, in JSSE's names. Nothing older than TLS 1.2 is offered.
     */
    public static final List<String> CIPHER_SUITES = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    public TlsSettings {
        certificates = List.copyOf(certificates);
    }

    /** The suites offered: {@link #CIPHER_SUITES}, but for the DHE ones under BoringSSL, which has none (and fails every handshake if asked). */
    public List<String> cipherSuites() {
        return engine == Engine.OPENSSL ? CIPHER_SUITES.stream().filter(suite -> !suite.contains("_DHE_")).toList() : CIPHER_SUITES;
    }

    /** The protocol versions offered: from {@code minVersion} up. */
    public Set<String> protocols() {
        return minVersion.equals(TLS_1_3) ? Set.of(TLS_1_3) : Set.of(TLS_1_2, TLS_1_3);
    }
}
