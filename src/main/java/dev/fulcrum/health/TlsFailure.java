package dev.fulcrum.health;

import javax.net.ssl.SSLHandshakeException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Optional;

/**
 * What an operator needs to hear about a failed TLS handshake with a backend. Vert.x reports every one as
 * "Failed to create SSL connection"; the reason is further down the cause chain, in the JDK's words.
 */
public final class TlsFailure {

    private TlsFailure() {
    }

    /** The reason, if {@code error} is a failed handshake with {@code host}; empty for any other failure. */
    public static Optional<String> describe(Throwable error, String host) {
        if (!(error instanceof SSLHandshakeException)) {
            return Optional.empty();
        }
        return Optional.of("TLS handshake failed: " + reason(error, host));
    }

    private static String reason(Throwable error, String host) {
        String deepest = error.getMessage();
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof CertificateExpiredException) {
                return "the certificate has expired (" + cause.getMessage() + ")";
            }
            if (cause instanceof CertificateNotYetValidException) {
                return "the certificate is not valid yet (" + cause.getMessage() + ")";
            }
            if (cause instanceof CertPathBuilderException || cause instanceof CertPathValidatorException) {
                return "the certificate is not trusted (its issuer is neither in backendTls.caFile nor among the"
                        + " JVM's trusted authorities)";
            }
            String message = cause.getMessage();
            if (message != null && message.startsWith("No ") && message.contains(" matching ")) {
                // sun.security.util.HostnameChecker: "No subject alternative DNS name matching x found." and kin
                return "the certificate does not name " + host + " (" + message + ")";
            }
            if (message != null && cause.getCause() == null) {
                deepest = message;
            }
        }
        return deepest;
    }
}
