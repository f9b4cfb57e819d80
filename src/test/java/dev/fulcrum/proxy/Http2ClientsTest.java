package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.PemCertificates;
import dev.fulcrum.support.PemCertificates.Pair;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.Sha256;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * HTTP/2 clients, by ALPN on the HTTPS listener or by prior knowledge (h2c) on the plain one, in front of HTTP/1.1
 * backends: bodies of unknown length cross both ways, trailers reach the client, hop-by-hop headers stay behind,
 * streams share a connection, and h2c stays off unless asked for.
 */
@ExtendWith(VertxExtension.class)
class Http2ClientsTest {

    private static final String HOST = "127.0.0.1";
    private static final int MIB = 1024 * 1024;
    private static final int CHUNK = 64 * 1024;
    /** Every wait is bounded by this: a hung stream fails its test instead of the build. */
    private static final long WAIT_SECONDS = 10;

    @TempDir
    static Path certificates;
    private static Pair localhost;

    /** How an HTTP/2 client reaches Fulcrum. */
    enum Transport {
        ALPN_TLS {
            @Override
            JsonObject configure(JsonObject config) {
                return Balancer.withTls(config, localhost);
            }

            @Override
            int port(Fulcrum fulcrum) {
                return fulcrum.tlsPort();
            }

            @Override
            HttpClientOptions client() {
                return new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                        .setSsl(true).setTrustAll(true).setVerifyHost(false).setUseAlpn(true);
            }
        },
        H2C {
            @Override
            JsonObject configure(JsonObject config) {
                return config.put("h2c", true);
            }

            @Override
            int port(Fulcrum fulcrum) {
                return fulcrum.port();
            }

            @Override
            HttpClientOptions client() {
                return priorKnowledge();
            }
        };

        abstract JsonObject configure(JsonObject config);

        abstract int port(Fulcrum fulcrum);

        abstract HttpClientOptions client();
    }

    /** A whole response, read in the callback that had its head. */
    private record Reply(HttpVersion version, int status, MultiMap headers, Buffer body, MultiMap trailers) {

        String header(String name) {
            return headers.get(name);
        }
    }

