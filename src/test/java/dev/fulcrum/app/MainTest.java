package dev.fulcrum.app;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {

    @Test
    void blockingWorkRunsOnTwoThreadsPerPoolNotTwenty() {
        Vertx vertx = Main.vertx(1, Transport.NIO);
        try {
            Set<Thread> workers = threadsRunning(30, () -> vertx.executeBlocking(Thread::currentThread, false));
            Set<Thread> internal = threadsRunning(30, () -> ((VertxInternal) vertx).executeBlockingInternal(Thread::currentThread));

            assertTrue(workers.size() >= 1 && workers.size() <= 2, "worker threads: " + workers);
            assertTrue(internal.size() >= 1 && internal.size() <= 2, "internal blocking threads: " + internal);
        } finally {
            vertx.close().await();
        }
    }

    /** Runs {@code task} {@code times} times, one after another (as Fulcrum's blocking work comes), and returns the threads it ran on. */
    private static Set<Thread> threadsRunning(int times, Supplier<Future<Thread>> task) {
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        Future<?> done = Future.succeededFuture();
        for (int i = 0; i < times; i++) {
            done = done.compose(previous -> task.get().onSuccess(threads::add));
        }
        done.await();
        return threads;
    }
}
