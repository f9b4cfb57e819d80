package dev.fulcrum.app;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One readable line per log event: {@code 2026-11-25 15:03:46.632 INFO    [fulcrum] message}, then the stack
 * trace if there is one. Written out by hand because {@code SimpleFormatter}'s first line costs about 85 ms
 * (String.format with date conversions initialises the locale machinery), all of it before the first request.
 */
final class LogFormat extends Formatter {

    private final ZoneId zone;

    LogFormat(ZoneId zone) {
        this.zone = zone;
    }

    /** Formats the console output, unless the operator brought a logging config of their own. */
    static void install() {
        if (System.getProperty("java.util.logging.config.file") != null
                || System.getProperty("java.util.logging.config.class") != null) {
            return;
        }
        for (Handler handler : Logger.getLogger("").getHandlers()) {
            if (handler instanceof ConsoleHandler) {
                handler.setFormatter(new LogFormat(ZoneId.systemDefault()));
            }
        }
    }

    @Override
    public String format(LogRecord record) {
        LocalDateTime time = LocalDateTime.ofInstant(record.getInstant(), zone);
        StringBuilder line = new StringBuilder(128).append(time.getYear()).append('-');
        digits(line, time.getMonthValue(), 2).append('-');
        digits(line, time.getDayOfMonth(), 2).append(' ');
        digits(line, time.getHour(), 2).append(':');
        digits(line, time.getMinute(), 2).append(':');
        digits(line, time.getSecond(), 2).append('.');
        digits(line, time.getNano() / 1_000_000, 3).append(' ');
        String level = record.getLevel().getName();
        line.append(level).append(" ".repeat(Math.max(0, 7 - level.length())))
                .append(" [").append(record.getLoggerName()).append("] ")
                .append(formatMessage(record)).append(System.lineSeparator());
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            line.append(trace);
        }
        return line.toString();
    }

    /** {@code value} zero-padded to {@code width} digits. */
    private static StringBuilder digits(StringBuilder line, int value, int width) {
        for (int power = (int) Math.pow(10, width - 1); power > 0; power /= 10) {
            line.append((char) ('0' + value / power % 10));
        }
        return line;
    }
}
