package dev.fulcrum.config;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.PemTrustOptions;

/**
 * How Fulcrum checks the certificates of {@code https} backends. By default against the JVM's trusted
 * authorities, with the host name checked; {@code caCertificates} (the content of {@code caFile}, read when the
 * config is parsed) replaces those authorities; {@code verify == false} accepts any certificate.
 */
public record BackendTls(boolean verify, String caFile, CaCertificates caCertificates) {

    public static final BackendTls DEFAULT = new BackendTls(true, null, null);

    /** {@code options} set up to connect to an {@code https} backend under these settings. */
    public HttpClientOptions applyTo(HttpClientOptions options, boolean namedHost) {
        // SNI for every host name: the JDK leaves it out for names without a dot ("payments", a Kubernetes
        // service). Never for an address, which SNI may not carry (RFC 6066 §3).
        options.setForceSni(namedHost);
        if (!verify) {
            return options.setTrustAll(true).setVerifyHost(false);
        }
        options.setTrustAll(false).setVerifyHost(true);
        return caCertificates == null ? options
                : options.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(caCertificates.pem())));
    }
}
