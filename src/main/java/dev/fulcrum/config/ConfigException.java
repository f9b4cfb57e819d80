package dev.fulcrum.config;

/**
 * A mistake in the configuration, described in one line that names the field, the value and what is
 * accepted. It is a user's error, not a bug, so it carries no stack trace.
 */
public final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message, null, false, false);
    }
}
