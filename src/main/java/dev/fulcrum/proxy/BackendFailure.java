package dev.fulcrum.proxy;

import dev.fulcrum.health.LocalResources;
import dev.fulcrum.health.TlsFailure;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;

import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/**
 * Why an exchange with a backend failed, and what the client is told. Bodies are short and say which side
 * failed, so an operator reading a client's error knows where to look.
 */
enum BackendFailure {
    NO_HEALTHY_BACKEND(503, "no healthy backend available"),
    /** Fulcrum could not open a connection for want of descriptors or ports: no fault of the backend's. */
    LOCAL_RESOURCES(503, "Fulcrum is out of connections to backends; try again"),
    REFUSED(502, "backend refused the connection"),
    CONNECT_TIMEOUT(504, "backend did not accept the connection in time"),
    RESPONSE_TIMEOUT(504, "backend did not answer in time"),
    TLS_HANDSHAKE(502, "backend TLS handshake failed"),
    BROKEN(502, "backend connection failed"),
    MALFORMED_RESPONSE(502, "backend sent a malformed response"),
    INTERIM_RESPONSE(502, "backend sent an interim (1xx) response that Fulcrum cannot relay");

    final int status;
    final String message;

    BackendFailure(int status, String message) {
        this.status = status;
        this.message = message;
    }

    /** Nothing reached the backend: any request may safely go to another one. */
    boolean beforeSending() {
        return this == REFUSED || this == CONNECT_TIMEOUT || this == TLS_HANDSHAKE;
    }

    static BackendFailure of(Throwable error) {
        if (error instanceof NoHealthyBackendException) {
            return NO_HEALTHY_BACKEND;
        }
        if (LocalResources.exhausted(error).isPresent()) {
            return LOCAL_RESOURCES;
        }
        // A connection not obtained in time: Netty's connect timeout, the pool's (which covers the TLS handshake
        // too), or the handshake timeout of a connection of its own.
        if (error instanceof ConnectTimeoutException || error instanceof TimeoutException
                || error instanceof SslHandshakeTimeoutException) {
            return CONNECT_TIMEOUT;
        }
        if (error instanceof ConnectException) {
            return REFUSED;
        }
        if (TlsFailure.of(error).isPresent()) {
            return TLS_HANDSHAKE;
        }
        // Netty's decoder reports a response it cannot parse (a bad status line, header or chunk size) with
        // its own exceptions or, for a bad version or number, an IllegalArgumentException.
        if (error instanceof DecoderException || error instanceof IllegalArgumentException) {
            return MALFORMED_RESPONSE;
        }
        return BROKEN;
    }
}
