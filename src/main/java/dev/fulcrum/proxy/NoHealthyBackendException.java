package dev.fulcrum.proxy;

/** Every backend is down or unknown; an expected condition, so no stack trace. */
final class NoHealthyBackendException extends RuntimeException {

    NoHealthyBackendException() {
        super("no healthy backend", null, false, false);
    }
}
