package dev.fulcrum.app;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RuntimeDefaultsTest {

    @Test
    void nettyAndVertxRunWithFulcrumsDefaults() {
        Properties properties = new Properties();
        RuntimeDefaults.apply(properties);
        assertEquals("false", properties.getProperty("io.netty.jfr.enabled"));
        assertEquals("true", properties.getProperty("vertx.disableContextTimings"));
        assertEquals("256", properties.getProperty("io.netty.recycler.chunkSize"));
    }

    @Test
    void anOperatorsOwnValueWins() {
        Properties properties = new Properties();
        properties.setProperty("io.netty.jfr.enabled", "true");
        RuntimeDefaults.apply(properties);
        assertEquals("true", properties.getProperty("io.netty.jfr.enabled"));
    }

    @Test
    void blockingWorkUsesTwoThreadsNotAPoolOfTwenty() throws Exception {
        Path file = Files.createTempFile("fulcrum", ".json");
        Vertx vertx = Main.vertx(1, Transport.NIO);
        try {
            Future<?> done = Future.succeededFuture();
            for (int i = 0; i < 30; i++) {
                done = done.compose(previous -> vertx.fileSystem().readFile(file.toString()))
                        .compose(read -> vertx.executeBlocking(() -> read.length(), false));
            }
            done.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

            assertTrue(threadsNamed("vert.x-internal-blocking-") <= 2, "internal blocking threads: " + threadsNamed("vert.x-internal-blocking-"));
            assertTrue(threadsNamed("vert.x-worker-thread-") <= 2, "worker threads: " + threadsNamed("vert.x-worker-thread-"));
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            Files.delete(file);
        }
    }

    private static long threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(thread -> thread.getName().startsWith(prefix)).count();
    }
}
