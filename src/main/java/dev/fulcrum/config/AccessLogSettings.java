package dev.fulcrum.config;

import java.nio.file.Path;

/** Where each request's access-log line goes, and in which format; absent from the config means no access log. */
public record AccessLogSettings(String path, Format format) {

    public static final String STDOUT = "stdout";

    public enum Format {
        /** One JSON object per line. */
        JSON,
        /** NGINX's and Apache's combined format. */
        COMBINED
    }

    public boolean toStdout() {
        return path.equals(STDOUT);
    }

    /** The file, for an access log that is not {@link #toStdout()}. */
    public Path file() {
        return Path.of(path);
    }
}
