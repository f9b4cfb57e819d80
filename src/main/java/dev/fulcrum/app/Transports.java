package dev.fulcrum.app;

import dev.fulcrum.config.IoTransport;
import io.vertx.core.Vertx;
import io.vertx.core.transport.Transport;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Vert.x on the configured {@link IoTransport}. On one core io_uring serves about a third more requests per
 * second than epoll (issue 6, scripts/bench.sh), so {@code auto} takes it wherever the kernel allows; container
 * runtimes' default seccomp profiles do not, and then epoll serves.
 */
final class Transports {

    /** Vert.x as started, the transport it runs on, and, under {@code auto}, why faster ones were passed over. */
    record Started(Vertx vertx, Transport transport, List<String> passedOver) {
    }

    private Transports() {
    }

    /**
     * Builds Vert.x on the transport asked for. Under {@code auto} a transport that is missing, or whose event
     * loops cannot be built (io_uring's rings count against locked memory on kernels before 5.12), gives way
     * to the next; an explicit choice that fails is an {@link IllegalStateException} saying why.
     */
    static Started start(IoTransport wanted, Function<Transport, Vertx> build) {
        if (wanted != IoTransport.AUTO) {
            Transport transport = explicit(wanted);
            try {
                return new Started(build.apply(transport), transport, List.of());
            } catch (RuntimeException e) {
                throw new IllegalStateException("transport " + wanted + " could not start its event loops: " + message(e), e);
            }
        }
        List<String> passedOver = new ArrayList<>();
        for (Transport candidate : Stream.of(Transport.IO_URING, Transport.EPOLL).filter(Objects::nonNull).toList()) {
            if (!candidate.available()) {
                passedOver.add(candidate.name() + " not available: " + reason(candidate));
                continue;
            }
            try {
                return new Started(build.apply(candidate), candidate, passedOver);
            } catch (RuntimeException e) {
                passedOver.add(candidate.name() + " could not start its event loops: " + message(e));
            }
        }
        return new Started(build.apply(Transport.NIO), Transport.NIO, passedOver);
    }

    private static Transport explicit(IoTransport wanted) {
        return switch (wanted) {
            case IO_URING -> require(Transport.IO_URING, wanted.toString());
            case EPOLL -> require(Transport.EPOLL, wanted.toString());
            default -> Transport.NIO;
        };
    }

    static Transport require(Transport transport, String name) {
        if (transport == null || !transport.available()) {
            throw new IllegalStateException("transport " + name + " is not available here: "
                    + (transport == null ? "not on the class path" : reason(transport)));
        }
        return transport;
    }

    private static String reason(Transport transport) {
        Throwable cause = transport.unavailabilityCause();
        return cause == null ? "unavailable" : message(cause);
    }

    /** The innermost message: wrappers only repeat their cause's, prefixed with its class name. */
    private static String message(Throwable error) {
        String message = error.getClass().getSimpleName();
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null) {
                message = cause.getMessage();
            }
        }
        return message;
    }
}
