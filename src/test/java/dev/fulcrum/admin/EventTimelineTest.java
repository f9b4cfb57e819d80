package dev.fulcrum.admin;

import dev.fulcrum.balancer.HealthState;
import dev.fulcrum.health.HealthEvent;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EventTimelineTest {

    private static final Instant NOON = Instant.parse("2026-11-25T12:00:00Z");

    private final EventTimeline timeline = new EventTimeline(Clock.fixed(NOON, ZoneOffset.UTC));

    @Test
    void keepsTheLastFiftyEventsNewestFirst() {
        for (int generation = 2; generation <= 61; generation++) {
            timeline.reloadApplied(generation, "weight " + generation);
        }

        JsonArray events = timeline.toJson();

        assertEquals(50, events.size());
        assertEquals(61, events.getJsonObject(0).getInteger("generation"));
        assertEquals(12, events.getJsonObject(49).getInteger("generation"));
    }

    @Test
    void tellsAChangeByProbesFromAnEjectionAndReloadsFromRefusals() {
        timeline.healthChanged(new HealthEvent("http://a:1", "default", HealthState.UNHEALTHY, "HTTP 500", false, NOON.minusSeconds(2)));
        timeline.healthChanged(new HealthEvent("http://b:1", "default", HealthState.UNHEALTHY, "connection reset", true, NOON.minusSeconds(1)));
        timeline.reloadApplied(2, "servers +http://c:1");
        timeline.reloadRefused("servers[0]: bad URL");

        JsonArray events = timeline.toJson();

        assertEquals(new JsonObject().put("time", NOON.toString()).put("kind", "reload-refused")
                .put("message", "servers[0]: bad URL"), events.getJsonObject(0));
        assertEquals(new JsonObject().put("time", NOON.toString()).put("kind", "reload-applied").put("generation", 2)
                .put("message", "servers +http://c:1"), events.getJsonObject(1));
        assertEquals(new JsonObject().put("time", NOON.minusSeconds(1).toString()).put("kind", "ejection")
                .put("backend", "http://b:1").put("pool", "default").put("state", "UNHEALTHY").put("message", "connection reset"), events.getJsonObject(2));
        assertEquals("check", events.getJsonObject(3).getString("kind"));
    }

    @Test
    void remembersEachBackendsLastChangeUntilItIsNoLongerConfigured() {
        HealthEvent down = new HealthEvent("http://a:1", "default", HealthState.UNHEALTHY, "HTTP 500", false, NOON.minusSeconds(60));
        timeline.healthChanged(down);
        for (int generation = 2; generation <= 60; generation++) {
            timeline.reloadApplied(generation, "weight " + generation);
        }

        assertEquals(Optional.of(down), timeline.lastChange("default", "http://a:1"), "older than the last 50 events, still its state's start");
        timeline.keepOnly(Set.of(EventTimeline.key("default", "http://b:1")));
        assertEquals(Optional.empty(), timeline.lastChange("default", "http://a:1"));
    }
}
