package dev.fulcrum.app;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Prints the first warning of a kind in full, counts the ones that follow it within {@link #WINDOW}, and prints
 * the count once the window ends: a warning that every connection of a flood triggers costs two lines every
 * 10 s, not one (with its stack trace) per connection. A kind is the logger, the message with its variable parts
 * masked, and the class of what was thrown. WARNING and SEVERE only: below them are Fulcrum's own reports of
 * events (a backend's health changed, a reload), each worth its line.
 */
final class WarningThrottle {

    static final Duration WINDOW = Duration.ofSeconds(10);
    /** Kinds with a window open; past this many, the least recently seen one's window ends early. */
    static final int MAX_KINDS = 256;
    /** Enough of a message to tell kinds apart; the rest would only grow the table. */
    private static final int KIND_CHARS = 300;

    private final InstantSource clock;
    private final Function<LogRecord, String> message;
    /** By kind, least recently seen first. */
    private final Map<String, Window> open = new LinkedHashMap<>(16, 0.75f, true);

    /** {@code message} is the text a record is printed with, and so what a summary repeats. */
    WarningThrottle(InstantSource clock, Function<LogRecord, String> message) {
        this.clock = clock;
        this.message = message;
    }

    /** What to print for {@code record} now, in order: the summaries of windows it ends, then itself if first. */
    List<LogRecord> admit(LogRecord record) {
        if (record.getLevel().intValue() < Level.WARNING.intValue()) {
            return List.of(record);
        }
        // Outside the lock, which every event loop of a flood takes.
        String text = message.apply(record);
        String kind = record.getLoggerName() + '\n' + masked(text) + '\n'
                + (record.getThrown() == null ? "" : record.getThrown().getClass().getName());
        synchronized (this) {
            return admit(record, text, kind, clock.instant());
        }
    }

    private List<LogRecord> admit(LogRecord record, String text, String kind, Instant now) {
        List<LogRecord> print = new ArrayList<>(2);
        Window window = open.get(kind);
        if (window != null && window.endedBy(now)) {
            open.remove(kind);
            window.addSummary(print, now);
            window = null;
        }
        if (window != null) {
            window.suppressed++;
            return print;
        }
        open.put(kind, new Window(record, text, now));
        if (open.size() > MAX_KINDS) {
            Iterator<Window> eldest = open.values().iterator();
            eldest.next().addSummary(print, now);
            eldest.remove();
        }
        print.add(record);
        return print;
    }

    /** The summaries of the windows that have ended by now: a burst that stops is still counted. */
    synchronized List<LogRecord> windowsEnded() {
        Instant now = clock.instant();
        List<LogRecord> print = new ArrayList<>();
        for (Iterator<Window> windows = open.values().iterator(); windows.hasNext(); ) {
            Window window = windows.next();
            if (window.endedBy(now)) {
                window.addSummary(print, now);
                windows.remove();
            }
        }
        return print;
    }

    /**
     * {@code message} with each variable part as {@code #}: a quoted value, and every word with a digit (counts,
     * addresses, ports, ids) or a URL in it. One pass, no regular expression: a message may carry what a client
     * sent, and must not cost more than its length.
     */
    static String masked(String message) {
        int end = Math.min(message.length(), KIND_CHARS);
        StringBuilder kind = new StringBuilder(end);
        int i = 0;
        while (i < end) {
            char c = message.charAt(i);
            if (Character.isWhitespace(c)) {
                kind.append(c);
                i++;
                continue;
            }
            if (c == '"' || c == '\'') {
                int close = message.indexOf(c, i + 1);
                if (close > 0 && close < end) {
                    kind.append('#');
                    i = close + 1;
                    continue;
                }
            }
            int wordEnd = i;
            boolean variable = false;
            while (wordEnd < end && !Character.isWhitespace(message.charAt(wordEnd))) {
                variable |= Character.isDigit(message.charAt(wordEnd)) || message.startsWith("://", wordEnd);
                wordEnd++;
            }
            if (variable) {
                kind.append('#');
            } else {
                kind.append(message, i, wordEnd);
            }
            i = wordEnd;
        }
        return kind.toString();
    }

    /** Keeps the first record's level, logger and text, not the record: its exception would hold a whole trace. */
    private static final class Window {

        private final Level level;
        private final String loggerName;
        private final String text;
        private final Instant end;
        private int suppressed;

        Window(LogRecord first, String text, Instant start) {
            this.level = first.getLevel();
            this.loggerName = first.getLoggerName();
            this.text = text;
            this.end = start.plus(WINDOW);
        }

        boolean endedBy(Instant now) {
            return !now.isBefore(end);
        }

        void addSummary(List<LogRecord> print, Instant now) {
            if (suppressed == 0) {
                return;
            }
            LogRecord summary = new LogRecord(level,
                    text + " ... (" + suppressed + " more in the last " + WINDOW.toSeconds() + " s)");
            summary.setLoggerName(loggerName);
            summary.setInstant(now);
            print.add(summary);
        }
    }
}
