package dev.fulcrum.balancer;

import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.metrics.Metrics;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The backends of a pool share one count of requests in flight, kept across reloads: bounded load reads it in O(1). */
class PoolInFlightTest {

    private static FulcrumConfig config(String apiServers) {
        return ConfigParser.parse("""
                {"pools": {"api": {"servers": [%s]}, "web": {"servers": ["http://w:1"]}},
                 "routes": [{"match": {"path": "/w"}, "pool": "web"}, {"pool": "api"}]}""".formatted(apiServers));
    }

    @Test
    void eachPoolCountsItsOwnRequestsInFlightAcrossItsBackendsAndAReload() {
        BackendRegistry registry = new BackendRegistry(config("\"http://a:1\", \"http://b:1\"").pools().values(),
                HealthState.HEALTHY, Metrics.nowhere());
        Backend a = registry.find("api", "http://a:1").orElseThrow();
        Backend b = registry.find("api", "http://b:1").orElseThrow();
        Backend w = registry.find("web", "http://w:1").orElseThrow();
        a.requestStarted();
        a.requestStarted();
        b.requestStarted();
        w.requestStarted();
        assertEquals(3, a.poolInFlight());
        assertEquals(3, b.poolInFlight());
        assertEquals(1, w.poolInFlight());

        registry.update(config("\"http://b:1\", \"http://c:1\"").pools().values());
        Backend c = registry.find("api", "http://c:1").orElseThrow();
        assertEquals(3, c.poolInFlight(), "a's requests still count while it drains");
        a.requestEnded();
        a.requestEnded();
        c.requestStarted();
        assertEquals(2, b.poolInFlight());
    }
}
