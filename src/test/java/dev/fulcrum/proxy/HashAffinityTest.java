package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.balancer.MaglevTable;
import dev.fulcrum.balancer.XxHash64;
import dev.fulcrum.config.HashSettings;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hashing policies through real sockets: each key reaches the backend that the Maglev table of the healthy
 * backends gives it (computed here from the URLs alone, as any other Fulcrum with the same servers computes it),
 * and keeps it.
 */
@ExtendWith(VertxExtension.class)
class HashAffinityTest {

    private static final Duration SETTLES = Duration.ofSeconds(10);
    private static final List<String> USERS = IntStream.range(0, 200).mapToObj(i -> "user-" + i).toList();

    @Test
    void clientsFromDifferentAddressesKeepTheirBackendWithIpHash(Vertx vertx) {
        List<TestBackend> backends = backends(vertx, 4);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backends.toArray(TestBackend[]::new)).put("algorithm", "ip-hash"));
        Map<String, String> names = namesByUrl(backends);
        List<String> sources = IntStream.rangeClosed(2, 13).mapToObj(i -> "127.0.0." + i).toList();
        Map<String, Client> clients = sources.stream().collect(Collectors.toMap(s -> s, s -> new Client(vertx, fulcrum.port(), s)));

        Map<String, String> expected = owners(fulcrum.backends().healthy("default"), sources, names);
        assertTrue(expected.values().stream().distinct().count() > 1, "the sources share backends: " + expected);
        Await.until("every source reaches its own backend", SETTLES, () -> sources.stream()
                .allMatch(source -> clients.get(source).backendFor("/", null).equals(expected.get(source))));
        for (int round = 0; round < 5; round++) {
            for (String source : sources) {
                assertEquals(expected.get(source), clients.get(source).backendFor("/page/" + round, null), source);
            }
        }
    }

    @Test
    void pathsKeepTheirBackendWithUriHashWhateverTheQuery(Vertx vertx) {
        List<TestBackend> backends = backends(vertx, 3);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backends.toArray(TestBackend[]::new)).put("algorithm", "uri-hash"));
        Map<String, String> names = namesByUrl(backends);
        Client client = new Client(vertx, fulcrum.port(), "127.0.0.1");
        List<String> paths = IntStream.range(0, 30).mapToObj(i -> "/catalog/item-" + i).toList();

        Map<String, String> expected = owners(fulcrum.backends().healthy("default"), paths, names);
        Await.until("every path reaches its own backend", SETTLES, () -> paths.stream()
                .allMatch(path -> client.backendFor(path, null).equals(expected.get(path))));
        for (String path : paths) {
            String home = expected.get(path);
            assertEquals(home, client.backendFor(path + "?page=2", null), path);
            assertEquals(home, client.backendFor(path + "?sort=price&page=9", null), path);
        }
    }

    @Test
    void aHeaderKeyKeepsItsBackendAndARequestWithoutItIsStillServed(Vertx vertx) {
        List<TestBackend> backends = backends(vertx, 4);
        Fulcrum fulcrum = Balancer.start(vertx, byUser(backends));
        Map<String, String> names = namesByUrl(backends);
        Client client = new Client(vertx, fulcrum.port(), "127.0.0.1");

        Map<String, String> expected = owners(fulcrum.backends().healthy("default"), USERS, names);
        Await.until("every user reaches its own backend", SETTLES, () -> client.backendsFor(USERS).equals(expected));
        assertEquals(expected, client.backendsFor(USERS));
        for (int i = 0; i < 20; i++) {
            assertTrue(names.containsValue(client.backendFor("/", null)));
        }
    }

    @Test
    void aBackendTakenDownMovesOnlyItsKeysAndGetsThemBackWhenItReturns(Vertx vertx) {
        List<TestBackend> backends = backends(vertx, 5);
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(byUser(backends)));
        Map<String, String> names = namesByUrl(backends);
        Client client = new Client(vertx, fulcrum.port(), "127.0.0.1");
        Map<String, String> before = owners(fulcrum.backends().healthy("default"), USERS, names);
        Await.until("every user reaches its own backend", SETTLES, () -> client.backendsFor(USERS).equals(before));

        TestBackend down = backends.get(2);
        down.stop();
        Await.until(down.name() + " is down", SETTLES, () -> health(fulcrum, down) == HealthState.UNHEALTHY);
        Map<String, String> during = owners(fulcrum.backends().healthy("default"), USERS, names);
        Await.until("the table without " + down.name() + " serves", SETTLES, () -> client.backendsFor(USERS).equals(during));
        int othersMoved = 0;
        for (String user : USERS) {
            assertNotEquals(down.name(), during.get(user));
            if (!before.get(user).equals(down.name()) && !before.get(user).equals(during.get(user))) {
                othersMoved++;
            }
        }
        assertTrue(othersMoved <= 2, othersMoved + " users of the other backends moved");

        TestBackend.startOn(vertx, down.port(), down.name(), req -> req.response().end(down.name()));
        Await.until(down.name() + " is back", SETTLES, () -> health(fulcrum, down) == HealthState.HEALTHY);
        Await.until("every user is back where it was", SETTLES, () -> client.backendsFor(USERS).equals(before));
    }

    @Test
    void aSecondFulcrumWithTheSameServersAgreesOnEveryKey(Vertx vertx) {
        List<TestBackend> backends = backends(vertx, 6);
        JsonObject config = byUser(backends);
        Fulcrum first = Balancer.start(vertx, config);
        // Its own Vert.x: nothing is shared with the first but the servers' URLs (and the two listen on their own ports).
        Vertx elsewhere = Vertx.vertx();
        try {
            Fulcrum second = Balancer.start(elsewhere, config.copy());
            Client toFirst = new Client(vertx, first.port(), "127.0.0.1");
            Client toSecond = new Client(elsewhere, second.port(), "127.0.0.1");
            Map<String, String> expected = owners(first.backends().healthy("default"), USERS, namesByUrl(backends));
            Await.until("the first Fulcrum serves its table", SETTLES, () -> toFirst.backendsFor(USERS).equals(expected));
            Await.until("the second Fulcrum serves the same", SETTLES, () -> toSecond.backendsFor(USERS).equals(expected));
            assertEquals(6, expected.values().stream().distinct().count());
        } finally {
            elsewhere.close().await();
        }
    }

    private static List<TestBackend> backends(Vertx vertx, int count) {
        return IntStream.range(0, count).mapToObj(i -> TestBackend.start(vertx, "b" + i)).toList();
    }

    private static JsonObject byUser(List<TestBackend> backends) {
        return Balancer.config(backends.toArray(TestBackend[]::new)).put("algorithm", "maglev").put("hashKey", "header:X-User");
    }

    private static Map<String, String> namesByUrl(List<TestBackend> backends) {
        return backends.stream().collect(Collectors.toMap(TestBackend::url, TestBackend::name));
    }

    private static HealthState health(Fulcrum fulcrum, TestBackend backend) {
        return fulcrum.backends().find("default", backend.url()).orElseThrow().health();
    }

    /**
     * The name of the backend that the table of {@code healthy} gives each key, hashed as the proxy hashes it:
     * what every Fulcrum with these servers computes.
     */
    private static Map<String, String> owners(List<Backend> healthy, List<String> keys, Map<String, String> names) {
        MaglevTable table = MaglevTable.fill(healthy.stream().map(b -> new MaglevTable.Member(b.url(), b.weight())).toList(),
                HashSettings.DEFAULT_TABLE_SIZE);
        return keys.stream().collect(Collectors.toMap(key -> key, key -> {
            long hash = XxHash64.hash(key.getBytes(StandardCharsets.UTF_8), BalancedRequest.SEED);
            return names.get(table.members().get(table.memberAt(table.slotOf(hash))).name());
        }));
    }

    /**
     * A client whose connections leave from {@code source}, used on one Vert.x context (as {@code support.Http} is,
     * for the same reason).
     */
    private static final class Client {

        private final Context context;
        private final HttpClient client;
        private final int port;

        Client(Vertx vertx, int port, String source) {
            this.context = vertx.getOrCreateContext();
            this.client = vertx.createHttpClient(new HttpClientOptions().setLocalAddress(source),
                    new PoolOptions().setHttp1MaxSize(50));
            this.port = port;
        }

        /**
         * The name of the backend that answered {@code uri}, sent with {@code X-User: user} unless null; or what went
         * wrong, which never equals a name, so that a wait goes on.
         */
        String backendFor(String uri, String user) {
            return send(uri, user).await();
        }

        /** Who answers each user, all asked at once. */
        Map<String, String> backendsFor(List<String> users) {
            List<Future<String>> answers = users.stream().map(user -> send("/", user)).toList();
            Future.all(answers).await();
            Map<String, String> byUser = new HashMap<>();
            for (int i = 0; i < users.size(); i++) {
                byUser.put(users.get(i), answers.get(i).result());
            }
            return byUser;
        }

        private Future<String> send(String uri, String user) {
            RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI(uri);
            if (user != null) {
                options.putHeader("X-User", user);
            }
            return on(http -> http.request(options).compose(req -> req.send())
                    .compose(resp -> resp.body().map(body -> resp.statusCode() == 200 ? body.toString() : "status " + resp.statusCode()))
                    .recover(error -> Future.succeededFuture("failed: " + error.getMessage())));
        }

        private <T> Future<T> on(Function<HttpClient, Future<T>> exchange) {
            Promise<T> result = Promise.promise();
            context.runOnContext(v -> exchange.apply(client).onComplete(result));
            return result.future();
        }
    }
}
