package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.ConfigFile;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.RawHttp;
import dev.fulcrum.support.Scrape;
import dev.fulcrum.support.TestBackend;
import dev.fulcrum.support.Traffic;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Named pools behind an ordered route table, end to end: host and path rules, 404 without a route, weighted splits
 * (sticky ones too), path rewrites and header edits as the backend and the client see them, redirects, and a
 * reload that moves a path to another pool under load.
 */
@ExtendWith(VertxExtension.class)
class RoutesTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    /** A reply: status, body and headers. */
    private record Answer(int status, String body, MultiMap headers) {
    }

    /** Backends answering their name, the path they were sent, and the headers named in X-Echo. */
    private static TestBackend echo(Vertx vertx, String name) {
        return TestBackend.start(vertx, name, request -> {
            StringBuilder body = new StringBuilder(name + " " + request.uri());
            String echoed = request.getHeader("x-echo");
            if (echoed != null) {
                for (String header : echoed.split(",")) {
                    body.append(' ').append(header).append('=').append(request.headers().getAll(header));
                }
            }
            request.response().putHeader("x-internal", "secret").putHeader("x-backend", name).end(body.toString());
        });
    }

    private static JsonObject pool(TestBackend... servers) {
        JsonArray urls = new JsonArray();
        for (TestBackend server : servers) {
            urls.add(server.url());
        }
        return new JsonObject().put("servers", urls);
    }

    /** The base config with pools and routes and no top-level servers. */
    private static JsonObject routed(JsonObject pools, JsonArray routes) {
        JsonObject config = Balancer.fastHealth(Balancer.config(new String[0]));
        config.remove("servers");
        return config.put("pools", pools).put("routes", routes);
    }

    private static Answer send(Http http, String host, String uri, Map<String, String> headers) {
        return http.on(client -> {
            RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setURI(uri).setHost("127.0.0.1")
                    .putHeader("host", host);
            headers.forEach(options::putHeader);
            return client.request(options).compose(request -> request.send())
                    .compose(response -> response.body().map(body -> answer(response, body.toString())));
        }).await();
    }

    private static Answer answer(HttpClientResponse response, String body) {
        return new Answer(response.statusCode(), body, response.headers());
    }

    private static Answer get(Http http, String host, String uri) {
        return send(http, host, uri, Map.of());
    }

    private static String backendOf(Answer answer) {
        return answer.body().split(" ")[0];
    }

    @Test
    void hostAndPathRulesSendEachRequestToItsPoolAndTheRestGet404NoRoute(Vertx vertx) {
        TestBackend api = echo(vertx, "api");
        TestBackend web = echo(vertx, "web");
        TestBackend admin = echo(vertx, "admin");
        JsonObject config = routed(new JsonObject().put("api", pool(api)).put("web", pool(web)).put("admin", pool(admin)),
                new JsonArray()
                        .add(new JsonObject().put("match", new JsonObject().put("host", "*.example.com")
                                .put("pathPrefix", "/admin").put("methods", new JsonArray().add("GET"))).put("pool", "admin"))
                        .add(new JsonObject().put("match", new JsonObject().put("host", "API.example.com")).put("pool", "api"))
                        .add(new JsonObject().put("match", new JsonObject().put("pathPrefix", "/api")).put("pool", "api"))
                        .add(new JsonObject().put("match", new JsonObject().put("host", "www.example.com")).put("pool", "web")));
        Fulcrum fulcrum = Balancer.start(vertx, config);
        Http http = new Http(vertx, fulcrum.port());

        assertEquals("api /users", get(http, "api.example.com:8080", "/users").body(), "host, any case, port ignored");
        assertEquals("api /api/x", get(http, "other.test", "/api/x").body());
        assertEquals("api /api", get(http, "other.test", "/api").body());
        assertEquals("web /", get(http, "www.example.com", "/").body());
        assertEquals("admin /admin/users", get(http, "www.example.com", "/admin/users").body(), "first match wins");
        assertEquals("web /apix", get(http, "www.example.com", "/apix").body(), "/api stops at a segment boundary");
        int served = api.requests() + web.requests() + admin.requests();
        Answer none = get(http, "other.test", "/apix");
        assertEquals(404, none.status());
        assertEquals("no route\n", none.body());
        assertEquals(served, api.requests() + web.requests() + admin.requests(), "no route reached no backend");

        Scrape scrape = Scrape.of(vertx, fulcrum.adminPort());
        assertEquals(1, scrape.count("fulcrum_requests_total", "pool", "none", "backend", "none", "code", "404"));
        assertEquals(3, scrape.count("fulcrum_requests_total", "pool", "api", "backend", api.url(), "code", "200"));
        assertEquals(1, scrape.count("fulcrum_backend_up", "pool", "admin", "backend", admin.url()));
    }

    @Test
    void dotSegmentsAreRemovedBeforeThePathIsRoutedAndTheBackendIsSentThePathAsRouted(Vertx vertx) {
        TestBackend open = echo(vertx, "open");
        TestBackend guarded = echo(vertx, "guarded");
        JsonObject config = routed(new JsonObject().put("open", pool(open)).put("guarded", pool(guarded)),
                new JsonArray()
                        .add(new JsonObject().put("match", new JsonObject().put("pathPrefix", "/admin")).put("pool", "guarded"))
                        .add(new JsonObject().put("pool", "open")));
        Fulcrum fulcrum = Balancer.start(vertx, config);

        assertTrue(RawHttp.send(fulcrum.port(), "GET /static/../admin/keys HTTP/1.1\r\nHost: a\r\n\r\n").body()
                .startsWith("guarded /admin/keys"));
        assertTrue(RawHttp.send(fulcrum.port(), "GET /static/%2e%2E/admin HTTP/1.1\r\nHost: a\r\n\r\n").body()
                .startsWith("guarded /admin"));
        assertTrue(RawHttp.send(fulcrum.port(), "GET /a/./b/../c?q=1 HTTP/1.1\r\nHost: a\r\n\r\n").body()
                .startsWith("open /a/c?q=1"));
        assertTrue(RawHttp.send(fulcrum.port(), "GET /a/b.txt HTTP/1.1\r\nHost: a\r\n\r\n").body()
                .startsWith("open /a/b.txt"), "a dot inside a segment is no dot segment");
    }

    @Test
    void aNinetyTenSplitSendsTenPercentToTheCanaryWithinThreePoints(Vertx vertx) {
        TestBackend stable = echo(vertx, "stable");
        TestBackend canary = echo(vertx, "canary");
        JsonObject config = routed(new JsonObject().put("stable", pool(stable)).put("canary", pool(canary)),
                new JsonArray().add(new JsonObject().put("pools", new JsonObject().put("stable", 90).put("canary", 10))));
        Fulcrum fulcrum = Balancer.start(vertx, config);
        Http http = new Http(vertx, fulcrum.port());

        Map<String, Integer> sides = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            sides.merge(http.get("/").await().body().split(" ")[0], 1, Integer::sum);
        }
        int toCanary = sides.getOrDefault("canary", 0);
        assertTrue(Math.abs(toCanary - 100) <= 30, "10 % +- 3 points of 1,000: " + sides);
        assertEquals(1000, sides.get("stable") + toCanary);
    }

    @Test
    void aStickySplitKeepsAUserOnTheSideItFirstLandedOn(Vertx vertx) {
        TestBackend stable = echo(vertx, "stable");
        TestBackend canary = echo(vertx, "canary");
        JsonObject sticky = new JsonObject().put("name", "lb");
        JsonObject config = routed(new JsonObject().put("stable", pool(stable).put("stickyCookie", sticky))
                        .put("canary", pool(canary).put("stickyCookie", sticky)),
                new JsonArray().add(new JsonObject().put("pools", new JsonObject().put("stable", 50).put("canary", 50))));
        Fulcrum fulcrum = Balancer.start(vertx, config);
        Http http = new Http(vertx, fulcrum.port());

        Map<String, Integer> firstLandings = new HashMap<>();
        for (int user = 0; user < 20; user++) {
            Answer first = get(http, "a", "/");
            String cookie = first.headers().get("set-cookie").split(";")[0];
            firstLandings.merge(backendOf(first), 1, Integer::sum);
            for (int i = 0; i < 10; i++) {
                Answer next = send(http, "a", "/", Map.of("cookie", cookie + "; theme=dark"));
                assertEquals(backendOf(first), backendOf(next), "user " + user + " stays on " + backendOf(first));
                assertNull(next.headers().get("set-cookie"), "a kept side needs no new cookie");
            }
        }
        assertEquals(2, firstLandings.size(), "users land on both sides: " + firstLandings);
    }

    @Test
    void aHashedSplitSendsEachClientKeyToOneSideOnEveryReplica(Vertx vertx) {
        TestBackend stable = echo(vertx, "stable");
        TestBackend canary = echo(vertx, "canary");
        JsonObject hashed = new JsonObject().put("algorithm", "maglev").put("hashKey", "header:X-User");
        JsonObject config = routed(new JsonObject().put("stable", pool(stable).mergeIn(hashed))
                        .put("canary", pool(canary).mergeIn(hashed)),
                new JsonArray().add(new JsonObject().put("pools", new JsonObject().put("stable", 70).put("canary", 30))));
        Fulcrum one = Balancer.start(vertx, config);
        Vertx other = Vertx.vertx();
        try {
            Fulcrum two = Balancer.start(other, config);
            Http first = new Http(vertx, one.port());
            Http second = new Http(other, two.port());
            Map<String, Integer> sides = new HashMap<>();
            for (int user = 0; user < 100; user++) {
                Map<String, String> key = Map.of("x-user", "user-" + user);
                String side = backendOf(send(first, "a", "/", key));
                sides.merge(side, 1, Integer::sum);
                assertEquals(side, backendOf(send(first, "a", "/", key)), "the same side again");
                assertEquals(side, backendOf(send(second, "a", "/", key)), "the same side on the other replica");
            }
            assertTrue(sides.getOrDefault("canary", 0) >= 15 && sides.getOrDefault("canary", 0) <= 45,
                    "about 30 of 100 keys on the canary: " + sides);
        } finally {
            other.close().await();
        }
    }

    @Test
    void stripPrefixAndRewritePrefixAreWhatTheBackendIsSent(Vertx vertx) {
        TestBackend api = echo(vertx, "api");
        JsonObject config = routed(new JsonObject().put("api", pool(api)), new JsonArray()
                .add(new JsonObject().put("match", new JsonObject().put("pathPrefix", "/api/")).put("pool", "api")
                        .put("stripPrefix", true))
                .add(new JsonObject().put("match", new JsonObject().put("pathPrefix", "/old")).put("pool", "api")
                        .put("rewritePrefix", "/v2/")));
        Fulcrum fulcrum = Balancer.start(vertx, config);
        Http http = new Http(vertx, fulcrum.port());

        assertEquals("api /users?id=7", http.get("/api/users?id=7").await().body());
        assertEquals("api /", http.get("/api").await().body());
        assertEquals("api /v2/items/1", http.get("/old/items/1").await().body());
        assertEquals("api /v2/", http.get("/old").await().body());
        assertEquals("api /v2/?page=2", http.get("/old?page=2").await().body());
    }

    @Test
    void headerEditsReachTheBackendAndTheClientRemovedThenSetThenAdded(Vertx vertx) {
        TestBackend api = echo(vertx, "api");
        JsonObject edits = new JsonObject()
                .put("requestHeaders", new JsonObject()
                        .put("set", new JsonObject().put("X-Env", "prod"))
                        .put("add", new JsonObject().put("X-Tag", "lb"))
                        .put("remove", new JsonArray().add("X-Debug")))
                .put("responseHeaders", new JsonObject()
                        .put("set", new JsonObject().put("Cache-Control", "no-store"))
                        .put("add", new JsonObject().put("X-Served-By", "fulcrum"))
                        .put("remove", new JsonArray().add("X-Internal")));
        JsonObject config = routed(new JsonObject().put("api", pool(api)),
                new JsonArray().add(edits.put("pool", "api")));
        Fulcrum fulcrum = Balancer.start(vertx, config);
        Http http = new Http(vertx, fulcrum.port());

        Answer answer = send(http, "a", "/", Map.of("x-echo", "x-env,x-tag,x-debug", "x-env", "dev", "x-tag", "client",
                "x-debug", "1"));
        assertEquals("api / x-env=[prod] x-tag=[client, lb] x-debug=[]", answer.body());
        assertEquals("no-store", answer.headers().get("cache-control"));
        assertEquals(List.of("fulcrum"), answer.headers().getAll("x-served-by"));
        assertNull(answer.headers().get("x-internal"));
        assertEquals("api", answer.headers().get("x-backend"), "the rest passes");
    }

    @Test
    void aRedirectAnswersAtOnceKeepingWhatItDoesNotReplace(Vertx vertx) {
        TestBackend api = echo(vertx, "api");
        JsonObject config = routed(new JsonObject().put("api", pool(api)), new JsonArray()
                .add(new JsonObject().put("match", new JsonObject().put("host", "old.example.com"))
                        .put("redirect", new JsonObject().put("host", "new.example.com").put("code", 308)))
                .add(new JsonObject().put("match", new JsonObject().put("pathPrefix", "/login"))
                        .put("redirect", new JsonObject().put("scheme", "https")))
                .add(new JsonObject().put("pool", "api")));
        Fulcrum fulcrum = Balancer.start(vertx, config);
        Http http = new Http(vertx, fulcrum.port());

        Answer moved = get(http, "old.example.com", "/a/b?c=d");
        assertEquals(308, moved.status());
        assertEquals("http://new.example.com/a/b?c=d", moved.headers().get("location"));
        Answer secure = get(http, "shop.test:8080", "/login?next=/cart");
        assertEquals(301, secure.status());
        assertEquals("https://shop.test/login?next=/cart", secure.headers().get("location"), "the plain port goes too");
        assertEquals(0, api.requests());
        assertEquals("api /", get(http, "shop.test", "/").body());
    }

    @Test
    void aReloadMovesAPathToAnotherPoolUnderARequestLoopWithNoFailedRequest(Vertx vertx, @TempDir Path dir) {
        TestBackend blue = echo(vertx, "blue");
        TestBackend green = echo(vertx, "green");
        JsonObject pools = new JsonObject().put("blue", pool(blue)).put("green", pool(green));
        JsonObject before = routed(pools, new JsonArray()
                .add(new JsonObject().put("match", new JsonObject().put("pathPrefix", "/app")).put("pool", "blue"))
                .add(new JsonObject().put("pool", "green")));
        ConfigFile file = ConfigFile.plain(dir, before);
        Fulcrum fulcrum = Balancer.startWatching(vertx, file);
        Http http = new Http(vertx, fulcrum.port());
        assertEquals("blue /app/x", http.get("/app/x").await().body());

        Traffic traffic = Traffic.start(http, 8, "/app/x");
        Await.until("traffic flows", WAIT, () -> traffic.answered() > 50);
        JsonObject after = routed(pools.copy(), new JsonArray()
                .add(new JsonObject().put("match", new JsonObject().put("pathPrefix", "/app")).put("pool", "green"))
                .add(new JsonObject().put("pool", "green")));
        file.renameReplace(after);
        Await.until("/app is served by green", WAIT, () -> http.get("/app/x").await().body().startsWith("green"));
        int greenBefore = green.requests();
        Await.until("the loop reaches green too", WAIT, () -> green.requests() > greenBefore + 50);
        traffic.stopAndAssertAllOk();
        int blueNow = blue.requests();
        Future.all(List.of(http.get("/app/1"), http.get("/app/2"))).await();
        assertEquals(blueNow, blue.requests(), "blue gets nothing once the table is swapped");
    }

    @Test
    void aConfigWithoutRoutesServesItsServersAsThePoolDefault(Vertx vertx) {
        TestBackend only = echo(vertx, "only");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(only));
        Http http = new Http(vertx, fulcrum.port());
        assertEquals("only /any/path?x=1", http.get("/any/path?x=1").await().body());
        assertEquals("only /a/../b", RawHttp.send(fulcrum.port(), "GET /a/../b HTTP/1.1\r\nHost: a\r\n\r\n").body(),
                "without routes the target goes as the client sent it, as before");
        assertEquals(2, Scrape.of(vertx, fulcrum.adminPort())
                .count("fulcrum_requests_total", "pool", "default", "backend", only.url(), "code", "200"));
    }
}
