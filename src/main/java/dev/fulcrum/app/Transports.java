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
 * Vert.x on the configured {@link IoTransport}. On one core io_uring serves more requests per second than epoll
 * (README, Performance), so {@code auto} takes it wherever the kernel and the seccomp profile allow.
 */
final class Transports {

    /** Vert.x as started, the transport it runs on, and, under {@code auto}, why faster ones were passed over. */
    record Started(Vertx vertx, Transport transport, List<String> passedOver) {
        Started {
            passedOver = List.copyOf(passedOver);
        }
    }

    private Transports() {
    }

    /**
     * Builds Vert.x on the transport asked for. Under {@code auto} a transport that is missing, or whose event
     * loops cannot be built (io_uring's rings count against locked memory on kernels before 5.12), gives way
     * to the next; when the last one fails, or an explicit choice does, it is an {@link IllegalStateException}
     * with the innermost reason.
     */
    static Started start(IoTransport wanted, Function<Transport, Vertx> build) {
        List<Transport> candidates = candidates(wanted);
        List<String> passedOver = new ArrayList<>();
        for (Transport candidate : candidates) {
            boolean last = candidate == candidates.get(candidates.size() - 1);
            if (!candidate.available()) {
                if (last) {
                    throw new IllegalStateException("transport " + wanted + " is not available here: " + reason(candidate));
                }
                passedOver.add(candidate.name() + " not available: " + reason(candidate));
                continue;
            }
            try {
                return new Started(build.apply(candidate), candidate, passedOver);
            } catch (RuntimeException e) {
                // A loop group that failed to build closes what it had opened; only an acceptor group failing
                // after the main one could leave rings behind, which the process outlives.
                String failure = candidate.name() + " could not start its event loops: " + message(e);
                if (last) {
                    throw new IllegalStateException("transport " + failure, e);
                }
                passedOver.add(failure);
            }
        }
        throw new AssertionError("the last candidate either starts or throws");
    }

    private static List<Transport> candidates(IoTransport wanted) {
        List<Transport> candidates = switch (wanted) {
            case AUTO -> Stream.of(Transport.IO_URING, Transport.EPOLL, Transport.NIO).filter(Objects::nonNull).toList();
            case IO_URING -> Stream.of(Transport.IO_URING).filter(Objects::nonNull).toList();
            case EPOLL -> Stream.of(Transport.EPOLL).filter(Objects::nonNull).toList();
            case NIO -> List.of(Transport.NIO);
        };
        if (candidates.isEmpty()) {
            throw new IllegalStateException("transport " + wanted + " is not available here: its classes are not in the jar");
        }
        return candidates;
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
