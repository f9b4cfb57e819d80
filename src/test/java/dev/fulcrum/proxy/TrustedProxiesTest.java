package dev.fulcrum.proxy;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.LogFile;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Who the client is behind trusted proxies: the right-most untrusted X-Forwarded-For address, as the access log shows. */
@ExtendWith(VertxExtension.class)
class TrustedProxiesTest {

    private static List<String> clientsLogged(Vertx vertx, Path dir, JsonArray trusted, String... forwardedFor) {
        TestBackend backend = TestBackend.start(vertx, "a");
        Path log = dir.resolve("access.log");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend).put("trustedProxies", trusted)
                .put("accessLog", new JsonObject().put("path", log.toString())));
        Http http = new Http(vertx, fulcrum.port());
        for (String header : forwardedFor) {
            http.on(client -> client.request(HttpMethod.GET, fulcrum.port(), "127.0.0.1", "/")
                    .compose(request -> request.putHeader("X-Forwarded-For", header).send())
                    .compose(response -> response.body())).await();
        }
        return LogFile.lines(log, forwardedFor.length).stream()
                .map(line -> new JsonObject(line).getString("client")).toList();
    }

    @Test
    void withoutTrustedProxiesTheClientIsThePeerWhateverItClaims(Vertx vertx, @TempDir Path dir) {
        assertEquals(List.of("127.0.0.1"), clientsLogged(vertx, dir, new JsonArray(), "6.6.6.6"));
    }

    @Test
    void theRightMostUntrustedAddressIsTheClientNeverTheForgeableLeftMost(Vertx vertx, @TempDir Path dir) {
        List<String> clients = clientsLogged(vertx, dir, new JsonArray().add("127.0.0.1").add("10.0.0.0/8"),
                "6.6.6.6, 203.0.113.9, 10.1.2.3",   // a client forged 6.6.6.6; 203.0.113.9 reached our proxy at 10.1.2.3
                "10.9.9.9, 10.1.2.3",                 // every hop trusted: the left-most is as far as it goes
                "203.0.113.9, not-an-address, 10.1.2.3"); // garbage stops the walk at the proxy that passed it on
        assertEquals(List.of("203.0.113.9", "10.9.9.9", "10.1.2.3"), clients);
    }

    @Test
    void aPeerThatIsNotTrustedIsTheClientEvenWithAHeader(Vertx vertx, @TempDir Path dir) {
        assertEquals(List.of("127.0.0.1"), clientsLogged(vertx, dir, new JsonArray().add("10.0.0.0/8"), "203.0.113.9"));
    }
}
