package dev.fulcrum.app;

import dev.fulcrum.support.Await;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link WarningThrottle} on a clock that moves only when told to. */
class RepeatedWarningsTest {

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-05T08:00:00Z"));
    private final LogFormat format = new LogFormat(ZoneOffset.UTC);
    private final WarningThrottle throttle = new WarningThrottle(now::get, format::message);

    @Test
    void theFirstIsPrintedInFullTheRestCountedAndSummedUpWhenTheWindowEnds() {
        LogRecord first = warning("fulcrum.proxy", "backend http://10.0.0.1:8081 refused connection 1");
        assertEquals(List.of(first), throttle.admit(first));
        for (int i = 2; i <= 5; i++) {
            later(Duration.ofSeconds(2));
            assertEquals(List.of(), throttle.admit(warning("fulcrum.proxy", "backend http://10.0.0.2:8082 refused connection " + i)));
        }
        assertEquals(List.of(), throttle.windowsEnded(), "8 s into the window");

        later(Duration.ofSeconds(2));
        List<LogRecord> summaries = throttle.windowsEnded();

        assertEquals(1, summaries.size());
        LogRecord summary = summaries.get(0);
        assertEquals("backend http://10.0.0.1:8081 refused connection 1 ... (4 more in the last 10 s)", summary.getMessage());
        assertEquals(Level.WARNING, summary.getLevel());
        assertEquals("fulcrum.proxy", summary.getLoggerName());
        assertEquals(now.get(), summary.getInstant());
        assertEquals(List.of(), throttle.windowsEnded(), "summed up once");
    }

    @Test
    void theNextOneAfterTheWindowIsPrintedInFullAgainAfterTheSummaryItWasLateFor() {
        throttle.admit(severe("Unhandled exception", new NullPointerException("a")));
        throttle.admit(severe("Unhandled exception", new NullPointerException("b")));
        later(Duration.ofSeconds(25));

        LogRecord again = severe("Unhandled exception", new NullPointerException("c"));
        List<LogRecord> printed = throttle.admit(again);

        assertEquals(2, printed.size());
        assertEquals("Unhandled exception ... (1 more in the last 10 s)", printed.get(0).getMessage());
        assertEquals(Level.SEVERE, printed.get(0).getLevel());
        assertSame(again, printed.get(1));
        assertEquals(List.of(), throttle.admit(severe("Unhandled exception", new NullPointerException("d"))));
    }

    @Test
    void aWindowWithNothingHeldBackEndsWithoutASummary() {
        throttle.admit(warning("fulcrum.config", "config reload refused"));
        later(Duration.ofSeconds(10));
        assertEquals(List.of(), throttle.windowsEnded());
    }

    @Test
    void kindsAreCountedApart() {
        LogRecord refused = warning("fulcrum.proxy", "backend \"a b\" refused");
        LogRecord timedOut = warning("fulcrum.proxy", "backend \"a b\" timed out");
        LogRecord otherLogger = warning("io.vertx.core.impl.ContextImpl", "backend \"a b\" refused");
        LogRecord withBug = warning("fulcrum.proxy", "backend \"a b\" refused");
        withBug.setThrown(new IllegalStateException());
        LogRecord withOtherBug = warning("fulcrum.proxy", "backend \"a b\" refused");
        withOtherBug.setThrown(new NullPointerException());
        for (LogRecord record : List.of(refused, timedOut, otherLogger, withBug, withOtherBug)) {
            assertEquals(List.of(record), throttle.admit(record), record.getMessage());
        }
        throttle.admit(warning("fulcrum.proxy", "backend \"c d\" refused"));
        throttle.admit(warning("fulcrum.proxy", "backend 'e f' timed out"));
        throttle.admit(warning("fulcrum.proxy", "backend 'e f' timed out"));

        later(Duration.ofSeconds(10));

        assertEquals(List.of("backend \"a b\" refused ... (1 more in the last 10 s)",
                "backend \"a b\" timed out ... (2 more in the last 10 s)"),
                throttle.windowsEnded().stream().map(LogRecord::getMessage).toList());
    }

