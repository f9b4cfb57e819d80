package dev.fulcrum.health;

import java.util.Locale;
import java.util.Optional;

/**
 * Connections to a backend that failed on this side: the process is out of descriptors ({@code EMFILE}), the host
 * is ({@code ENFILE}), or no local port is left to connect from ({@code EADDRNOTAVAIL}). None of them says
 * anything about the backend, so none may count against it: under a connection flood they would otherwise eject
 * every healthy backend at once and turn the flood into a storm of 503s.
 */
public final class LocalResources {

    /**
     * The kernel's words for each, as the JDK and Netty's native transports report them ({@code failed with
     * error(-24): Too many open files}). Read from the message: Netty's own exception class needs its native
     * library loaded even to be constructed, which on Java NIO it never is.
     */
    private static final String[] EXHAUSTED = {"too many open files", "cannot assign requested address",
            "error(-24)", "error(-23)", "error(-99)"};

    private LocalResources() {
    }

    /** What ran out, if that is why {@code error} (or one of its causes) happened. */
    public static Optional<String> exhausted(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && says(cause.getMessage())) {
                return Optional.of(describe(error));
            }
        }
        return Optional.empty();
    }

    /** Whether {@code message} is the kernel saying that descriptors or local ports ran out. */
    public static boolean says(String message) {
        String lower = message.toLowerCase(Locale.ROOT);
        for (String words : EXHAUSTED) {
            if (lower.contains(words)) {
                return true;
            }
        }
        return false;
    }

    /** In the innermost cause's words: wrappers only repeat them after their own class names. */
    private static String describe(Throwable error) {
        Throwable innermost = error;
        while (innermost.getCause() != null) {
            innermost = innermost.getCause();
        }
        String message = String.valueOf(innermost.getMessage());
        String lower = message.toLowerCase(Locale.ROOT);
        return lower.contains("cannot assign requested address") || lower.contains("error(-99)")
                ? "no local port left to connect from (" + message + ")"
                : "out of file descriptors (" + message + ")";
    }
}
