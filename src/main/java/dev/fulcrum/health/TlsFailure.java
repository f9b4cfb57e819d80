package dev.fulcrum.health;

import io.netty.handler.ssl.SslHandshakeTimeoutException;

import javax.net.ssl.SSLHandshakeException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.util.Optional;

/**
 * What an operator needs to hear about a failed TLS handshake with a backend. Vert.x reports every one as
 * "Failed to create SSL connection" (or, when the backend's alert comes after the client's side of a TLS 1.3
 * handshake, as a decoding error); the reason is further down the cause chain, in the JDK's words.
 */
public final class TlsFailure {

    private TlsFailure() {
    }

    /** The failed handshake somewhere in {@code error}'s causes, unless it only ran out of time. */
    public static Optional<SSLHandshakeException> of(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof SslHandshakeTimeoutException) {
                return Optional.empty();
            }
            if (cause instanceof SSLHandshakeException handshake) {
                return Optional.of(handshake);
            }
        }
        return Optional.empty();
    }

    /** The reason, if {@code error} is a failed handshake with {@code host}; empty for any other failure. */
    public static Optional<String> describe(Throwable error, String host) {
        return of(error).map(handshake -> "TLS handshake failed: " + reason(handshake, host));
    }

    private static String reason(Throwable error, String host) {
        // Outermost first for trust, innermost for validity: an expired certificate is also "not trusted".
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof CertificateExpiredException) {
                return "the certificate has expired (" + cause.getMessage() + ")";
            }
            if (cause instanceof CertificateNotYetValidException) {
                return "the certificate is not valid yet (" + cause.getMessage() + ")";
            }
        }
        String deepest = error.getMessage();
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof CertPathBuilderException || cause instanceof CertPathValidatorException) {
                return "the certificate is not trusted (its issuer is neither in backendTls.caFile nor among the"
                        + " JVM's trusted authorities)";
            }
            String message = cause.getMessage();
            if (message != null && (message.startsWith("No subject alternative names")
                    || message.startsWith("No ") && message.contains(" matching "))) {
                // sun.security.util.HostnameChecker: "No subject alternative DNS name matching x found." and kin
                return "the certificate does not name " + host + " (" + message + ")";
            }
            if (message != null && (message.contains("bad_certificate") || message.contains("certificate_required"))) {
                return "the backend requires a client certificate, which Fulcrum does not send (" + message + ")";
            }
            if (message != null && cause.getCause() == null) {
                deepest = message;
            }
        }
        return deepest;
    }
}