    @Test
    void infoIsNeverHeldBack() {
        LogRecord healthy = new LogRecord(Level.INFO, "backend http://a:1 is now HEALTHY");
        healthy.setLoggerName("fulcrum.health");
        assertEquals(List.of(healthy), throttle.admit(healthy));
        assertEquals(List.of(healthy), throttle.admit(healthy));
    }

    @Test
    void aSummaryRepeatsTheLineAsPrintedWithTheExpectedNetworkErrorInIt() {
        LogRecord tooMany = warning("io.netty.channel.DefaultChannelPipeline", "An exceptionCaught() event was fired.");
        tooMany.setThrown(new IOException("io_uring accept(..) failed with error(-24): Too many open files"));
        throttle.admit(tooMany);
        throttle.admit(tooMany);
        later(Duration.ofSeconds(10));
        assertEquals("An exceptionCaught() event was fired: io_uring accept(..) failed with error(-24): Too many open"
                + " files ... (1 more in the last 10 s)", throttle.windowsEnded().get(0).getMessage());
    }

    @Test
    void theTableOfKindsIsBoundedAndTheLeastRecentlySeenIsSummedUpEarly() {
        throttle.admit(warning("client", "first kind"));
        throttle.admit(warning("client", "first kind"));
        for (int i = 1; i < WarningThrottle.MAX_KINDS; i++) {
            throttle.admit(warning("client", "kind " + "x".repeat(i)));
        }
        LogRecord oneTooMany = warning("client", "one kind too many");

        List<LogRecord> printed = throttle.admit(oneTooMany);

        assertEquals(2, printed.size());
        assertEquals("first kind ... (1 more in the last 10 s)", printed.get(0).getMessage());
        assertSame(oneTooMany, printed.get(1));
        LogRecord firstAgain = warning("client", "first kind");
        assertEquals(List.of(firstAgain), throttle.admit(firstAgain), "its window ended with its eviction");
    }

    @Test
    void variablePartsAreMaskedInOnePass() {
        assertEquals("backend # refused # after # tries", WarningThrottle.masked("backend http://h/api refused \"GET /x y\" after 42 tries"));
        assertEquals("cannot read #: it's gone", WarningThrottle.masked("cannot read 'my config.json': it's gone"));
        assertEquals("channel [id: #", WarningThrottle.masked("channel [id: 0x5f3a2b1c,"));
        assertEquals("an \"unclosed quote", WarningThrottle.masked("an \"unclosed quote"));
        assertEquals(300, WarningThrottle.masked("y".repeat(10_000)).length());
    }

    /** The timer, not the next record of the kind (which may never come), ends a burst: on a thread of its own. */
    @Test
    void aBurstThatStopsIsSummedUpByADaemonThreadOfItsOwn() {
        List<LogRecord> console = new CopyOnWriteArrayList<>();
        List<Thread> printers = new CopyOnWriteArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                console.add(record);
                printers.add(Thread.currentThread());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        ThrottledConsole throttled = ThrottledConsole.around(capture, format, now::get, Duration.ofMillis(10));
        try {
            for (int i = 0; i < 3; i++) {
                throttled.publish(warning("fulcrum.proxy", "client sent " + i + " bad requests"));
            }
            assertEquals(1, console.size());
            later(Duration.ofSeconds(10));

            Await.until("the summary", Duration.ofSeconds(10), () -> console.size() == 2);

            LogRecord summary = console.get(1);
            assertEquals("client sent 0 bad requests ... (2 more in the last 10 s)", summary.getMessage());
            Thread printer = printers.get(1);
            assertEquals("fulcrum-log-summaries", printer.getName());
            assertTrue(printer.isDaemon());
        } finally {
            throttled.close();
        }
    }

    private void later(Duration duration) {
        now.updateAndGet(instant -> instant.plus(duration));
    }

    private static LogRecord warning(String logger, String message) {
        LogRecord record = new LogRecord(Level.WARNING, message);
        record.setLoggerName(logger);
        return record;
    }

    private static LogRecord severe(String message, Throwable thrown) {
        LogRecord record = new LogRecord(Level.SEVERE, message);
        record.setLoggerName("io.vertx.core.impl.ContextImpl");
        record.setThrown(thrown);
        return record;
    }
}
