package dev.fulcrum.app;

import io.netty.channel.unix.Errors;
import io.vertx.core.VertxException;
import io.vertx.core.transport.Transport;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.SocketException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class LogFormatTest {

    private static final String NETTY_TAIL = "An exceptionCaught() event was fired, and it reached at the tail of the"
            + " pipeline. It usually means the last handler in the pipeline did not handle the exception.";

    private final LogFormat format = new LogFormat(ZoneOffset.ofHours(1));

    @Test
    void oneLineWithLocalTimeLevelAndLogger() {
        LogRecord record = record(Level.INFO, "backend http://127.0.0.1:8081 is now HEALTHY", "2026-01-05T08:03:04.007Z");
        assertEquals("2026-01-05 09:03:04.007 INFO    [fulcrum.health] backend http://127.0.0.1:8081 is now HEALTHY"
                + System.lineSeparator(), format.format(record));
    }

    @Test
    void longLevelNamesAndParametersAndStackTraces() {
        LogRecord record = record(Level.WARNING, "cannot bind {0}", "2026-12-31T22:59:59.999Z");
        record.setParameters(new Object[] {":8080"});
        record.setThrown(new IllegalStateException("taken"));
        String line = format.format(record);
        assertTrue(line.startsWith("2026-12-31 23:59:59.999 WARNING [fulcrum.health] cannot bind :8080"
                + System.lineSeparator() + "java.lang.IllegalStateException: taken"), line);
    }

    @Test
    void expectedNetworkErrorsEndTheLineInsteadOfAStackTrace() {
        assertOneLine("Connection reset", new SocketException("Connection reset"));
        assertOneLine("Broken pipe", new IOException("Broken pipe"));
        assertOneLine("Cannot assign requested address", new java.net.BindException("Cannot assign requested address"));
        assertOneLine("io_uring read(..) failed with error(-104)", new IOException("io_uring read(..) failed with error(-104)"));
        assertOneLine("accept(..) failed with error(-23): Too many open files in system",
                new VertxException("cannot accept", new IOException("accept(..) failed with error(-23): Too many open files in system")));
    }

    /** Netty's own exceptions, whose message needs the native library's table of errno names. */
    @Test
    void nettyNativeErrorsOfAPeerGoneOrOfDescriptorsRunOutEndTheLine() {
        assumeTrue(Transport.EPOLL.available() || Transport.IO_URING.available(), "no native transport here");
        assertOneLine("io_uring read(..) failed with error(-104): Connection reset by peer",
                Errors.newIOException("io_uring read", Errors.ERRNO_ECONNRESET_NEGATIVE));
        assertOneLine("recvAddress(..) failed with error(-104): Connection reset by peer",
                Errors.newConnectionResetException("recvAddress", Errors.ERRNO_ECONNRESET_NEGATIVE));
        assertOneLine("writevAddresses(..) failed with error(-32): Broken pipe",
                Errors.newIOException("writevAddresses", Errors.ERRNO_EPIPE_NEGATIVE));
        assertOneLine("io_uring accept(..) failed with error(-24): Too many open files",
                new IllegalStateException("wrapped", Errors.newIOException("io_uring accept", -24)));
    }

    @Test
    void theMessageOfAnExpectedErrorIsNotRepeatedWhenItIsAlreadyTheLine() {
        LogRecord record = record(Level.SEVERE, "Connection reset by peer", "2026-01-05T08:03:04.007Z");
        record.setThrown(new SocketException("Connection reset by peer"));
        assertEquals("2026-01-05 09:03:04.007 SEVERE  [fulcrum.health] Connection reset by peer" + System.lineSeparator(),
                format.format(record));
    }

    @Test
    void aBugAndAnyOtherInputOutputErrorKeepTheirStackTrace() {
        for (Throwable bug : new Throwable[] {new NullPointerException("remoteAddress() is null"),
                new IOException("No space left on device"), new IllegalStateException("Connection reset handling failed")}) {
            LogRecord record = record(Level.SEVERE, "Unhandled exception", "2026-01-05T08:03:04.007Z");
            record.setThrown(bug);
            String text = format.format(record);
            assertTrue(text.startsWith("2026-01-05 09:03:04.007 SEVERE  [fulcrum.health] Unhandled exception"
                    + System.lineSeparator() + bug.getClass().getName() + ": " + bug.getMessage()), text);
            assertTrue(text.contains("\tat dev.fulcrum.app.LogFormatTest."), text);
        }
    }

    private void assertOneLine(String why, Throwable thrown) {
        LogRecord record = record(Level.WARNING, NETTY_TAIL, "2026-01-05T08:03:04.007Z");
        record.setLoggerName("io.netty.channel.DefaultChannelPipeline");
        record.setThrown(thrown);
        assertEquals("2026-01-05 09:03:04.007 WARNING [io.netty.channel.DefaultChannelPipeline] An exceptionCaught()"
                + " event was fired, and it reached at the tail of the pipeline. It usually means the last handler in"
                + " the pipeline did not handle the exception: " + why + System.lineSeparator(), format.format(record));
    }

    private static LogRecord record(Level level, String message, String instant) {
        LogRecord record = new LogRecord(level, message);
        record.setLoggerName("fulcrum.health");
        record.setInstant(Instant.parse(instant));
        return record;
    }
}
