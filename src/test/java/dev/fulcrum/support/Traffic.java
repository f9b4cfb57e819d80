package dev.fulcrum.support;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Clients sending requests one after another through the balancer until stopped (or a bound is reached),
 * tallying every outcome by status; 0 stands for a transport error.
 */
public final class Traffic {

    private static final int MAX_REQUESTS_PER_CLIENT = 50_000;

    private final Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Future<Void>> clients = new ArrayList<>();

    private Traffic() {
    }

    public static Traffic start(Http http, int clients, String uri) {
        Traffic traffic = new Traffic();
        for (int i = 0; i < clients; i++) {
            Promise<Void> done = Promise.promise();
            traffic.next(http, uri, MAX_REQUESTS_PER_CLIENT, done);
            traffic.clients.add(done.future());
        }
        return traffic;
    }

    public static Traffic start(Http http, int clients) {
        return start(http, clients, "/");
    }

    public int answered() {
        return statuses.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Stops the clients, waits for their last requests, and returns the tally. */
    public Map<Integer, Integer> stop() {
        stop.set(true);
        Future.all(clients).await();
        return new TreeMap<>(statuses);
    }

    /** Stops and asserts that every single request was answered 200. */
    public void stopAndAssertAllOk() {
        Map<Integer, Integer> tally = stop();
        if (tally.size() != 1 || !tally.containsKey(200)) {
            throw new AssertionError("expected only 200s, got " + tally);
        }
    }

    private void next(Http http, String uri, int left, Promise<Void> done) {
        if (left == 0 || stop.get()) {
            done.complete();
            return;
        }
        http.get(uri).onComplete(ar -> {
            statuses.merge(ar.succeeded() ? ar.result().status() : 0, 1, Integer::sum);
            next(http, uri, left - 1, done);
        });
    }
}
