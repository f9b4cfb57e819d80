package dev.fulcrum.support;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.balancer.Backend;

import java.time.Duration;

/** The in-flight count every outcome must give back: a slot kept after an exchange ended is a leak. */
public final class InFlight {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private InFlight() {
    }

    /** Waits until every backend of {@code fulcrum} has nothing in flight; {@code when} names the moment. */
    public static void awaitNone(Fulcrum fulcrum, String when) {
        for (Backend backend : fulcrum.backends().all()) {
            Await.until(backend + " has nothing in flight " + when + " (still " + backend.inFlight() + ")", WAIT,
                    () -> backend.inFlight() == 0);
        }
    }
}
