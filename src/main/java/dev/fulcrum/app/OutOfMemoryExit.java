package dev.fulcrum.app;

import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Ends the process at once, with one line, on an {@code OutOfMemoryError} that {@code -XX:+ExitOnOutOfMemoryError}
 * does not see: direct buffer memory running out is thrown by Java code, not by the JVM, and Netty's event loops
 * catch and log it, then carry on unable to allocate. A process in that state serves nobody; exiting lets
 * Kubernetes (or systemd) start a fresh one.
 */
final class OutOfMemoryExit extends Handler {

    /** Exit code 3, as the JVM's own -XX:+ExitOnOutOfMemoryError uses. */
    static final int EXIT_OUT_OF_MEMORY = 3;

    private OutOfMemoryExit() {
    }

    /** Watches every log record, ahead of the console (whose trace would come first), and every uncaught exception. */
    static void install() {
        Logger root = Logger.getLogger("");
        Handler[] others = root.getHandlers();
        for (Handler handler : others) {
            root.removeHandler(handler);
        }
        root.addHandler(new OutOfMemoryExit());
        for (Handler handler : others) {
            root.addHandler(handler);
        }
        Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, error) -> {
            exitIfOutOfMemory(error);
            if (previous != null) {
                previous.uncaughtException(thread, error);
            } else {
                error.printStackTrace();
            }
        });
    }

    @Override
    public void publish(LogRecord record) {
        exitIfOutOfMemory(record.getThrown());
    }

    private static void exitIfOutOfMemory(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof OutOfMemoryError) {
                System.err.println("fulcrum: exiting: " + cause);
                Runtime.getRuntime().halt(EXIT_OUT_OF_MEMORY);
            }
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
