package dev.fulcrum.proxy;

import dev.fulcrum.support.Await;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-event-loop response deadlines, driven on one event loop as the proxy drives them. */
@ExtendWith(VertxExtension.class)
class ResponseDeadlinesTest {

    @Test
    void answeredWaitsLeaveTheQueueAsNewOnesStartInsteadOfWaitingForTheSweep(Vertx vertx) {
        Context loop = vertx.getOrCreateContext();
        ResponseDeadlines deadlines = onLoop(loop, () -> new ResponseDeadlines(vertx, () -> Duration.ofSeconds(60)));

        int mostQueued = onLoop(loop, () -> {
            // Requests answered in about the order they were sent, a few in flight at a time.
            List<ResponseDeadlines.Wait> inFlight = new ArrayList<>();
            int most = 0;
            for (int i = 0; i < 10_000; i++) {
                inFlight.add(deadlines.start(() -> { }));
                if (inFlight.size() > 4) {
                    inFlight.remove(0).cancel();
                }
                most = Math.max(most, deadlines.queued());
            }
            return most;
        });

        assertTrue(mostQueued <= 6, "the queue held " + mostQueued + " waits with 5 requests in flight");
        runOnLoop(loop, deadlines::stop);
    }

    @Test
    void onlyTheUnansweredWaitTimesOut(Vertx vertx) {
        Context loop = vertx.getOrCreateContext();
        ResponseDeadlines deadlines = onLoop(loop, () -> new ResponseDeadlines(vertx, () -> Duration.ofMillis(30)));
        AtomicBoolean unansweredTimedOut = new AtomicBoolean();
        AtomicBoolean answeredTimedOut = new AtomicBoolean();

        runOnLoop(loop, () -> {
            deadlines.start(() -> unansweredTimedOut.set(true));
            deadlines.start(() -> answeredTimedOut.set(true)).cancel();
        });

        Await.until("the unanswered wait times out", Duration.ofSeconds(5), unansweredTimedOut::get);
        assertFalse(answeredTimedOut.get());
        assertEquals(0, (int) onLoop(loop, deadlines::queued));
        runOnLoop(loop, deadlines::stop);
    }

    @Test
    void aTimeoutThatStartsTheNextWaitLosesNoWait(Vertx vertx) {
        Context loop = vertx.getOrCreateContext();
        AtomicReference<Duration> timeout = new AtomicReference<>(Duration.ofMillis(20));
        ResponseDeadlines deadlines = onLoop(loop, () -> new ResponseDeadlines(vertx, timeout::get));
        AtomicBoolean firstTimedOut = new AtomicBoolean();

        runOnLoop(loop, () -> {
            // As a timeout does when the client pipelined its next request: the 504 lets that one start.
            deadlines.start(() -> {
                deadlines.start(() -> { });
                firstTimedOut.set(true);
            });
            timeout.set(Duration.ofSeconds(60));
            deadlines.start(() -> { });
        });

        Await.until("the first wait times out", Duration.ofSeconds(5), firstTimedOut::get);
        assertEquals(2, (int) onLoop(loop, deadlines::queued), "the wait behind it and the one it started");
        runOnLoop(loop, deadlines::stop);
    }

    @Test
    void oneLongWaitAtTheHeadDoesNotKeepThousandsOfAnsweredOnesBehindIt(Vertx vertx) {
        Context loop = vertx.getOrCreateContext();
        ResponseDeadlines deadlines = onLoop(loop, () -> new ResponseDeadlines(vertx, () -> Duration.ofSeconds(10)));

        runOnLoop(loop, () -> {
            deadlines.start(() -> { });
            for (int i = 0; i < 5_000; i++) {
                deadlines.start(() -> { }).cancel();
            }
        });

        Await.until("a sweep drops the answered waits", Duration.ofSeconds(5), () -> onLoop(loop, deadlines::queued) <= 1);
        runOnLoop(loop, deadlines::stop);
    }

    /** Runs {@code action} on {@code loop}, as the proxy's own calls run, and returns its result. */
    private static <T> T onLoop(Context loop, Supplier<T> action) {
        CompletableFuture<T> result = new CompletableFuture<>();
        loop.runOnContext(v -> {
            try {
                result.complete(action.get());
            } catch (Throwable failure) {
                result.completeExceptionally(failure);
            }
        });
        try {
            return result.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void runOnLoop(Context loop, Runnable action) {
        onLoop(loop, () -> {
            action.run();
            return null;
        });
    }
}
