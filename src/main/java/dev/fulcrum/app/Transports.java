package dev.fulcrum.app;

import dev.fulcrum.config.IoTransport;
import io.vertx.core.transport.Transport;

import java.util.Optional;

/**
 * The Vert.x transport for the configured {@link IoTransport}. On one core io_uring serves about a third more
 * requests per second than epoll (issue 6, scripts/bench.sh), so {@code auto} takes it wherever the kernel
 * allows; container runtimes' default seccomp profiles often do not, and then epoll serves.
 */
final class Transports {

    private Transports() {
    }

    /** The transport to run on; an explicit choice the platform lacks is an {@link IllegalStateException} saying why. */
    static Transport choose(IoTransport wanted) {
        return switch (wanted) {
            case AUTO -> usable(Transport.IO_URING).or(() -> usable(Transport.EPOLL)).orElse(Transport.NIO);
            case IO_URING -> require(Transport.IO_URING, wanted.toString());
            case EPOLL -> require(Transport.EPOLL, wanted.toString());
            case NIO -> Transport.NIO;
        };
    }

    /** For the startup line: why {@code auto} did not take io_uring, if it did not. */
    static Optional<String> whyNotIoUring(Transport chosen) {
        if (chosen == Transport.IO_URING) {
            return Optional.empty();
        }
        return Optional.of(Transport.IO_URING == null ? "not on the class path" : reason(Transport.IO_URING));
    }

    static Transport require(Transport transport, String name) {
        if (transport == null || !transport.available()) {
            throw new IllegalStateException("transport " + name + " is not available here: "
                    + (transport == null ? "not on the class path" : reason(transport)));
        }
        return transport;
    }

    private static Optional<Transport> usable(Transport transport) {
        return Optional.ofNullable(transport).filter(Transport::available);
    }

    private static String reason(Transport transport) {
        Throwable cause = transport.unavailabilityCause();
        while (cause != null && cause.getCause() != null && cause.getMessage() == null) {
            cause = cause.getCause();
        }
        return cause == null || cause.getMessage() == null ? "unavailable" : cause.getMessage();
    }
}