    @BeforeAll
    static void certificate() {
        localhost = PemCertificates.ec(certificates, "localhost", 30, "localhost");
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void uploadOfUnknownLengthReachesTheBackendChunkedAndWhole(Transport transport, Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "upload", Http2ClientsTest::describeUpload);
        Fulcrum fulcrum = Balancer.start(vertx, transport.configure(Balancer.config(backend)));
        Buffer upload = Http.bytes(MIB, 1);
        Http2Client client = new Http2Client(vertx, transport.client());

        Reply reply = within(client.on(http -> http.request(post(transport.port(fulcrum), "/upload")).compose(req -> {
            req.setChunked(true); // Vert.x's only way to write without a Content-Length; on HTTP/2 it sends no header
            writeInChunks(req, upload);
            return req.response();
        }).compose(Http2ClientsTest::read)), "an upload of unknown length");

        assertEquals(HttpVersion.HTTP_2, reply.version());
        assertEquals(200, reply.status());
        assertEquals("null", reply.header("x-content-length"), "the client sent no Content-Length");
        assertEquals("chunked", reply.header("x-transfer-encoding"));
        assertEquals(Integer.toString(MIB), reply.header("x-bytes"));
        assertEquals(Sha256.of(upload), reply.header("x-sha256"));
        assertEquals(1, backend.requests());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void uploadWithContentLengthKeepsItsLength(Transport transport, Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "upload", Http2ClientsTest::describeUpload);
        Fulcrum fulcrum = Balancer.start(vertx, transport.configure(Balancer.config(backend)));
        Buffer upload = Http.bytes(MIB, 2);
        Http2Client client = new Http2Client(vertx, transport.client());

        Reply reply = within(client.on(http -> http.request(post(transport.port(fulcrum), "/upload")).compose(req -> {
            req.putHeader("content-length", Integer.toString(upload.length()));
            writeInChunks(req, upload);
            return req.response();
        }).compose(Http2ClientsTest::read)), "an upload with a Content-Length");

        assertEquals(200, reply.status());
        assertEquals(Integer.toString(MIB), reply.header("x-content-length"));
        assertEquals("null", reply.header("x-transfer-encoding"));
        assertEquals(Sha256.of(upload), reply.header("x-sha256"));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void downloadsOfUnknownAndKnownLengthArriveWhole(Transport transport, Vertx vertx) {
        Buffer download = Http.bytes(MIB, 3);
        TestBackend backend = TestBackend.start(vertx, "download", req -> {
            HttpServerResponse response = req.response();
            if (req.path().equals("/chunked")) {
                response.setChunked(true);
            } else {
                response.putHeader("content-length", Integer.toString(download.length()));
            }
            stream(response, download, 0);
        });
        Fulcrum fulcrum = Balancer.start(vertx, transport.configure(Balancer.config(backend)));
        Http2Client client = new Http2Client(vertx, transport.client());

        for (String path : List.of("/chunked", "/sized")) {
            Reply reply = within(client.on(http -> http.request(get(transport.port(fulcrum), path))
                    .compose(HttpClientRequest::send).compose(Http2ClientsTest::read)), "GET " + path);
            assertEquals(HttpVersion.HTTP_2, reply.version(), path);
            assertEquals(200, reply.status(), path);
            assertEquals(path.equals("/sized") ? Integer.toString(MIB) : null, reply.header("content-length"),
                    path + ": a known length is announced, an unknown one is not made up");
            assertEquals(download.length(), reply.body().length(), path);
            assertEquals(Sha256.of(download), Sha256.of(reply.body()), path);
        }
    }

    /** gRPC's status travels in trailers: a proxy that drops them turns every call into an error. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void backendTrailersReachHttp2Clients(Transport transport, Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "grpc", Http2ClientsTest::answerWithTrailers);
        Fulcrum fulcrum = Balancer.start(vertx, transport.configure(Balancer.config(backend)));
        Http2Client client = new Http2Client(vertx, transport.client());

        Reply reply = within(client.on(http -> http.request(post(transport.port(fulcrum), "/grpc.Echo/Say"))
                .compose(req -> req.send(Buffer.buffer("call"))).compose(Http2ClientsTest::read)), "a call with trailers");

        assertEquals(200, reply.status());
        assertEquals("answer", reply.body().toString());
        assertEquals("0", reply.trailers().get("grpc-status"), reply.trailers()::toString);
        assertEquals("ok", reply.trailers().get("grpc-message"));
        assertNull(reply.header("grpc-status"), "a trailer is not moved into the head");
    }

    @Test
    void backendTrailersReachChunkedHttp11Clients(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "grpc", Http2ClientsTest::answerWithTrailers);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Http http = new Http(vertx, fulcrum.port());

        Reply reply = within(http.on(client -> client.request(HttpMethod.POST, fulcrum.port(), HOST, "/grpc.Echo/Say")
                .compose(req -> req.send(Buffer.buffer("call"))).compose(Http2ClientsTest::read)), "a call with trailers");

        assertEquals(HttpVersion.HTTP_1_1, reply.version());
        assertEquals(200, reply.status());
        assertEquals("chunked", reply.header("transfer-encoding"));
        assertEquals("answer", reply.body().toString());
        assertEquals("0", reply.trailers().get("grpc-status"), reply.trailers()::toString);
        assertEquals("ok", reply.trailers().get("grpc-message"));
    }

    /** RFC 9113 §8.2.2: connection-specific headers make an HTTP/2 response malformed; they are HTTP/1.1's own. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void hopByHopResponseHeadersStayBehind(Transport transport, Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "app", req -> req.response()
                .putHeader("connection", "keep-alive, x-private")
                .putHeader("keep-alive", "timeout=5")
                .putHeader("x-private", "1")
                .putHeader("upgrade", "foo")
                .putHeader("x-app", "1")
                .end("hop"));
        Fulcrum fulcrum = Balancer.start(vertx, transport.configure(Balancer.config(backend)));
        Http2Client client = new Http2Client(vertx, transport.client());

        Reply reply = within(client.on(http -> http.request(get(transport.port(fulcrum), "/"))
                .compose(HttpClientRequest::send).compose(Http2ClientsTest::read)), "GET /");

        assertEquals(200, reply.status());
        assertEquals("hop", reply.body().toString());
        assertEquals("1", reply.header("x-app"), "an end-to-end header crosses");
        for (String hopByHop : List.of("connection", "keep-alive", "x-private", "upgrade")) {
            assertNull(reply.header(hopByHop), hopByHop);
        }
    }

    /**
     * The backend answers none of the 50 until it has all of them, so they are in flight at once: multiplexed on one
     * connection, not queued behind each other.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void fiftyConcurrentStreamsOnOneConnectionAreAllServed(Transport transport, Vertx vertx) {
        int streams = 50;
        List<HttpServerRequest> held = new ArrayList<>(); // on the backend's one event loop only
        TestBackend backend = TestBackend.start(vertx, "app", req -> {
            held.add(req);
            if (held.size() == streams) {
                held.forEach(waiting -> waiting.response().end(waiting.path()));
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, transport.configure(Balancer.config(backend)));
        Http2Client client = new Http2Client(vertx, transport.client(), new PoolOptions().setHttp2MaxSize(1));
        Set<HttpConnection> connections = Collections.newSetFromMap(new IdentityHashMap<>()); // on the client's context only

        List<Reply> replies = within(client.on(http -> {
            List<Future<Reply>> all = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                all.add(http.request(get(transport.port(fulcrum), "/" + i)).compose(req -> {
                    connections.add(req.connection());
                    return req.send();
                }).compose(Http2ClientsTest::read));
            }
            return Future.all(all).map(done -> done.<Reply>list());
        }), streams + " concurrent streams, held until all arrived");

        for (int i = 0; i < streams; i++) {
            assertEquals(200, replies.get(i).status(), "stream " + i);
            assertEquals("/" + i, replies.get(i).body().toString());
        }
        assertEquals(1, connections.size(), "one connection carried them all");
        assertEquals(streams, backend.requests());
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void sixteenMebibyteDownloadArrivesIntactOnOneStream(Transport transport, Vertx vertx) {
        Buffer download = Http.bytes(16 * MIB, 4);
        TestBackend backend = TestBackend.start(vertx, "large", req -> stream(req.response().setChunked(true), download, 0));
        Fulcrum fulcrum = Balancer.start(vertx, transport.configure(Balancer.config(backend)));
        Http2Client client = new Http2Client(vertx, transport.client());
        MessageDigest digest = Sha256.digest(); // fed on the client's context only
        long[] received = {0};

        int status = within(client.on(http -> http.request(get(transport.port(fulcrum), "/large"))
                .compose(HttpClientRequest::send).compose(resp -> {
                    resp.handler(chunk -> {
                        digest.update(chunk.getBytes());
                        received[0] += chunk.length();
                    });
                    return resp.end().map(ended -> resp.statusCode());
                })), "a 16 MiB download");

        assertEquals(200, status);
        assertEquals(16L * MIB, received[0]);
        assertEquals(Sha256.of(download), Sha256.hex(digest.digest()));
    }

    /**
     * Vert.x hands a request to the proxy before it knows whether a body follows, so the chunked framing given to
     * HTTP/2 requests without Content-Length must spare the methods that never carry one.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Transport.class)
    void bodilessRequestsReachTheBackendWithoutBodyOrFraming(Transport transport, Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "app", Http2ClientsTest::describeUpload);
        Fulcrum fulcrum = Balancer.start(vertx, transport.configure(Balancer.config(backend)));
        Http2Client client = new Http2Client(vertx, transport.client());

        for (HttpMethod method : List.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS)) {
            Reply reply = within(client.on(http -> http.request(get(transport.port(fulcrum), "/").setMethod(method))
                    .compose(HttpClientRequest::send).compose(Http2ClientsTest::read)), method.name());
            assertEquals(200, reply.status(), method.name());
            assertEquals("null", reply.header("x-transfer-encoding"), method.name());
            assertEquals("null", reply.header("x-content-length"), method.name());
            assertEquals("0", reply.header("x-bytes"), method.name());
        }
        assertEquals(3, backend.requests());
    }

    @Test
    void plainListenerSpeaksNoPriorKnowledgeHttp2UnlessAsked(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "app");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Http2Client client = new Http2Client(vertx, priorKnowledge());
        AtomicReference<Throwable> failure = new AtomicReference<>();

        int status = within(client.on(http -> http.request(get(fulcrum.port(), "/"))
                .compose(HttpClientRequest::send).compose(Http2ClientsTest::read)
                .map(Reply::status)
                .otherwise(error -> {
                    failure.set(error);
                    return -1;
                })), "an h2c request to a listener without h2c");

        assertNotEquals(200, status, () -> "h2c is off by default, yet the request was served; failure " + failure.get());
        assertEquals(0, backend.requests());
        assertEquals(200, within(new Http(vertx, fulcrum.port()).get("/"), "GET / over HTTP/1.1").status(),
                "HTTP/1.1 is still served");
    }

    /**
     * With h2c on, Vert.x reads a connection's first bytes to tell the HTTP/2 preface from HTTP/1.1: a request whose
     * body arrived with its head, in one read, must still be served whole.
     */
    @Test
    void http11RequestWithABodyIsServedWhenH2cIsOn(Vertx vertx) {
        TestBackend echo = TestBackend.start(vertx, "echo", req -> req.body().onSuccess(body -> req.response().end(body)));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(echo).put("h2c", true));

        RawHttp.Response response = RawHttp.send(fulcrum.port(),
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");

        assertEquals(200, response.status(), response::toString);
        assertEquals("hello", response.body());
        assertEquals(1, echo.requests());
    }

    private static HttpClientOptions priorKnowledge() {
        return new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false);
    }

