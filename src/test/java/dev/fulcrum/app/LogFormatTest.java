package dev.fulcrum.app;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogFormatTest {

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

    private static LogRecord record(Level level, String message, String instant) {
        LogRecord record = new LogRecord(level, message);
        record.setLoggerName("fulcrum.health");
        record.setInstant(Instant.parse(instant));
        return record;
    }
}
