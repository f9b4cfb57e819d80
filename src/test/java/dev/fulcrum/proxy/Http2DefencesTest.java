package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.InFlight;
import dev.fulcrum.support.RawHttp2;
import dev.fulcrum.support.RawHttp2.GoAway;
import dev.fulcrum.support.HeaderBlock;
import dev.fulcrum.support.RawHttp2.Stream;
import dev.fulcrum.support.Scrape;
import dev.fulcrum.support.TestBackend;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Settings;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HTTP/2's ways of making a server work much for little (RFC 9113 §10.5), each met by a bound: streams open at once,
 * streams reset as soon as opened (CVE-2023-44487) and what their requests cost the backends, header blocks continued
 * without end (CVE-2024-27316) or larger than maxHeaderSize, HPACK tables beyond the size the server allows,
 * flow-control windows never opened, and a Host that names another authority than {@code :authority}. A raw client
 * sends the frames over h2c prior knowledge. Most bounds are Vert.x 5.0.10's and Netty's, as {@link EdgeOptions} sets
 * them up; the numbers below are theirs.
 */
@ExtendWith(VertxExtension.class)
class Http2DefencesTest {

    private static final int KIB = 1024;
    /**
     * Vert.x counts RST_STREAM frames per connection (Netty's Http2MaxRstFrameDecoder): the one after 200 within
     * 30 seconds is answered with GOAWAY ENHANCE_YOUR_CALM and the connection closes.
     */
    private static final int RESETS_PER_WINDOW = HttpServerOptions.DEFAULT_HTTP2_RST_FLOOD_MAX_RST_FRAME_PER_WINDOW;
    /**
     * Netty's DefaultHttp2FrameReader: fragments of under 8 KiB that leave a header block open (the HEADERS frame's
     * included) a block may have; the CONTINUATION that follows them is a connection error.
     */
    private static final int SMALL_FRAGMENTS = 16;
    /** SETTINGS_HEADER_TABLE_SIZE's initial value (RFC 9113 §6.5.2), which Vert.x keeps by not sending it. */
    private static final long HPACK_TABLE_SIZE = 4096;
    /** The first index of the HPACK dynamic table, after the 61 static entries. */
    private static final int FIRST_DYNAMIC_INDEX = 62;
    /** The flow-control window of a client that never opens it: a few bytes of a response, then nothing. */
    private static final int WINDOW = 256;