    private static RequestOptions get(int port, String uri) {
        return new RequestOptions().setMethod(HttpMethod.GET).setHost(HOST).setPort(port).setURI(uri);
    }

    private static RequestOptions post(int port, String uri) {
        return get(port, uri).setMethod(HttpMethod.POST);
    }

    /** Reads the body in the callback that has the head: Vert.x 5.0.10 may never complete a body() asked for later (#6038). */
    /** {@code body} in {@value #CHUNK}-byte writes, then the end. */
    private static void writeInChunks(HttpClientRequest request, Buffer body) {
        for (int from = 0; from < body.length(); from += CHUNK) {
            request.write(body.slice(from, Math.min(from + CHUNK, body.length())));
        }
        request.end();
    }

    private static Future<Reply> read(HttpClientResponse resp) {
        return resp.body().map(body -> new Reply(resp.version(), resp.statusCode(),
                MultiMap.caseInsensitiveMultiMap().addAll(resp.headers()), body,
                MultiMap.caseInsensitiveMultiMap().addAll(resp.trailers())));
    }

    /** The backend's view of a request, in headers: its framing, its length and its checksum ("null" when absent). */
    private static void describeUpload(HttpServerRequest req) {
        String transferEncoding = String.valueOf(req.getHeader("transfer-encoding"));
        String contentLength = String.valueOf(req.getHeader("content-length"));
        req.body().onSuccess(body -> req.response()
                .putHeader("x-transfer-encoding", transferEncoding)
                .putHeader("x-content-length", contentLength)
                .putHeader("x-bytes", Integer.toString(body.length()))
                .putHeader("x-sha256", Sha256.of(body))
                .end());
    }

