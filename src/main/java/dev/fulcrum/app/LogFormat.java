package dev.fulcrum.app;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One readable line per log event: {@code 2026-11-25 15:03:46.632 INFO    [fulcrum] message}, then the stack
 * trace if there is one, unless it is an {@link ExpectedNetworkError}, whose message ends the line instead.
 * Written out by hand because {@code SimpleFormatter}'s first line costs about 85 ms (String.format with date
 * conversions initialises the locale machinery), all of it before the first request.
 */
final class LogFormat extends Formatter {

    private final ZoneId zone;

    LogFormat(ZoneId zone) {
        this.zone = zone;
    }

    /** Formats and throttles the console output, unless the operator brought a logging config of their own. */
    static void install() {
        if (System.getProperty("java.util.logging.config.file") != null
                || System.getProperty("java.util.logging.config.class") != null) {
            return;
        }
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            if (handler instanceof ConsoleHandler) {
                LogFormat format = new LogFormat(ZoneId.systemDefault());
                handler.setFormatter(format);
                root.removeHandler(handler);
                root.addHandler(ThrottledConsole.around(handler, format, InstantSource.system(), Duration.ofSeconds(1)));
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
                .append(message(record)).append(System.lineSeparator());
        if (record.getThrown() != null && ExpectedNetworkError.in(record.getThrown()) == null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            line.append(trace);
        }
        return line.toString();
    }

    /** The message of {@code record}, then the one line an expected network error gets instead of a stack trace. */
    String message(LogRecord record) {
        String message = String.valueOf(formatMessage(record));
        ExpectedNetworkError expected = record.getThrown() == null ? null : ExpectedNetworkError.in(record.getThrown());
        if (expected == null || message.contains(expected.message())) {
            return message;
        }
        // Netty's "... did not handle the exception." reads on as "... did not handle the exception: <why>".
        String sentence = message.endsWith(".") ? message.substring(0, message.length() - 1) : message;
        return sentence + ": " + expected.message();
    }

    /** {@code value} zero-padded to {@code width} digits. */
    private static StringBuilder digits(StringBuilder line, int value, int width) {
        for (int power = (int) Math.pow(10, width - 1); power > 0; power /= 10) {
            line.append((char) ('0' + value / power % 10));
        }
        return line;
    }
}
