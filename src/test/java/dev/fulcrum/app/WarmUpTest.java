package dev.fulcrum.app;

import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.LogCapture;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** README, Performance: the warm-up that readiness waits for at start. */
@ExtendWith(VertxExtension.class)
class WarmUpTest {

    private static final Supplier<Future<Long>> NO_REAL_TRAFFIC = () -> Future.succeededFuture(0L);
    private static final BooleanSupplier NOT_STOPPING = () -> false;

    private Vertx own;

    @BeforeEach
    void ownVertx() {
        own = Main.vertx(1, Transport.NIO);
    }

    @AfterEach
    void closeOwnVertx() {
        own.close().await();
    }

    /**
     * Every request answered 200 by the private balancer, none seen by the configured backend (no request, no
     * probe); settings the private backends would fail (a health check expecting 204, a 1 ms request timeout)
     * are not taken over from the real config.
     */
    @Test
    void requestsGoThroughAPrivateBalancerAndNeverToTheConfiguredBackends(Vertx vertx) throws Exception {
        TestBackend configured = TestBackend.start(vertx, "configured");
        JsonObject settings = new JsonObject()
                .put("servers", new JsonArray().add(configured.url()))
                .put("algorithm", "round-robin")
                .put("forwardedHeaders", "both")
                .put("healthCheck", new JsonObject().put("expectedStatus", "204"))
                .put("requestTimeout", "1ms");

        WarmUp.Result result = WarmUp.run(own, settings, 300, Duration.ofSeconds(30), NO_REAL_TRAFFIC, NOT_STOPPING);

        assertEquals(300, result.requests());
        assertEquals(WarmUp.End.COMPLETE, result.end());
        assertEquals(0, configured.requests());
        assertEquals(0, configured.probes());
    }

    /** Routes that name pools of the real config: the warm-up's one catch-all route sends to its own backends. */
    @Test
    void aConfigWithRoutesIsWarmedUpThroughARouteToThePrivateBackends(Vertx vertx) throws Exception {
        TestBackend configured = TestBackend.start(vertx, "configured");
        JsonObject settings = new JsonObject()
                .put("pools", new JsonObject().put("api", new JsonObject().put("servers", new JsonArray().add(configured.url()))))
                .put("routes", new JsonArray().add(new JsonObject().put("match", new JsonObject().put("host", "api.test"))
                        .put("pool", "api")));

        WarmUp.Result result = WarmUp.run(own, settings, 300, Duration.ofSeconds(30), NO_REAL_TRAFFIC, NOT_STOPPING);

        assertEquals(300, result.requests());
        assertEquals(WarmUp.End.COMPLETE, result.end());
        assertEquals(0, configured.requests());
        JsonArray privateServers = new JsonArray().add("http://127.0.0.1:1");
        assertEquals(new JsonArray().add(new JsonObject().put("pool", "default")),
                WarmUp.privateConfig(settings, privateServers).getJsonArray("routes"), "the route step is compiled as taken");
        assertEquals(null, WarmUp.privateConfig(new JsonObject(), privateServers).getValue("routes"));
    }

    @Test
    void stopsAtItsTimeBudget() throws Exception {
        WarmUp.Result result = WarmUp.run(own, new JsonObject(), Integer.MAX_VALUE, Duration.ofMillis(300), NO_REAL_TRAFFIC, NOT_STOPPING);

        assertEquals(WarmUp.End.OUT_OF_TIME, result.end());
        assertTrue(result.requests() > 0, "requests answered before the budget ran out: " + result.requests());
        assertTrue(result.took().compareTo(Duration.ofSeconds(10)) < 0, "took " + result.took());
    }

    /** Launched into load, the real requests warm the JIT; the warm-up would only take CPU from them. */
    @Test
    void stopsOnceRealTrafficComes() throws Exception {
        AtomicInteger polls = new AtomicInteger();

        // The real requests arrive between the first poll and the second.
        WarmUp.Result result = WarmUp.run(own, new JsonObject(), Integer.MAX_VALUE, Duration.ofSeconds(30),
                () -> Future.succeededFuture(polls.incrementAndGet() < 2 ? 0L : WarmUp.REAL_TRAFFIC_REQUESTS), NOT_STOPPING);

        assertEquals(WarmUp.End.REAL_TRAFFIC, result.end());
        assertTrue(result.requests() > 0, "requests answered before the real ones came: " + result.requests());
        assertTrue(result.took().compareTo(Duration.ofSeconds(10)) < 0, "took " + result.took());
    }

    /** A SIGTERM during the warm-up: the drain should not share the CPU with it. */
    @Test
    void stopsWhenTheBalancerShutsDown() throws Exception {
        WarmUp.Result result = WarmUp.run(own, new JsonObject(), Integer.MAX_VALUE, Duration.ofSeconds(30),
                NO_REAL_TRAFFIC, () -> true);

        assertEquals(WarmUp.End.STOPPING, result.end());
        assertTrue(result.took().compareTo(Duration.ofSeconds(10)) < 0, "took " + result.took());
    }

    /** Its backends' first probes would otherwise show in the real balancer's log as backends of its own. */
    @Test
    void logsNothing() throws Exception {
        // The root: a logger of the warm-up's own would not sit below "fulcrum".
        try (LogCapture everything = LogCapture.of("")) {
            WarmUp.run(own, new JsonObject(), 50, Duration.ofSeconds(30), NO_REAL_TRAFFIC, NOT_STOPPING);

            assertEquals(List.of(), everything.messages());
        }
    }

    /** Readiness is DOWN, saying why, until the warm-up is over; the proxy serves meanwhile all the same. */
    @Test
    void readinessWaitsForTheWarmUpWhileTheProxyServes(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "b");
        JsonObject config = new JsonObject().put("listenPort", "127.0.0.1:0").put("adminPort", "127.0.0.1:0")
                .put("servers", new JsonArray().add(backend.url()));
        String text = config.encode();
        Fulcrum fulcrum = Fulcrum.start(vertx, ConfigParser.parse(text), text, 1, true).await();
        Http admin = new Http(vertx, fulcrum.adminPort());

        Http.Reply warming = admin.get("/health/ready").await();
        assertEquals(503, warming.status(), warming.body());
        JsonObject data = new JsonObject(warming.body()).getJsonArray("checks").getJsonObject(0).getJsonObject("data");
        assertEquals(true, data.getBoolean("warmingUp"), warming.body());
        assertEquals(1, data.getInteger("healthy"), warming.body());
        assertEquals(new Http.Reply(200, "b"), new Http(vertx, fulcrum.port()).get("/").await());
        assertEquals(1L, fulcrum.requestsReceived().await(), "what the warm-up counts as real traffic");

        fulcrum.warmedUp();

        Await.until("readiness UP", Duration.ofSeconds(5), () -> admin.get("/health/ready").await().status() == 200);
        fulcrum.stop().await();
    }
}
