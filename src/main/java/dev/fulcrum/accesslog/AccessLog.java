package dev.fulcrum.accesslog;

import dev.fulcrum.config.AccessLogSettings;
import io.netty.util.internal.PlatformDependent;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;

/**
 * One access log, written by its own thread. The event loops only offer an entry to a bounded lock-free queue
 * (Netty's MPSC queue); when the disk cannot keep up and the queue is full, the entry is dropped and counted, and
 * no request ever waits. The file is opened, written and reopened (after logrotate, on SIGUSR1) on the writer
 * thread alone.
 */
public final class AccessLog {

    /** About a second of lines at 10k req/s, and at most a few MB: enough to ride out a slow fsync. */
    static final int QUEUE_CAPACITY = 16 * 1024;
    private static final Logger LOG = Logger.getLogger("fulcrum");
    private static final byte[] NEWLINE = {'\n'};
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final AccessLogSettings settings;
    private final Runnable dropped;
    private final Queue<AccessLogEntry> queue = PlatformDependent.newFixedMpscQueue(QUEUE_CAPACITY);
    private final Thread writer;
    private volatile boolean parked;
    private volatile boolean reopen;
    private volatile boolean closed;
    private OutputStream out;
    private boolean failing;

    /** Starts writing to {@code settings}' destination; {@code dropped} runs once per line that could not be written. */
    public static AccessLog start(AccessLogSettings settings, Runnable dropped) {
        AccessLog log = new AccessLog(settings, dropped);
        log.writer.start();
        return log;
    }

    private AccessLog(AccessLogSettings settings, Runnable dropped) {
        this.settings = settings;
        this.dropped = dropped;
        this.writer = new Thread(this::write, "fulcrum-access-log");
        this.writer.setDaemon(true);
    }

    public AccessLogSettings settings() {
        return settings;
    }

    /** From any event loop: never blocks. */
    public void log(AccessLogEntry entry) {
        if (!queue.offer(entry)) {
            dropped.run();
        } else if (parked) {
            LockSupport.unpark(writer);
        }
    }

    /** Closes and reopens the file before the next line (SIGUSR1, after logrotate moved it). */
    public void reopen() {
        reopen = true;
        LockSupport.unpark(writer);
    }

    /** Writes what is queued, then stops; lines offered later are dropped. */
    public void close() {
        closed = true;
        LockSupport.unpark(writer);
    }

    /** Waits up to {@code millis} for the writer to finish after {@link #close()} (tests, shutdown). */
    public boolean awaitClosed(long millis) throws InterruptedException {
        writer.join(millis);
        return !writer.isAlive();
    }

    private void write() {
        open();
        while (true) {
            AccessLogEntry entry = queue.poll();
            if (entry != null) {
                writeLine(AccessLogFormat.line(entry, settings.format()));
                continue;
            }
            flush();
            if (closed) {
                break;
            }
            if (reopen) {
                reopen = false;
                closeStream();
                open();
                continue;
            }
            parked = true;
            if (queue.isEmpty() && !reopen && !closed) {
                LockSupport.parkNanos(this, IDLE_PARK_NANOS);
            }
            parked = false;
        }
        closeStream();
        for (AccessLogEntry late = queue.poll(); late != null; late = queue.poll()) {
            dropped.run();
        }
    }

    private void open() {
        try {
            out = settings.toStdout() ? new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024)
                    : new BufferedOutputStream(Files.newOutputStream(settings.file(), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, StandardOpenOption.APPEND), 64 * 1024);
            if (failing) {
                LOG.info("access log: writing to " + settings.path() + " again");
            }
            failing = false;
        } catch (IOException | RuntimeException e) {
            out = null;
            failed("cannot open " + settings.path() + ": " + e.getMessage());
        }
    }

    private void writeLine(String line) {
        if (out == null) {
            dropped.run();
            return;
        }
        try {
            out.write(line.getBytes(StandardCharsets.UTF_8));
            out.write(NEWLINE);
        } catch (IOException e) {
            dropped.run();
            failed("cannot write to " + settings.path() + ": " + e.getMessage());
        }
    }

    private void flush() {
        if (out != null) {
            try {
                out.flush();
            } catch (IOException e) {
                failed("cannot write to " + settings.path() + ": " + e.getMessage());
            }
        }
    }

    /** Said once per run of failures; the lines lost meanwhile are in fulcrum_access_log_dropped_total. */
    private void failed(String why) {
        if (!failing) {
            failing = true;
            LOG.warning("access log: " + why + "; lines are dropped (counted in fulcrum_access_log_dropped_total)"
                    + " until it can be written again (SIGUSR1 reopens it)");
        }
    }

    private void closeStream() {
        if (out != null && !settings.toStdout()) {
            try {
                out.close();
            } catch (IOException e) {
                failed("cannot close " + settings.path() + ": " + e.getMessage());
            }
        }
        out = null;
    }
}
