package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.health.HealthEvent;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Load balancing, active and passive health checking, forwarded headers and the admin endpoints,
 * with real sockets: the proxy, its backends and its clients all talk over loopback.
 */
@ExtendWith(VertxExtension.class)
class BalancingHealthEdgeCasesTest {

    private static final Duration WAIT = Duration.ofSeconds(5);

    // ------------------------------------------------------------------------------------------------------
    // Load balancing
    // ------------------------------------------------------------------------------------------------------

    /**
     * Three equal backends, one event loop, and clients that always have two requests in flight at once (two
     * users clicking in step). Every backend is idle or busy alike, so each should get about a third.
     */
    @Test
    void leastBusyTiesAmongEqualBackendsShareTheLoadWhenTwoRequestsOverlap(Vertx vertx) {
        List<TestBackend> backends = List.of(slowBackend(vertx, "a", 25), slowBackend(vertx, "b", 25),
                slowBackend(vertx, "c", 25));
        Fulcrum fulcrum = startOnOneEventLoop(vertx, Balancer.config(backends.toArray(TestBackend[]::new)));
        Http http = new Http(vertx, fulcrum.port());

        int rounds = 90;
        for (int round = 0; round < rounds; round++) {
            Future.all(http.get("/"), http.get("/")).await();
        }

        Map<String, Integer> served = new HashMap<>();
        backends.forEach(b -> served.put(b.name(), b.requests()));
        assertEquals(2 * rounds, served.values().stream().mapToInt(Integer::intValue).sum());
        for (TestBackend backend : backends) {
            // A fair share is 60 of 180; a rotation that favours some positions gives 30 / 60 / 90.
            assertTrue(backend.requests() >= 45 && backend.requests() <= 75,
                    "equal idle backends should share overlapping requests about evenly, got " + served);
        }
    }

    /** Weight 3 against weight 1, both equally slow, eight requests always in flight: about 3 to 1. */
    @Test
    void leastBusyWithWeightsSplitsConcurrentLoadByWeight(Vertx vertx) {
        TestBackend heavy = slowBackend(vertx, "heavy", 40);
        TestBackend light = slowBackend(vertx, "light", 40);
        JsonObject config = Balancer.config(heavy, light).put("servers", new JsonArray()
                .add(new JsonObject().put("url", heavy.url()).put("weight", 3))
                .add(new JsonObject().put("url", light.url()).put("weight", 1)));
        Fulcrum fulcrum = Balancer.start(vertx, config);
        Http http = new Http(vertx, fulcrum.port());

        List<Future<Integer>> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            clients.add(BalancingTest.sequence(http, 20));
        }
        Future.all(clients).await();

