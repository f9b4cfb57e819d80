package dev.fulcrum.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.fulcrum.config.ConfigParserTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The fields of the algorithm catalogue: their defaults, and a one-line error naming each mistake. */
class BalancingConfigTest {

    private static FulcrumConfig parse(JsonObject fields) {
        return ConfigParser.parse(fields.put("servers", new JsonArray().add("http://127.0.0.1:1").add("http://127.0.0.1:2")).encode());
    }

    @Test
    void defaultsLeaveEverythingOff() {
        FulcrumConfig config = parse(new JsonObject());
        assertEquals(HashSettings.DEFAULT, config.hash());
        assertNull(config.stickyCookie());
        assertEquals(Duration.ZERO, config.slowStart());
        assertEquals(List.of(), config.trustedProxies());
    }

    @Test
    void theHashingAlgorithmsAndTheirKeys() {
        assertEquals(HashKey.CLIENT_IP, parse(new JsonObject().put("algorithm", "ip-hash")).hash().key());
        assertEquals(HashKey.URI, parse(new JsonObject().put("algorithm", "uri-hash")).hash().key());
        assertEquals(HashKey.CLIENT_IP, parse(new JsonObject().put("algorithm", "maglev")).hash().key());
        assertEquals(new HashKey(HashKey.Source.HEADER, "x-user"),
                parse(new JsonObject().put("algorithm", "maglev").put("hashKey", "header:X-User")).hash().key());
        assertEquals(new HashKey(HashKey.Source.COOKIE, "session"),
                parse(new JsonObject().put("algorithm", "maglev").put("hashKey", "cookie:session")).hash().key());
        assertEquals(new HashSettings(new HashKey(HashKey.Source.QUERY, "id"), 101, 150), parse(new JsonObject()
                .put("algorithm", "maglev").put("hashKey", "query:id").put("maglevTableSize", 101).put("hashBalanceFactor", 150)).hash());
    }

    @Test
    void hashingMistakesAreNamed() {
        assertError("maglevTableSize: 65536 is not a prime (Maglev needs one, so that every backend's permutation visits"
                + " every entry); 65537 is the next", () -> parse(new JsonObject().put("algorithm", "maglev").put("maglevTableSize", 65536)));
        assertError("maglevTableSize: 3 is smaller than the 4 servers", () -> ConfigParser.parse(new JsonObject()
                .put("algorithm", "maglev").put("maglevTableSize", 3).put("servers", new JsonArray()
                        .add("http://a:1").add("http://b:1").add("http://c:1").add("http://d:1")).encode()));
        assertError("hashKey: \"ip\" is not one of client-ip, uri, header:NAME, cookie:NAME, query:NAME",
                () -> parse(new JsonObject().put("algorithm", "maglev").put("hashKey", "ip")));
        assertError("hashKey: \"header:\" needs a name after \"header:\"",
                () -> parse(new JsonObject().put("algorithm", "maglev").put("hashKey", "header:")));
        assertError("hashKey: ip-hash always hashes client-ip; use \"maglev\" to choose the key",
                () -> parse(new JsonObject().put("algorithm", "ip-hash").put("hashKey", "uri")));
        assertError("hashKey: only the hashing algorithms (maglev, ip-hash, uri-hash) use it, not \"least-busy\"",
                () -> parse(new JsonObject().put("hashKey", "uri")));
        assertError("hashBalanceFactor: only the hashing algorithms",
                () -> parse(new JsonObject().put("algorithm", "round-robin").put("hashBalanceFactor", 150)));
        assertError("hashBalanceFactor: 99",
                () -> parse(new JsonObject().put("algorithm", "maglev").put("hashBalanceFactor", 99)));
        assertError("algorithm: \"least-conn\" is not one of least-busy, round-robin, least-time, maglev, ip-hash, uri-hash",
                () -> parse(new JsonObject().put("algorithm", "least-conn")));
    }

    @Test
    void stickyCookieNeedsOnlyANameAndRefusesWhatBrowsersWould() {
        assertEquals(new StickyCookie("srv", null, false, true, "Lax"),
                parse(new JsonObject().put("stickyCookie", new JsonObject().put("name", "srv"))).stickyCookie());
        assertEquals(new StickyCookie("srv", Duration.ofHours(1), true, false, "None"), parse(new JsonObject().put("stickyCookie",
                new JsonObject().put("name", "srv").put("maxAge", "1h").put("secure", true).put("httpOnly", false)
                        .put("sameSite", "none"))).stickyCookie());
        assertError("stickyCookie.name: missing", () -> parse(new JsonObject().put("stickyCookie", new JsonObject())));
        assertError("stickyCookie.name: \"my cookie\" is not a cookie name",
                () -> parse(new JsonObject().put("stickyCookie", new JsonObject().put("name", "my cookie"))));
        assertError("stickyCookie.sameSite: \"None\" needs stickyCookie.secure true",
                () -> parse(new JsonObject().put("stickyCookie", new JsonObject().put("name", "s").put("sameSite", "None"))));
        assertError("stickyCookie.sameSite: \"Loose\" is not one of Lax, Strict, None",
                () -> parse(new JsonObject().put("stickyCookie", new JsonObject().put("name", "s").put("sameSite", "Loose"))));
        assertError("stickyCookie.maxAge", () -> parse(new JsonObject().put("stickyCookie", new JsonObject().put("name", "s").put("maxAge", "0s"))));
        assertError("stickyCookie.domain: unknown field",
                () -> parse(new JsonObject().put("stickyCookie", new JsonObject().put("name", "s").put("domain", "x"))));
    }

    @Test
    void slowStartAndTrustedProxies() {
        assertEquals(Duration.ofSeconds(30), parse(new JsonObject().put("slowStart", "30s")).slowStart());
        assertEquals(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"), parse(new JsonObject().put("trustedProxies",
                new JsonArray().add("10.0.0.0/8").add("192.168.1.7").add("fd00::/8"))).trustedProxies().stream().map(Cidr::toString).toList());
        assertError("trustedProxies[1]: \"proxy.internal\" is not an address block",
                () -> parse(new JsonObject().put("trustedProxies", new JsonArray().add("10.0.0.0/8").add("proxy.internal"))));
        assertError("trustedProxies[0]: \"10.0.0.0/33\" has a prefix length outside 0-32",
                () -> parse(new JsonObject().put("trustedProxies", new JsonArray().add("10.0.0.0/33"))));
        assertError("trustedProxies[0]: 10 must be a string", () -> parse(new JsonObject().put("trustedProxies", new JsonArray().add(10))));
    }

    @Test
    void aBlockContainsWhatItShould() {
        Cidr ten = Cidr.parse("10.0.0.0/8");
        assertEquals(true, ten.contains(new byte[] {10, 1, 2, 3}));
        assertEquals(false, ten.contains(new byte[] {11, 0, 0, 0}));
        assertEquals(true, Cidr.parse("192.168.1.0/25").contains(new byte[] {(byte) 192, (byte) 168, 1, 127}));
        assertEquals(false, Cidr.parse("192.168.1.0/25").contains(new byte[] {(byte) 192, (byte) 168, 1, (byte) 128}));
        assertEquals(false, ten.contains(new byte[16]), "an IPv6 address is never in an IPv4 block");
    }
}
