package dev.fulcrum.proxy;

import dev.fulcrum.config.ClientLimits;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.ServerCertificate;
import dev.fulcrum.config.TlsSettings;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** How the client-facing listeners are set up: the plain one, and the HTTPS one with its certificates. */
final class EdgeOptions {

    /** RFC 9113 §6.5.2 recommends at least 100; NGINX, HAProxy and Envoy's edge settings all use 100. */
    static final int MAX_CONCURRENT_STREAMS = 100;
    /** A client that has not finished its handshake by then is not going to: its connection is closed. */
    static final long HANDSHAKE_TIMEOUT_SECONDS = 10;

    private EdgeOptions() {
    }

    /**
     * The plain listener. Without {@code h2c} the connection handler runs when a connection is accepted, before its
     * first byte is decoded: the framing decoder and the header timeout need that. With it, Vert.x detects the HTTP/2
     * preface (prior knowledge) first.
     */
    static HttpServerOptions plain(FulcrumConfig config) {
        return common(config).setHttp2ClearTextEnabled(config.h2c());
    }

    /** The HTTPS listener: HTTP/2 and HTTP/1.1 by ALPN (browsers open WebSockets over HTTP/1.1), certificates by SNI. */
    static HttpServerOptions tls(FulcrumConfig config, TlsSettings tls) {
        HttpServerOptions options = common(config)
                .setHttp2ClearTextEnabled(false)
                .setSsl(true)
                .setSni(true)
                .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1))
                .setSslEngineOptions(tls.engine() == TlsSettings.Engine.OPENSSL ? new OpenSSLEngineOptions() : new JdkSSLEngineOptions());
        // The options' own SSL part (made by their first SSL setter, which every later one writes to): filled by the
        // same code as a running listener's update, so that the two never differ.
        configure(options.getSslOptions(), tls);
        return options;
    }

    /** What {@link #tls} sets about certificates and protocols, for a listener that is running already. */
    static ServerSSLOptions ssl(TlsSettings tls) {
        return configure(new ServerSSLOptions(), tls);
    }

    private static ServerSSLOptions configure(ServerSSLOptions options, TlsSettings tls) {
        options.setSni(true)
                .setUseAlpn(true)
                .setSslHandshakeTimeout(HANDSHAKE_TIMEOUT_SECONDS)
                .setSslHandshakeTimeoutUnit(TimeUnit.SECONDS)
                .setKeyCertOptions(keyCerts(tls))
                .setEnabledSecureTransportProtocols(tls.protocols());
        tls.cipherSuites().forEach(options::addEnabledCipherSuite);
        return options;
    }

    /** Every pair, the first one first: Vert.x serves it to a client whose SNI no certificate names. */
    private static PemKeyCertOptions keyCerts(TlsSettings tls) {
        PemKeyCertOptions pairs = new PemKeyCertOptions();
        for (ServerCertificate certificate : tls.certificates()) {
            pairs.addCertValue(certificate.certValue()).addKeyValue(certificate.keyValue());
        }
        return pairs;
    }

    private static HttpServerOptions common(FulcrumConfig config) {
        ClientLimits limits = config.limits();
        return new HttpServerOptions()
                .setTcpNoDelay(true)
                .setMaxHeaderSize(limits.maxHeaderSize())
                .setMaxInitialLineLength(limits.maxUriLength())
                // maxHeaderSize bounds an HTTP/2 header block as it bounds an HTTP/1.1 head.
                .setInitialSettings(new Http2Settings()
                        .setMaxConcurrentStreams(MAX_CONCURRENT_STREAMS)
                        .setMaxHeaderListSize(limits.maxHeaderSize()));
    }
}