        clients.forEach(client -> assertEquals(20, client.result()));
        int total = heavy.requests() + light.requests();
        assertEquals(160, total);
        double heavyShare = heavy.requests() / (double) total;
        assertTrue(heavyShare >= 0.62 && heavyShare <= 0.88,
                "weight 3 of 4 should carry about 75 %, got heavy=" + heavy.requests() + " light=" + light.requests());
        for (Backend backend : fulcrum.backends().all()) {
            Await.until(backend + " has nothing in flight", WAIT, () -> backend.inFlight() == 0);
        }
    }

    /**
     * Smooth weighted round robin on one event loop is exact: weights 3, 1, 2 give a c a b c a. A backend that
     * leaves and comes back gets its turns again.
     */
    @Test
    void roundRobinIsExactWithWeightsAndABackendThatComesBackGetsItsTurnsAgain(Vertx vertx) {
        TestBackend a = TestBackend.start(vertx, "a");
        TestBackend b = TestBackend.start(vertx, "b");
        TestBackend c = TestBackend.start(vertx, "c");
        JsonObject config = Balancer.fastHealth(Balancer.config(a, b, c)).put("algorithm", "round-robin")
                .put("servers", new JsonArray()
                        .add(new JsonObject().put("url", a.url()).put("weight", 3))
                        .add(new JsonObject().put("url", b.url()).put("weight", 1))
                        .add(new JsonObject().put("url", c.url()).put("weight", 2)));
        Fulcrum fulcrum = startOnOneEventLoop(vertx, config);
        Backend cState = fulcrum.backends().find(c.url()).orElseThrow();
        Http http = new Http(vertx, fulcrum.port());

        StringBuilder first = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            first.append(http.get("/").await().body());
        }
        assertEquals("acabca", first.toString(), "smooth, never in bursts");
        assertEquals(Map.of("a", 30, "b", 10, "c", 20), picks(http, 60));

        c.probeStatus(500);
        Await.until("c is out", WAIT, () -> cState.health() == HealthState.UNHEALTHY);
        // The proxy hears of it a moment later (a health event); until then six picks in a row include c twice.
        Await.until("the proxy routes around c", WAIT, () -> !picks(http, 6).containsKey("c"));
        Map<String, Integer> withoutC = picks(http, 40);
        assertEquals(Map.of("a", 30, "b", 10), withoutC);

        c.probeStatus(200);
        Await.until("c is back", WAIT, () -> cState.health() == HealthState.HEALTHY);
        Map<String, Integer> withC = picks(http, 60);
        assertTrue(Math.abs(withC.getOrDefault("c", 0) - 20) <= 2, "c gets its share again: " + withC);
        assertTrue(Math.abs(withC.getOrDefault("a", 0) - 30) <= 2, "a keeps its share: " + withC);
    }

    // ------------------------------------------------------------------------------------------------------
    // In-flight accounting
    // ------------------------------------------------------------------------------------------------------

    /**
     * Weighted backends under concurrent traffic that times out, is dropped, dies mid-response, is refused and
     * retried, while a reload removes a backend and adds it back under the same URL: every counter, the old
     * Backend object's included, returns to exactly zero.
     */
    @Test
    void inFlightReturnsToZeroAfterMixedOutcomesWithWeightsAndARemoveReAddReload(Vertx vertx, @TempDir Path dir) {
        TestBackend a = TestBackend.start(vertx, "a", req -> InFlightAccountingTest.misbehave(vertx, req));
        TestBackend b = TestBackend.start(vertx, "b", req -> InFlightAccountingTest.misbehave(vertx, req));
        TestBackend dead = TestBackend.start(vertx, "dead");
        dead.stop();
        JsonArray all = new JsonArray()
                .add(new JsonObject().put("url", a.url()).put("weight", 3))
                .add(new JsonObject().put("url", b.url()).put("weight", 2))
                .add(new JsonObject().put("url", dead.url()).put("weight", 5));
        JsonObject config = Balancer.fastHealth(Balancer.config(a, b, dead)).put("servers", all)
                .put("requestTimeout", "150ms").put("consecutiveFailures", 1000);
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend oldB = fulcrum.backends().find(b.url()).orElseThrow();
        Http http = new Http(vertx, fulcrum.port());
        List<String> paths = List.of("/", "/slow", "/drop", "/die-midway", "/", "/stream");
        Map<Integer, Integer> statuses = new java.util.concurrent.ConcurrentHashMap<>();

        List<Future<Void>> loops = new ArrayList<>();
        for (int c = 0; c < 6; c++) {
            loops.add(mixedLoop(http, paths, c, 30, statuses));
        }
        Await.until("traffic has started", WAIT, () -> statuses.values().stream().mapToInt(i -> i).sum() >= 20);
        JsonArray withoutB = new JsonArray().add(all.getValue(0)).add(all.getValue(2));
        file.renameReplace(config.copy().put("servers", withoutB));
        Await.until("b removed", WAIT, () -> fulcrum.status().generation() == 2);
        file.renameReplace(config);
        Await.until("b added back", WAIT, () -> fulcrum.status().generation() == 3);
        Future.all(loops).await();

        Backend newB = fulcrum.backends().find(b.url()).orElseThrow();
        assertNotSame(oldB, newB, "b came back as a new backend");
        assertTrue(statuses.getOrDefault(504, 0) > 0, "some requests timed out: " + statuses);
        assertTrue(statuses.getOrDefault(200, 0) > 0, "some requests were served: " + statuses);
        for (Backend backend : List.of(oldB, newB, fulcrum.backends().find(a.url()).orElseThrow(),
                fulcrum.backends().find(dead.url()).orElseThrow())) {
            Await.until(backend + " has nothing in flight (now " + backend.inFlight() + ")", WAIT,
                    () -> backend.inFlight() == 0);
        }
    }

    /**
     * A server removed while three requests wait on it, then added back under the same URL: after
     * {@code shutdownTimeout} the old requests are cut (and retried elsewhere). Those failures belong to the
     * removed backend; they must not eject the new one, which never failed.
     */
    @Test
    void cutRequestsOfARemovedBackendDoNotEjectItsReAddedNamesake(Vertx vertx, @TempDir Path dir) {
        AtomicInteger held = new AtomicInteger();
        TestBackend x = TestBackend.start(vertx, "x", req -> {
            if (held.incrementAndGet() > 3) {
                req.response().end("x");
            } // the first three are held until their connection is cut
        });
        TestBackend y = TestBackend.start(vertx, "y");
        JsonObject config = Balancer.config(x).put("shutdownTimeout", "400ms");
        ConfigFile file = ConfigFile.plain(dir, config);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Backend oldX = fulcrum.backends().all().get(0);
        Http http = new Http(vertx, fulcrum.port());
        List<String> changes = new CopyOnWriteArrayList<>();
        vertx.eventBus().<JsonObject>consumer(HealthEvent.ADDRESS, message -> {
            HealthEvent event = HealthEvent.fromJson(message.body());
            changes.add(event.backend().equals(y.url()) ? "y " + event.state() : "x " + event.state() + ": " + event.reason());
        });

        List<Future<Http.Reply>> waiting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            waiting.add(http.get("/held"));
        }
        Await.until("three requests wait on x", WAIT, () -> oldX.inFlight() == 3);
        file.renameReplace(config.copy().put("servers", new JsonArray().add(y.url())));
        Await.until("x removed", WAIT, () -> fulcrum.status().generation() == 2);
        file.renameReplace(config.copy().put("servers", new JsonArray().add(x.url()).add(y.url())));
        Await.until("x added back", WAIT, () -> fulcrum.status().generation() == 3);
        Backend newX = fulcrum.backends().find(x.url()).orElseThrow();
        assertNotSame(oldX, newX);
        assertEquals(HealthState.HEALTHY, newX.health());

        for (Future<Http.Reply> reply : waiting) {
            assertEquals(200, reply.await().status(), "cut after shutdownTimeout, then retried");
        }
        Await.until("the old backend has nothing in flight", WAIT, () -> oldX.inFlight() == 0);
        boolean ejected = poll(Duration.ofSeconds(1), () -> newX.health() != HealthState.HEALTHY);

        assertFalse(ejected, "the re-added x was ejected for the removed one's failures: " + newX.lastFailure()
                + "; health events " + changes);
    }

    // ------------------------------------------------------------------------------------------------------
    // Health checks
    // ------------------------------------------------------------------------------------------------------

    /**
     * Thresholds of 3 through real probes: S | F F S F F F -> out on the sixth failure in total but the third in a
     * row; then S S F S S S -> back on the third success in a row.
     */
    @Test
    void healthThresholdsCountOnlyRunsInARowThroughRealProbes(Vertx vertx) {
        boolean[] script = {true, false, false, true, false, false, false, true, true, false, true, true, true};
        AtomicInteger answered = new AtomicInteger();
        TestBackend backend = TestBackend.start(vertx, "scripted");
        backend.probeHandler(req -> {
            int index = answered.getAndIncrement();
            boolean ok = index >= script.length || script[index];
            req.response().setStatusCode(ok ? 200 : 500).end();
        });
        List<String> changes = new CopyOnWriteArrayList<>();
        vertx.eventBus().<JsonObject>consumer(HealthEvent.ADDRESS, message -> {
            HealthEvent event = HealthEvent.fromJson(message.body());
            changes.add(event.state() + "@" + answered.get());
        });
        JsonObject config = Balancer.config(backend).put("healthCheckInterval", "20ms").put("healthCheck", new JsonObject()
                .put("timeout", "500ms").put("healthyThreshold", 3).put("unhealthyThreshold", 3));
        Balancer.start(vertx, config);

        Await.until("the script has run, and three probes more", WAIT, () -> answered.get() >= script.length + 3);

        assertEquals(List.of("HEALTHY@1", "UNHEALTHY@7", "HEALTHY@13"), changes);
    }

    /**
     * A backend ejected by the proxy after {@code consecutiveFailures} (3) comes back through the probes; one
     * more failed exchange afterwards is one failure, not the fourth of a run that the ejection already ended.
     */
    @Test
    void passiveFailureRunStartsAfreshOnceProbesReadmitTheBackend(Vertx vertx) {
        TestBackend flaky = TestBackend.start(vertx, "flaky", req -> {
            if (req.path().equals("/drop")) {
                req.connection().close();
            } else {
                req.response().end("ok");
            }
        });
        List<HealthState> changes = new CopyOnWriteArrayList<>();
        vertx.eventBus().<JsonObject>consumer(HealthEvent.ADDRESS,
                message -> changes.add(HealthEvent.fromJson(message.body()).state()));
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(flaky)).put("consecutiveFailures", 3));
        Backend state = fulcrum.backends().all().get(0);
        Http http = new Http(vertx, fulcrum.port());

        for (int i = 0; i < 3; i++) {
            assertEquals(502, http.get("/drop").await().status());
        }
        Await.until("ejected after three failures in a row", WAIT, () -> state.health() == HealthState.UNHEALTHY);
        assertTrue(state.lastFailure().startsWith("3 failed exchanges in a row"), state.lastFailure());
        Await.until("readmitted by the probes", WAIT, () -> changes.size() == 3);
        assertEquals(List.of(HealthState.HEALTHY, HealthState.UNHEALTHY, HealthState.HEALTHY), changes);

        // The proxies hear of the readmission a moment after this test's own consumer; a 503 meanwhile does not
        // count against the backend.
        int[] status = {0};
        Await.until("the proxies route to it again", WAIT, () -> (status[0] = http.get("/drop").await().status()) != 503);
        assertEquals(502, status[0]);
        int probes = flaky.probes();
        // An ejection message is handled by the health checker before the probes it starts afterwards.
        Await.until("three more probes ran", WAIT, () -> flaky.probes() >= probes + 3);

        assertAll(
                () -> assertEquals(List.of(HealthState.HEALTHY, HealthState.UNHEALTHY, HealthState.HEALTHY), changes,
                        "one failed exchange after readmission changed the backend's health"),
                () -> assertTrue(state.lastFailure().startsWith("3 failed exchanges in a row"),
                        "ejected again, by: " + state.lastFailure()));
    }

    /** Probes go to the server URL's path prefix plus the check path, query included; status lists and ranges. */
    @Test
    void probeUsesThePathPrefixAndItsQueryAndExpectedStatusListsAndRanges(Vertx vertx) {
        AtomicInteger probeStatus = new AtomicInteger(204);
        List<String> probeUris = new CopyOnWriteArrayList<>();
        TestBackend backend = TestBackend.start(vertx, "b").probeHandler(req -> {
            probeUris.add(req.uri());
            req.response().setStatusCode(probeStatus.get()).end();
        });
        JsonObject config = Balancer.config(backend.url() + "/api/").put("healthCheckInterval", "20ms")
                .put("healthCheck", new JsonObject().put("timeout", "500ms").put("path", "/healthz?deep=1")
                        .put("expectedStatus", "200, 204,300-302").put("healthyThreshold", 1).put("unhealthyThreshold", 1));
        Fulcrum fulcrum = Balancer.start(vertx, config);
        Backend state = fulcrum.backends().all().get(0);

        assertEquals(HealthState.HEALTHY, state.health(), "204 is listed");
        assertEquals("/api/healthz?deep=1", probeUris.get(0));
        probeStatus.set(299);
        Await.until("299 is not listed", WAIT, () -> state.health() == HealthState.UNHEALTHY);
        assertEquals("HTTP 299 from GET /api/healthz?deep=1 (expected 200, 204,300-302)", state.lastFailure());
        probeStatus.set(301);
        Await.until("301 is in 300-302", WAIT, () -> state.health() == HealthState.HEALTHY);
        probeStatus.set(303);
        Await.until("303 is past 300-302", WAIT, () -> state.health() == HealthState.UNHEALTHY);
        assertTrue(probeUris.stream().allMatch("/api/healthz?deep=1"::equals), probeUris.toString());
    }

    /**
     * A probe whose status line arrives but whose body never ends is a probe with no answer: it fails at its
     * timeout, and the next one starts only after it (never two at once).
     */
    @Test
    void probeWhoseBodyNeverEndsFailsAtItsTimeoutAndProbesNeverOverlap(Vertx vertx) {
        AtomicInteger open = new AtomicInteger();
        AtomicInteger maxOpen = new AtomicInteger();
        TestBackend endless = TestBackend.start(vertx, "endless").probeHandler(req -> {
            maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            req.connection().closeHandler(v -> open.decrementAndGet());
            req.response().setChunked(true).write("still going");
        });
        TestBackend steady = TestBackend.start(vertx, "steady");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(endless, steady)
                .put("healthCheckInterval", "20ms").put("healthCheck", new JsonObject().put("timeout", "150ms")));
        Backend state = fulcrum.backends().find(endless.url()).orElseThrow();

        assertEquals(HealthState.UNHEALTHY, state.health());
        assertEquals("no answer within 150ms", state.lastFailure());
        Await.until("five endless probes", WAIT, () -> endless.probes() >= 5);
        assertEquals(1, maxOpen.get(), "probes to one backend overlapped");
        assertEquals(200, new Http(vertx, fulcrum.port()).get("/").await().status());
    }

    // ------------------------------------------------------------------------------------------------------
    // Forwarded headers
    // ------------------------------------------------------------------------------------------------------

    /**
     * README: X-Forwarded-Proto, -Host and -Port are set by Fulcrum, replacing what the client sent. A client
     * that sends no usable Host (HTTP/1.0 without one, HTTP/1.1 without one, or a malformed one) must not get
     * its own X-Forwarded-Host through to the backend.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"HTTP/1.0 without Host", "HTTP/1.1 without Host", "HTTP/1.1 with a malformed Host"})
    void spoofedXForwardedHostNeverReachesTheBackend(String shape, Vertx vertx) {
        String head = switch (shape) {
            case "HTTP/1.0 without Host" -> "GET /r HTTP/1.0\r\n";
            case "HTTP/1.1 without Host" -> "GET /r HTTP/1.1\r\nConnection: close\r\n";
            default -> "GET /r HTTP/1.1\r\nHost: shop.example:99999\r\nConnection: close\r\n";
        };
        AtomicReference<MultiMap> seen = new AtomicReference<>();
        TestBackend backend = recording(vertx, seen);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), head
                + "X-Forwarded-Host: evil.example\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Port: 1\r\n\r\n");

        if (response.status() == 200) {
            MultiMap headers = seen.get();
            assertEquals("http", headers.get("x-forwarded-proto"));
            assertEquals(Integer.toString(fulcrum.port()), headers.get("x-forwarded-port"));
            assertFalse(headers.getAll("x-forwarded-host").contains("evil.example"),
                    shape + ": the client's X-Forwarded-Host reached the backend: " + headers.getAll("x-forwarded-host"));
        } else {
            assertEquals(400, response.status(), shape + " may be refused, but only as a bad request");
        }
    }

    /**
     * A request target in absolute form names the host: RFC 9112 §3.2.2 says the Host header is then ignored
     * and replaced by the target's authority. The backend (preserveHost) and X-Forwarded-Host must agree with
     * the path that is forwarded.
     */
    @Test
    void absoluteFormTargetsAuthorityWinsOverTheHostHeader(Vertx vertx) {
        AtomicReference<MultiMap> seen = new AtomicReference<>();
        AtomicReference<String> uri = new AtomicReference<>();
        TestBackend backend = TestBackend.start(vertx, "rec", req -> {
            seen.set(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
            uri.set(req.uri());
            req.response().end("ok");
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        RawHttp.Response response = RawHttp.send(fulcrum.port(),
                "GET http://other.example:8443/p?q=1 HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n");

        assertEquals(200, response.status());
        assertEquals("/p?q=1", uri.get());
        assertAll(
                () -> assertEquals("other.example:8443", seen.get().get("host"), "Host seen by the backend"),
                () -> assertEquals("other.example:8443", seen.get().get("x-forwarded-host"), "X-Forwarded-Host"));
    }

    /** An IPv6 client: X-Forwarded-For carries its address, Forwarded carries it quoted and bracketed (RFC 7239 §6). */
    @Test
    void ipv6ClientAddressIsBracketedAndQuotedInForwardedAndUsableInXForwardedFor(Vertx vertx) throws IOException {
        AtomicReference<MultiMap> seen = new AtomicReference<>();
        TestBackend backend = recording(vertx, seen);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("listenPort", "[::1]:0")
                .put("forwardedHeaders", "both"));
        int port = fulcrum.port();

        String response = rawIpv6(port, "GET /v6 HTTP/1.1\r\nHost: [::1]:" + port
                + "\r\nX-Forwarded-For: 2001:db8::7\r\nConnection: close\r\n\r\n");

        assertTrue(response.startsWith("HTTP/1.1 200"), response);
        MultiMap headers = seen.get();
        Matcher forwarded = Pattern.compile("for=\"\\[([^\\]\"]+)\\]\";proto=http;host=\"\\[::1\\]:" + port + "\"")
                .matcher(headers.get("forwarded"));
        assertTrue(forwarded.matches(), "Forwarded: " + headers.get("forwarded"));
        assertIpv6Loopback(forwarded.group(1));
        String xff = headers.get("x-forwarded-for");
        assertTrue(xff.startsWith("2001:db8::7, "), "appended to the client's list: " + xff);
        assertIpv6Loopback(xff.substring("2001:db8::7, ".length()));
        assertEquals("[::1]:" + port, headers.get("x-forwarded-host"));
    }

    /**
     * An IPv6 backend, {@code "http://[::1]:port"}: with preserveHost false it should see its own address as a
     * valid Host ({@code [::1]:port}, RFC 9110 §7.2 and RFC 3986 §3.2.2), and so should its health probes.
     */
    @Test
    void ipv6BackendGetsABracketedHostWithoutPreserveHostAndInItsProbes(Vertx vertx) {
        AtomicReference<String> requestHost = new AtomicReference<>();
        AtomicReference<String> probeHost = new AtomicReference<>();
        HttpServer v6 = vertx.createHttpServer().requestHandler(req -> {
            if ("fulcrum-health-check".equals(req.getHeader("user-agent"))) {
                probeHost.set(req.getHeader("host"));
            } else {
                requestHost.set(req.getHeader("host"));
            }
            req.response().end("v6");
        }).listen(0, "::1").await();
        int port = v6.actualPort();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config("http://[::1]:" + port).put("preserveHost", false));

        Http.Reply reply = new Http(vertx, fulcrum.port()).get("/").await();

        assertEquals(200, reply.status());
        assertEquals("v6", reply.body());
        assertAll(
                () -> assertEquals("[::1]:" + port, requestHost.get(), "Host sent to an IPv6 backend without preserveHost"),
                () -> assertEquals("[::1]:" + port, probeHost.get(), "Host sent by the health probe to an IPv6 backend"));
    }

    /** Connection-listed headers split over several Connection lines, in any case, stop in both directions. */
    @Test
    void connectionListedHeadersOverSeveralLinesAndCasesStopInBothDirections(Vertx vertx) {
        AtomicReference<MultiMap> seen = new AtomicReference<>();
        TestBackend backend = TestBackend.start(vertx, "b", req -> {
            seen.set(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
            req.response()
                    .putHeader("Connection", List.<String>of("X-Hop-One", "x-HOP-two , keep-alive"))
                    .putHeader("x-hop-one", "1")
                    .putHeader("X-Hop-Two", "2")
                    .putHeader("X-Kept", "yes")
                    .end("ok");
        });
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));

        RawHttp.Response response = RawHttp.send(fulcrum.port(), "GET / HTTP/1.1\r\nHost: shop.example\r\n"
                + "Connection: X-Req-One\r\nconnection: x-REQ-two,  close\r\n"
                + "x-req-one: 1\r\nX-Req-Two: 2\r\nX-Req-Kept: yes\r\n\r\n");

        assertEquals(200, response.status());
        MultiMap request = seen.get();
        assertFalse(request.contains("x-req-one"), "x-req-one reached the backend");
        assertFalse(request.contains("x-req-two"), "x-req-two reached the backend");
        assertEquals("yes", request.get("x-req-kept"));
        assertEquals(null, response.header("x-hop-one"));
        assertEquals(null, response.header("x-hop-two"));
        assertEquals("yes", response.header("x-kept"));
    }

    // ------------------------------------------------------------------------------------------------------
    // Admin endpoints
    // ------------------------------------------------------------------------------------------------------

    /**
     * Readiness goes UP -> DOWN when the only backend is ejected and back UP when it returns, with the JSON the
     * README shows; liveness stays UP throughout; unknown paths are 404 and other methods are not answered as GET.
     */
    @Test
    void readinessFollowsEjectionAndRecoveryWhileLivenessStaysUpAndOtherPathsAndMethodsAreRefused(Vertx vertx) {
        TestBackend only = TestBackend.start(vertx, "only");
        int port = only.port();
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(only)));
        Backend state = fulcrum.backends().all().get(0);
        Http http = new Http(vertx, fulcrum.port());
        Http admin = new Http(vertx, fulcrum.adminPort());

        Http.Reply up = admin.get("/health/ready").await();
        assertEquals(200, up.status());
        JsonObject upCheck = new JsonObject(up.body()).getJsonArray("checks").getJsonObject(0);
        assertEquals("backends", upCheck.getString("id"));
        assertEquals("UP", upCheck.getString("status"));
        JsonObject upBackend = upCheck.getJsonObject("data").getJsonArray("backends").getJsonObject(0);
        assertEquals(only.url(), upBackend.getString("url"));
        assertEquals("HEALTHY", upBackend.getString("state"));
        assertEquals(0, upBackend.getInteger("inFlight"));
        assertTrue(upBackend.containsKey("lastFailure"), "lastFailure is listed even when null: " + upBackend);

        assertEquals(404, admin.get("/health").await().status());
        assertEquals(404, admin.get("/nope").await().status());
        int postStatus = admin.send(HttpMethod.POST, "/health/ready").await().status();
        assertTrue(postStatus == 404 || postStatus == 405, "POST /health/ready answered " + postStatus);

        only.stop();
        http.get("/").await();
        Await.until("the only backend is out", WAIT, () -> state.health() == HealthState.UNHEALTHY);
        Http.Reply down = admin.get("/health/ready").await();
        assertEquals(503, down.status());
        JsonObject downBody = new JsonObject(down.body());
        assertEquals("DOWN", downBody.getString("status"));
        JsonObject downData = downBody.getJsonArray("checks").getJsonObject(0).getJsonObject("data");
        assertEquals(0, downData.getInteger("healthy"));
        JsonObject downBackend = downData.getJsonArray("backends").getJsonObject(0);
        assertEquals("UNHEALTHY", downBackend.getString("state"));
        assertTrue(downBackend.getString("lastFailure").contains("connection refused"), downBackend.toString());
        Http.Reply live = admin.get("/health/live").await();
        assertEquals(200, live.status(), "liveness does not depend on backends");
        assertEquals("UP", new JsonObject(live.body()).getString("status"));

        TestBackend.startOn(vertx, port, "only-again", req -> req.response().end("only-again"));
        Await.until("readiness is UP again", WAIT, () -> admin.get("/health/ready").await().status() == 200);
        // Readiness reads the shared state; each proxy hears of the readmission on the event bus a moment later.
        Await.until("the proxies route to it again", WAIT, () -> http.get("/").await().body().equals("only-again"));
    }

    // ------------------------------------------------------------------------------------------------------
    // Helpers
    // ------------------------------------------------------------------------------------------------------

    private static Fulcrum startOnOneEventLoop(Vertx vertx, JsonObject config) {
        String text = config.encode();
        return Fulcrum.start(vertx, ConfigParser.parse(text), text, 1).await();
    }

    private static TestBackend slowBackend(Vertx vertx, String name, long millis) {
        return TestBackend.start(vertx, name, req -> vertx.setTimer(millis, t -> req.response().end(name)));
    }

    private static TestBackend recording(Vertx vertx, AtomicReference<MultiMap> seen) {
        return TestBackend.start(vertx, "rec", req -> {
            seen.set(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
            req.response().end("ok");
        });
    }

    private static Map<String, Integer> picks(Http http, int count) {
        Map<String, Integer> picks = new HashMap<>();
        for (int i = 0; i < count; i++) {
            Http.Reply reply = http.get("/").await();
            assertEquals(200, reply.status());
            picks.merge(reply.body(), 1, Integer::sum);
        }
        return picks;
    }

    /** {@code count} requests one after another, cycling through {@code paths} from {@code offset}. */
    private static Future<Void> mixedLoop(Http http, List<String> paths, int offset, int count,
                                          Map<Integer, Integer> statuses) {
        Promise<Void> done = Promise.promise();
        nextMixed(http, paths, offset, count, statuses, done);
        return done.future();
    }

    private static void nextMixed(Http http, List<String> paths, int index, int left, Map<Integer, Integer> statuses,
                                  Promise<Void> done) {
        if (left == 0) {
            done.complete();
            return;
        }
        http.get(paths.get(index % paths.size())).onComplete(ar -> {
            statuses.merge(ar.succeeded() ? ar.result().status() : 0, 1, Integer::sum);
            nextMixed(http, paths, index + 1, left - 1, statuses, done);
        });
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes; returns whether it held. */
    private static boolean poll(Duration timeout, java.util.function.BooleanSupplier condition) {
        try {
            Await.until("polled", timeout, condition);
            return true;
        } catch (AssertionError timedOut) {
            return false;
        }
    }

    private static void assertIpv6Loopback(String address) {
        assertFalse(address.contains("%"), "a zone id is no part of a forwarded address: " + address);
        try {
            InetAddress parsed = InetAddress.getByName(address);
            assertTrue(parsed instanceof Inet6Address && parsed.isLoopbackAddress(), address);
        } catch (IOException e) {
            throw new AssertionError("not an address: " + address, e);
        }
    }

    /** One HTTP exchange over IPv6 loopback, read until the server closes (5 s at most). */
    private static String rawIpv6(int port, String request) throws IOException {
        try (Socket socket = new Socket("::1", port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            for (int n = in.read(buffer); n >= 0 && received.size() < 1 << 20; n = in.read(buffer)) {
                received.write(buffer, 0, n);
            }
            return received.toString(StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT).startsWith("http/1.1")
                    ? received.toString(StandardCharsets.ISO_8859_1) : "no HTTP response: " + received;
        }
    }
}
