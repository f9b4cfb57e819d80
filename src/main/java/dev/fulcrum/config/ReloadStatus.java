package dev.fulcrum.config;

import java.time.Instant;

/**
 * What the admin endpoints report about the config: which generation serves (1 = the startup file), the text it
 * was parsed from, and the last refused edit, cleared by the next good one.
 */
public record ReloadStatus(int generation, String text, Instant appliedAt, String lastError, Instant lastErrorAt) {

    public static ReloadStatus initial(String text) {
        return new ReloadStatus(1, text, Instant.now(), null, null);
    }

    public ReloadStatus applied(String nextText) {
        return new ReloadStatus(generation + 1, nextText, Instant.now(), null, null);
    }

    /** An edit that parsed to the snapshot already serving: the generation and its text stay. */
    public ReloadStatus unchanged() {
        return new ReloadStatus(generation, text, appliedAt, null, null);
    }

    public ReloadStatus refused(String error) {
        return new ReloadStatus(generation, text, appliedAt, error, Instant.now());
    }
}