    @Test
    void streamsBeyondTheAdvertisedConcurrencyAreRefusedWhileTheOpenOnesComplete(Vertx vertx) {
        List<Runnable> held = new CopyOnWriteArrayList<>();
        TestBackend backend = TestBackend.start(vertx, "app", req -> {
            if (req.path().startsWith("/held")) {
                Context context = vertx.getOrCreateContext();
                held.add(() -> context.runOnContext(v -> req.response().end("released")));
            } else {
                req.response().end("ok");
            }
        });
        Fulcrum fulcrum = Balancer.start(vertx, h2c(backend));

        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            assertEquals(Long.valueOf(EdgeOptions.MAX_CONCURRENT_STREAMS), client.serverSettings().maxConcurrentStreams());
            List<Integer> open = new ArrayList<>();
            for (int i = 0; i < EdgeOptions.MAX_CONCURRENT_STREAMS; i++) {
                open.add(client.get("/held/" + i));
            }
            Await.until("the backend holds every open stream's request", Duration.ofSeconds(10),
                    () -> held.size() == EdgeOptions.MAX_CONCURRENT_STREAMS);

            Stream refused = client.await(client.get("/held/one-too-many"));
            assertEquals(Http2Error.REFUSED_STREAM.code(), refused.resetCode(), refused.toString());
            assertTrue(client.ping(), "a refused stream is a stream error: the connection stays open");

            held.forEach(Runnable::run);
            for (int id : open) {
                Stream stream = client.await(id);
                assertEquals(200, stream.status(), stream.toString());
                assertEquals("released", stream.body());
            }
            assertEquals(EdgeOptions.MAX_CONCURRENT_STREAMS, backend.requests(), "the refused stream never reached the backend");
            assertEquals(200, client.await(client.get("/after")).status(), "the limit is on streams open at once");
        }
    }

    /**
     * The flood's bound is on resets: the connection closes at the one past it, whatever the client sends. The backend
     * sees at most one request per stream opened, and one retry of each as long as Fulcrum retries the requests of
     * reset streams ({@link #aStreamTheClientResetsIsNotRetried}).
     */
    @Test
    void rapidResetsCloseTheConnectionOnceTheyPassTheFloodBound(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "app");
        Fulcrum fulcrum = Balancer.start(vertx, h2c(backend));
        int opened = 0;

        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            // The PING comes back once the server has read every frame before it: the count stops at the bound.
            do {
                client.sendAndReset(HeaderBlock.get("/", "127.0.0.1"), Http2Error.CANCEL);
                opened++;
            } while (opened < 5_000 && client.ping());
            GoAway goAway = client.awaitGoAway();
            assertEquals(Http2Error.ENHANCE_YOUR_CALM.code(), goAway.errorCode(), goAway.toString());
            client.awaitClosed(5, TimeUnit.SECONDS);
        }
        assertEquals(RESETS_PER_WINDOW + 1, opened, "the reset that passes the bound closes the connection");
        InFlight.awaitNone(fulcrum, "after the reset streams");
        assertTrue(backend.requests() <= 2 * opened, "the backend saw " + backend.requests() + " requests");
        assertEquals(200, new Http(vertx, fulcrum.port()).get("/").await().status(), "other clients are served");
    }

    /** A client that resets its stream has left: its request is not sent to a backend again. */
    @Test
    void aStreamTheClientResetsIsNotRetried(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "slow", req -> vertx.setTimer(200, t -> req.response().end("late")));
        Fulcrum fulcrum = Balancer.start(vertx, h2c(backend));

        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            int stream = client.get("/");
            Await.until("the backend has the request", Duration.ofSeconds(5), () -> backend.requests() == 1);
            client.reset(stream, Http2Error.CANCEL);
            assertTrue(client.ping());
            InFlight.awaitNone(fulcrum, "after the reset");
        }
        assertEquals(0.0, Scrape.of(vertx, fulcrum.adminPort()).count("fulcrum_retries_total", "backend", backend.url(), "pool", "default"),
                "the reset stream's request was retried");
        assertEquals(1, backend.requests());
    }

    /**
     * A client that closes its connection with many streams open (a load generator stopping, a phone losing its
     * network) is gone: its requests fail on the backends' side, which must not be blamed for it (ejected) nor
     * given the requests again (retried).
     */
    @Test
    void aConnectionClosedWithStreamsOpenBlamesNoBackend(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "slow", req -> vertx.setTimer(500, t -> req.response().end("late")));
        Fulcrum fulcrum = Balancer.start(vertx, h2c(backend));

        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            for (int i = 0; i < 10; i++) {
                client.get("/" + i);
            }
            Await.until("the backend has every request", Duration.ofSeconds(5), () -> backend.requests() == 10);
        }
        InFlight.awaitNone(fulcrum, "after the close");

        Scrape scrape = Scrape.of(vertx, fulcrum.adminPort());
        assertEquals(0.0, scrape.count("fulcrum_backend_ejections_total", "backend", backend.url(), "pool", "default"));
        assertEquals(0.0, scrape.count("fulcrum_retries_total", "backend", backend.url(), "pool", "default"));
        assertEquals(10, backend.requests());
    }

    /**
     * Netty counts the fragments of under 8 KiB that leave a header block open, the HEADERS frame's included: the
     * CONTINUATION after the sixteenth is refused, so a block can no longer be spread over thousands of frames.
     */
    @Test
    void aHeaderBlockContinuedInSmallFramesClosesTheConnection(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "app");
        Fulcrum fulcrum = Balancer.start(vertx, h2c(backend));
        byte[] start = HeaderBlock.get("/", "127.0.0.1").bytes();
        byte[] fragment = HeaderBlock.create().literal("x-pad", "a").bytes();

        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            int stream = client.send(start, Integer.MAX_VALUE, false);
            for (int i = 1; i < SMALL_FRAGMENTS - 1; i++) {
                client.continuation(stream, fragment, false);
            }
            client.continuation(stream, fragment, true);
            Stream fragmented = client.await(stream);
            assertEquals(200, fragmented.status(), "a block in " + SMALL_FRAGMENTS + " frames is served: " + fragmented);
        }
        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            int stream = client.send(start, Integer.MAX_VALUE, false);
            for (int i = 1; i < SMALL_FRAGMENTS; i++) {
                client.continuation(stream, fragment, false);
            }
            client.continuation(stream, fragment, true);
            GoAway goAway = client.awaitGoAway();
            assertEquals(Http2Error.ENHANCE_YOUR_CALM.code(), goAway.errorCode(), goAway.toString());
            assertTrue(goAway.debugData().endsWith("exceeds maximum: " + SMALL_FRAGMENTS), goAway.toString());
            client.awaitClosed(5, TimeUnit.SECONDS);
        }
        int sent = 0;
        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            int stream = client.send(start, Integer.MAX_VALUE, false);
            while (sent < 10_000 && !client.isClosed()) {
                client.continuation(stream, fragment, false);
                sent++;
            }
            client.awaitClosed(5, TimeUnit.SECONDS);
        }
        assertTrue(sent < 10_000, "the connection outlived every CONTINUATION of the flood");
        assertEquals(1, backend.requests());
    }

    /**
     * maxHeaderSize bounds the header list as RFC 9113 §6.5.2 counts it (names, values and 32 bytes per field): a
     * larger list is answered 431 on its stream. A block whose encoded bytes pass 1.25 times that (Netty's margin)
     * is a connection error, raised as soon as they do: the server does not buffer on to the end of the block.
     */
    @Test
    void headerListsBeyondMaxHeaderSizeAreRefusedAndLargerBlocksAreNotBuffered(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "app");
        Fulcrum fulcrum = Balancer.start(vertx, h2c(backend));

        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            assertEquals(Long.valueOf(16 * KIB), client.serverSettings().maxHeaderListSize());
            Stream oneLargeValue = client.await(client.send(
                    HeaderBlock.get("/", "127.0.0.1").literal("x-large", "v".repeat(16 * KIB)).bytes(), 16 * KIB, true));
            assertEquals(431, oneLargeValue.status(), oneLargeValue.toString());

            HeaderBlock manyFields = HeaderBlock.get("/", "127.0.0.1");
            for (int i = 0; i < 450; i++) {
                manyFields.literal(String.format("x-field-%03d", i), "0123456789abcdef");
            }
            assertTrue(manyFields.bytes().length < 16 * KIB, "the fields fit one frame; with 32 bytes each they do not fit the list");
            Stream many = client.await(client.send(manyFields));
            assertEquals(431, many.status(), many.toString());

            assertEquals(200, client.await(client.get("/")).status(), "a refused header list leaves the connection open");

            byte[] huge = HeaderBlock.get("/", "127.0.0.1").literal("x-huge", "v".repeat(32 * KIB)).bytes();
            client.send(Arrays.copyOf(huge, 24 * KIB), 8 * KIB, false);
            GoAway goAway = client.awaitGoAway();
            assertEquals(Http2Error.PROTOCOL_ERROR.code(), goAway.errorCode(), goAway.toString());
            assertTrue(goAway.debugData().contains("(" + (16 * KIB + 4 * KIB) + ")"), goAway.toString());
            client.awaitClosed(5, TimeUnit.SECONDS);
        }
        assertEquals(1, backend.requests(), "only the request within the limit was forwarded");
    }

    @Test
    void aSmallerMaxHeaderSizeBoundsHttp2Too(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "app");
        Fulcrum fulcrum = Balancer.start(vertx, h2c(backend).put("maxHeaderSize", "4KiB"));

        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            assertEquals(Long.valueOf(4 * KIB), client.serverSettings().maxHeaderListSize());
            Stream within = client.await(client.send(HeaderBlock.get("/", "127.0.0.1").literal("x-value", "v".repeat(3 * KIB))));
            assertEquals(200, within.status(), within.toString());
            Stream beyond = client.await(client.send(HeaderBlock.get("/", "127.0.0.1").literal("x-value", "v".repeat(4 * KIB))));
            assertEquals(431, beyond.status(), beyond.toString());

            client.send(HeaderBlock.get("/", "127.0.0.1").literal("x-value", "v".repeat(6 * KIB)).bytes(), 16 * KIB, false);
            GoAway goAway = client.awaitGoAway();
            assertEquals(Http2Error.PROTOCOL_ERROR.code(), goAway.errorCode(), goAway.toString());
            assertTrue(goAway.debugData().contains("(" + (4 * KIB + KIB) + ")"), goAway.toString());
        }
        assertEquals(1, backend.requests());
    }

    @Test
    void theHpackTableStaysAtItsDefaultSizeAndAnUpdateBeyondItIsACompressionError(Vertx vertx) {
        Fulcrum fulcrum = Balancer.start(vertx, h2c(TestBackend.start(vertx, "app")));

        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            Long advertised = client.serverSettings().headerTableSize();
            assertEquals(HPACK_TABLE_SIZE, Objects.requireNonNullElse(advertised, HPACK_TABLE_SIZE),
                    "SETTINGS_HEADER_TABLE_SIZE, if sent, keeps RFC 7541's default");
            Stream atTheBound = client.await(client.send(HeaderBlock.create().tableSize(HPACK_TABLE_SIZE).request("GET", "/", "127.0.0.1")));
            assertEquals(200, atTheBound.status(), atTheBound.toString());

            client.send(HeaderBlock.create().tableSize(HPACK_TABLE_SIZE + 1).request("GET", "/", "127.0.0.1"));
            GoAway goAway = client.awaitGoAway();
            assertEquals(Http2Error.COMPRESSION_ERROR.code(), goAway.errorCode(), goAway.toString());
            client.awaitClosed(5, TimeUnit.SECONDS);
        }
    }

    /**
     * RFC 7541 §4.4: a field larger than the table empties it rather than growing it; a block that then refers to
     * what the table would have held refers to nothing, which is a compression error.
     */
    @Test
    void aFieldLargerThanTheHpackTableIsNotKeptAndReferringToItIsACompressionError(Vertx vertx) {
        TestBackend echo = TestBackend.start(vertx, "echo", req -> req.response().end(String.valueOf(req.getHeader("x-field"))));
        Fulcrum fulcrum = Balancer.start(vertx, h2c(echo));

        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            assertEquals(200, client.await(client.send(HeaderBlock.get("/", "127.0.0.1").indexing("x-field", "small"))).status());
            Stream fromTheTable = client.await(client.send(HeaderBlock.get("/", "127.0.0.1").indexed(FIRST_DYNAMIC_INDEX)));
            assertEquals("small", fromTheTable.body(), "a field within the table is kept: " + fromTheTable);

            String large = "v".repeat((int) HPACK_TABLE_SIZE);
            Stream tooLarge = client.await(client.send(HeaderBlock.get("/", "127.0.0.1").indexing("x-field", large)));
            assertEquals(large, tooLarge.body(), tooLarge.toString());

            client.send(HeaderBlock.get("/", "127.0.0.1").indexed(FIRST_DYNAMIC_INDEX));
            GoAway goAway = client.awaitGoAway();
            assertEquals(Http2Error.COMPRESSION_ERROR.code(), goAway.errorCode(), goAway.toString());
            client.awaitClosed(5, TimeUnit.SECONDS);
        }
        assertEquals(3, echo.requests());
    }

    /**
     * A reader that never sends WINDOW_UPDATE holds its response in the server for ever: HTTP/2's version of the
     * reader that never reads. Its response stops moving, and clientIdleTimeout later its connection is cut.
     */
    @Test
    void aClientThatNeverOpensItsWindowIsCutAfterClientIdleTimeout(Vertx vertx) {
        Fulcrum fulcrum = Balancer.start(vertx, h2c(largeResponses(vertx)).put("clientIdleTimeout", "300ms"));

        try (RawHttp2 client = RawHttp2.connect(fulcrum.port(), new Http2Settings().initialWindowSize(WINDOW), false)) {
            Stream large = client.awaitHead(client.get("/large"));
            assertEquals(200, large.status(), large.toString());
            long headAt = System.nanoTime();
            client.awaitClosed(3, TimeUnit.SECONDS);
            long cutAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - headAt);
            assertTrue(cutAfterMillis >= 200, "cut " + cutAfterMillis + " ms after the head: before the response stalled");
            assertTrue(large.bodyBytes() <= WINDOW, large.toString());
            assertFalse(large.ended(), large.toString());
        }
    }

    /** The stalled stream is cut however many others the connection completes beside it. */
    @Test
    void aStalledStreamIsCutThoughAnotherOnItsConnectionCompletes(Vertx vertx) {
        Fulcrum fulcrum = Balancer.start(vertx, h2c(largeResponses(vertx)).put("clientIdleTimeout", "300ms"));

        try (RawHttp2 client = RawHttp2.connect(fulcrum.port(), new Http2Settings().initialWindowSize(WINDOW), false)) {
            Stream large = client.awaitHead(client.get("/large"));
            assertEquals(200, large.status(), large.toString());
            Stream small = client.await(client.get("/small"));
            assertEquals("small", small.body(), small.toString());
            client.awaitClosed(3, TimeUnit.SECONDS);
            assertFalse(large.ended(), large.toString());
        }
    }

    private static TestBackend largeResponses(Vertx vertx) {
        return TestBackend.start(vertx, "large", req -> req.response().end(
                req.path().equals("/large") ? Buffer.buffer(new byte[1024 * KIB]) : Buffer.buffer("small")));
    }

    /**
     * RFC 9113 §8.3.1: a Host that names another authority than {@code :authority} makes the request malformed. Vert.x
     * resets such a stream (PROTOCOL_ERROR, §8.1.1) before Fulcrum sees it; a second Host is Fulcrum's to refuse.
     */
    @Test
    void aHostThatNamesAnotherAuthorityIsRefused(Vertx vertx) {
        TestBackend echo = TestBackend.start(vertx, "echo", req -> req.response().end(req.getHeader("host")));
        Fulcrum fulcrum = Balancer.start(vertx, h2c(echo));

        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            Stream same = client.await(client.send(HeaderBlock.get("/", "a.example").literal("host", "a.example")));
            assertEquals(200, same.status(), same.toString());
            Stream authorityOnly = client.await(client.send(HeaderBlock.get("/", "a.example")));
            assertEquals(200, authorityOnly.status(), authorityOnly.toString());
        }
        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            Stream other = client.await(client.send(HeaderBlock.get("/", "a.example").literal("host", "b.example")));
            assertEquals(Http2Error.PROTOCOL_ERROR.code(), other.resetCode(), other.toString());
            Stream otherPort = client.await(client.send(HeaderBlock.get("/", "a.example").literal("host", "a.example:8080")));
            assertEquals(Http2Error.PROTOCOL_ERROR.code(), otherPort.resetCode(), otherPort.toString());
            assertTrue(client.ping(), "a malformed request is a stream error: the connection stays open");
        }
        try (RawHttp2 client = RawHttp2.connect(fulcrum.port())) {
            Stream twice = client.await(client.send(HeaderBlock.get("/", "a.example")
                    .literal("host", "a.example").literal("host", "b.example")));
            assertEquals(400, twice.status(), twice.toString());
            // RFC 9113 §8.2.2: a response with a connection-specific field is malformed; nghttp2 (curl) and browsers
            // reset its stream, and their users never see the 400.
            assertEquals(null, twice.header("connection"), "a Connection field in an HTTP/2 response");
        }
        assertEquals(2, echo.requests());
    }

    private static JsonObject h2c(TestBackend backend) {
        return Balancer.config(backend).put("h2c", true);
    }
}