    /** As a gRPC server answers over HTTP/1.1: a chunked body, then the status in trailers. */
    private static void answerWithTrailers(HttpServerRequest req) {
        req.body().onSuccess(body -> {
            HttpServerResponse response = req.response().setChunked(true).putHeader("trailer", "grpc-status, grpc-message");
            response.write("answer");
            response.trailers().add("grpc-status", "0").add("grpc-message", "ok");
            response.end();
        });
    }

    /** Writes {@code data} from {@code from} on in 64 KiB chunks as fast as the proxy takes them, then ends. */
    private static void stream(HttpServerResponse response, Buffer data, int from) {
        int next = from;
        while (next < data.length()) {
            if (response.writeQueueFull()) {
                int resume = next;
                response.drainHandler(drained -> stream(response, data, resume));
                return;
            }
            int to = Math.min(next + CHUNK, data.length());
            response.write(data.slice(next, to));
            next = to;
        }
        response.end();
    }

    private static <T> T within(Future<T> exchange, String what) {
        try {
            return exchange.await(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError(what + ": not done within " + WAIT_SECONDS + " s", e);
        }
    }

    /**
     * An HTTP/2 client used on one Vert.x context, as {@link Http} is: called from the test thread, the 5.0.10 pool
     * would take a fresh context per request.
     */
    private static final class Http2Client {

        private final Context context;
        private final HttpClient client;

        Http2Client(Vertx vertx, HttpClientOptions options) {
            this(vertx, options, new PoolOptions());
        }

        Http2Client(Vertx vertx, HttpClientOptions options, PoolOptions pool) {
            this.context = vertx.getOrCreateContext();
            this.client = vertx.createHttpClient(options, pool);
        }

        <T> Future<T> on(Function<HttpClient, Future<T>> exchange) {
            Promise<T> result = Promise.promise();
            context.runOnContext(v -> exchange.apply(client).onComplete(result));
            return result.future();
        }
    }
}
