package dev.fulcrum.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** A log file written by another thread, read once it has the lines a test waits for. */
public final class LogFile {

    private static final Duration WAIT = Duration.ofSeconds(5);

    private LogFile() {
    }

    /** The file's lines once it has at least {@code atLeast}. */
    public static List<String> lines(Path log, int atLeast) {
        return Await.value(log.getFileName() + " has " + atLeast + " line(s)", WAIT, () -> {
            try {
                return Files.exists(log) ? Files.readAllLines(log) : List.<String>of();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, read -> read.size() >= atLeast);
    }
}
