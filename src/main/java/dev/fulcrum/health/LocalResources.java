package dev.fulcrum.health;

import io.netty.channel.unix.Errors;

import java.util.Optional;

/**
 * Connections to a backend that failed on this side: the process is out of descriptors ({@code EMFILE}), the host
 * is ({@code ENFILE}), or no local port is left to connect from ({@code EADDRNOTAVAIL}). None of them says
 * anything about the backend, so none may count against it: under a connection flood they would otherwise eject
 * every healthy backend at once and turn the flood into a storm of 503s.
 */
public final class LocalResources {

    /** The kernel's words for each, as Netty's native transports and the JDK both report them. */
    private static final String[] EXHAUSTED = {"Too many open files", "Cannot assign requested address"};
    private static final int EMFILE = 24;
    private static final int ENFILE = 23;
    private static final int EADDRNOTAVAIL = 99;

    private LocalResources() {
    }

    /** What ran out, if that is why {@code error} (or one of its causes) happened. */
    public static Optional<String> exhausted(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof Errors.NativeIoException nativeError) {
                int errno = -nativeError.expectedErr();
                if (errno == EMFILE || errno == ENFILE || errno == EADDRNOTAVAIL) {
                    return Optional.of(describe(cause));
                }
            }
            String message = cause.getMessage();
            if (message != null) {
                for (String words : EXHAUSTED) {
                    if (message.contains(words)) {
                        return Optional.of(describe(cause));
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static String describe(Throwable cause) {
        String message = String.valueOf(cause.getMessage());
        return message.contains("Cannot assign requested address")
                ? "no local port left to connect from (" + message + ")"
                : "out of file descriptors (" + message + ")";
    }
}
