package dev.fulcrum.app;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.StreamHandler;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What the console shows of the libraries' reports of a network that misbehaves: never SEVERE, never a trace. */
class ExpectedNetworkErrorLevelsTest {

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final LogFormat format = new LogFormat(ZoneOffset.UTC);
    /** As the JVM's ConsoleHandler is by default: INFO and above. */
    private final StreamHandler console = new StreamHandler(output, format);
    private final ThrottledConsole throttled = ThrottledConsole.around(console, format,
            () -> Instant.parse("2026-01-05T08:00:00Z"), Duration.ofHours(1));

    @AfterEach
    void close() {
        throttled.close();
    }

    @Test
    void aClientResetIsNotPrintedAtAll() {
        // Vert.x logs only the message when no handler took the exception (ConnectionBase.handleException).
        publish(record(Level.SEVERE, "io.vertx.core.net.impl.ConnectionBase", "Connection reset by peer", null));
        publish(record(Level.SEVERE, "io.vertx.core.net.impl.ConnectionBase", "io_uring read(..) failed with error(-104)", null));
        publish(record(Level.WARNING, "io.netty.channel.DefaultChannelPipeline", "An exceptionCaught() event was fired.",
                new SocketException("Connection reset")));
        publish(record(Level.SEVERE, "io.vertx.core.impl.ContextImpl", "Unhandled exception",
                new RuntimeException(new IOException("writev(..) failed with error(-32): Broken pipe"))));

        assertEquals("", printed());
    }

    @Test
    void descriptorsRunningOutAreOneWarningLineNotSevere() {
        publish(record(Level.SEVERE, "io.vertx.core.impl.ContextImpl", "Unhandled exception",
                new IOException("newSocketStream(..) failed with error(-24): Too many open files")));

        assertEquals("2026-01-05 08:00:00.000 WARNING [io.vertx.core.impl.ContextImpl] Unhandled exception:"
                + " newSocketStream(..) failed with error(-24): Too many open files" + System.lineSeparator(), printed());
    }

    @Test
    void fulcrumsOwnLinesKeepTheirLevelAndABugKeepsItsTrace() {
        publish(record(Level.WARNING, "fulcrum.proxy", "backend http://a:1: Connection reset by peer", null));
        LogRecord bug = record(Level.SEVERE, "io.vertx.core.impl.ContextImpl", "Unhandled exception",
                new NullPointerException("remoteAddress() is null"));
        publish(bug);

        String printed = printed();
        assertEquals("2026-01-05 08:00:00.000 WARNING [fulcrum.proxy] backend http://a:1: Connection reset by peer",
                printed.lines().findFirst().orElse(""));
        assertEquals("2026-01-05 08:00:00.000 SEVERE  [io.vertx.core.impl.ContextImpl] Unhandled exception",
                printed.lines().skip(1).findFirst().orElse(""));
        assertEquals("java.lang.NullPointerException: remoteAddress() is null", printed.lines().skip(2).findFirst().orElse(""));
    }

    /** The record also goes to the handlers after the console's: they see it as it was logged. */
    @Test
    void theRecordItselfIsLeftAsItWasLogged() {
        LogRecord reset = record(Level.SEVERE, "io.vertx.core.net.impl.ConnectionBase", "Connection reset by peer", null);
        publish(reset);
        assertEquals(Level.SEVERE, reset.getLevel());
        assertEquals(Level.FINE, ThrottledConsole.atExpectedLevel(reset).getLevel());
        assertEquals("Connection reset by peer", ThrottledConsole.atExpectedLevel(reset).getMessage());
    }

    private void publish(LogRecord record) {
        throttled.publish(record);
    }

    private String printed() {
        console.flush();
        return output.toString(StandardCharsets.UTF_8);
    }

    private static LogRecord record(Level level, String logger, String message, Throwable thrown) {
        LogRecord record = new LogRecord(level, message);
        record.setLoggerName(logger);
        record.setThrown(thrown);
        record.setInstant(Instant.parse("2026-01-05T08:00:00Z"));
        return record;
    }
}
