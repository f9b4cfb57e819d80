package dev.fulcrum.accesslog;

import dev.fulcrum.config.AccessLogSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A destination that takes nothing (a FIFO nobody reads) costs lines, counted, and never a wait. */
class AccessLogBackPressureTest {

    @Test
    void linesBeyondTheQueueAreDroppedAndCountedWithoutEverBlocking(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("stuck.log");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        AtomicLong dropped = new AtomicLong();
        // Opening a FIFO for writing blocks until a reader comes: the writer thread is stuck from its first step.
        AccessLog log = AccessLog.start(new AccessLogSettings(fifo.toString(), AccessLogSettings.Format.JSON), dropped::incrementAndGet);
        int offered = AccessLog.QUEUE_CAPACITY + 5_000;
        AccessLogEntry entry = new AccessLogEntry(System.currentTimeMillis(), "id", "127.0.0.1", "GET", "/", "HTTP/1.1",
                200, 2, 1_000_000, null, null, null, -1, null, null);

        // A log() that waited for the writer would never return here: the guard only turns that hang into a failure.
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (int i = 0; i < offered; i++) {
                log.log(entry);
            }
        });

        assertEquals(offered - AccessLog.QUEUE_CAPACITY, dropped.get());
        log.close();
        // Unblock the writer (a reader arrives and takes everything) so that its thread ends with the test.
        new ProcessBuilder("cat", fifo.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(log.awaitClosed(10_000), "the writer finished once it could write");
        assertEquals(offered - AccessLog.QUEUE_CAPACITY, dropped.get(), "what was queued was written, not dropped");
    }
}
