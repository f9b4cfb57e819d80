package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** stickyCookie over real sockets: it sticks under load, fails over with a new cookie, and stays Fulcrum's own. */
@ExtendWith(VertxExtension.class)
class StickyCookieTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private final Map<String, String> cookiesSeen = new ConcurrentHashMap<>();

    /** Answers its name after a short delay (so that least-busy would spread a burst), noting the Cookie it saw. */
    private TestBackend backend(Vertx vertx, String name) {
        return TestBackend.start(vertx, name, req -> {
            cookiesSeen.put(name, String.valueOf(req.getHeader("Cookie")));
            vertx.setTimer(5, t -> req.response().putHeader("Set-Cookie", "app=" + name).end(name));
        });
    }

    private record Reply(String body, List<String> setCookies) {
        String sticky() {
            return setCookies.stream().filter(c -> c.startsWith("route=")).findFirst().orElse(null);
        }
    }

    private static Future<Reply> get(Http http, int port, String cookie) {
        return http.on(client -> client.request(HttpMethod.GET, port, "127.0.0.1", "/")
                .compose(request -> (cookie == null ? request : request.putHeader("Cookie", cookie)).send())
                .compose(response -> response.body().map(body -> new Reply(body.toString(), response.cookies()))));
    }

    private static JsonObject sticky(JsonObject config) {
        return config.put("stickyCookie", new JsonObject().put("name", "route").put("maxAge", "1h").put("secure", true)
                .put("sameSite", "Strict"));
    }

    private static String pair(String setCookie) {
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    @Test
    void aClientStaysOnItsBackendUnderLoadAndTheCookieIsFulcrumsOwn(Vertx vertx) {
        TestBackend a = backend(vertx, "a");
        TestBackend b = backend(vertx, "b");
        TestBackend c = backend(vertx, "c");
        Fulcrum fulcrum = Balancer.start(vertx, sticky(Balancer.config(a, b, c)));
        Http http = new Http(vertx, fulcrum.port());

        Reply first = get(http, fulcrum.port(), null).await();
        String setCookie = first.sticky();
        assertTrue(setCookie.matches("route=[0-9a-f]{16}; Max-Age=3600; Expires=.*; Path=/; Secure; HTTPOnly; SameSite=Strict"), setCookie);
        assertTrue(first.setCookies().contains("app=" + first.body()), "the backend's own cookie passes");

        String cookie = pair(setCookie) + "; app=" + first.body();
        List<Future<Reply>> burst = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            burst.add(get(http, fulcrum.port(), cookie));
        }
        for (Future<Reply> reply : burst) {
            Reply stuck = reply.await();
            assertEquals(first.body(), stuck.body(), "a burst of 30 at once stays on its backend");
            assertNull(stuck.sticky(), "a cookie that still holds is not sent again");
        }
        assertEquals("app=" + first.body(), cookiesSeen.get(first.body()), "the backend sees its own cookie, never Fulcrum's");
    }

    @Test
    void aCookieForADownOrUnknownBackendIsBalancedAndReplaced(Vertx vertx) {
        TestBackend a = backend(vertx, "a");
        TestBackend b = backend(vertx, "b");
        Fulcrum fulcrum = Balancer.start(vertx, sticky(Balancer.fastHealth(Balancer.config(a, b))));
        Http http = new Http(vertx, fulcrum.port());
        Reply first = get(http, fulcrum.port(), null).await();
        TestBackend chosen = first.body().equals("a") ? a : b;
        String other = chosen == a ? "b" : "a";

        chosen.probeStatus(500);
        // The proxies hear of the change a moment after the checker decides: poll until they route around it.
        Reply failedOver = Await.value("the cookie's backend is down and the request goes to the other", WAIT,
                () -> get(http, fulcrum.port(), pair(first.sticky())).await(), reply -> reply.body().equals(other));

        assertNotEquals(pair(first.sticky()), pair(failedOver.sticky()), "a new cookie for the backend that answered");
        Reply unknown = get(http, fulcrum.port(), "route=0123456789abcdef").await();
        assertEquals(pair(failedOver.sticky()), pair(unknown.sticky()));
        assertEquals(other, get(http, fulcrum.port(), pair(failedOver.sticky())).await().body());
    }

    @Test
    void everyReplicaAcceptsEveryOthersCookies(Vertx vertx) {
        TestBackend a = backend(vertx, "a");
        TestBackend b = backend(vertx, "b");
        TestBackend c = backend(vertx, "c");
        Fulcrum one = Balancer.start(vertx, sticky(Balancer.config(a, b, c)));
        // A second replica on a Vert.x of its own: two balancers on one Vert.x would share one random port.
        Vertx otherVertx = Vertx.vertx();
        try {
            Fulcrum two = Balancer.start(otherVertx, sticky(Balancer.config(a, b, c)));
            Http toOne = new Http(vertx, one.port());
            Http toTwo = new Http(vertx, two.port());
            for (int i = 0; i < 6; i++) {
                Reply fromOne = get(toOne, one.port(), null).await();
                for (int j = 0; j < 3; j++) {
                    assertEquals(fromOne.body(), get(toTwo, two.port(), pair(fromOne.sticky())).await().body());
                }
            }
        } finally {
            otherVertx.close().await();
        }
    }
}
