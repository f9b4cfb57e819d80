package dev.fulcrum.config;

import java.time.Instant;

/**
 * What the admin endpoints report about the config: which generation serves (1 = the startup file) and the
 * last refused edit, cleared by the next good one.
 */
public record ReloadStatus(int generation, Instant appliedAt, String lastError, Instant lastErrorAt) {

    public static ReloadStatus initial() {
        return new ReloadStatus(1, Instant.now(), null, null);
    }

    public ReloadStatus applied() {
        return new ReloadStatus(generation + 1, Instant.now(), null, null);
    }

    public ReloadStatus unchanged() {
        return new ReloadStatus(generation, appliedAt, null, null);
    }

    public ReloadStatus refused(String error) {
        return new ReloadStatus(generation, appliedAt, error, Instant.now());
    }
}
