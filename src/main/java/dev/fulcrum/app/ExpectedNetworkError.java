package dev.fulcrum.app;

import dev.fulcrum.health.LocalResources;

import java.io.IOException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the network does by itself under load, and no fault in Fulcrum's code: a peer that went away (a reset, a
 * broken pipe), or the process out of descriptors (EMFILE, ENFILE) or of local ports (EADDRNOTAVAIL). A stack
 * trace of one only shows where Netty noticed it, so the log gets its one-line message instead.
 *
 * @param peerWentAway a reset or a broken pipe, rather than a resource running out
 * @param message the first line of the error's own message
 */
record ExpectedNetworkError(boolean peerWentAway, String message) {

    /** How Netty's native transports word a failed call: {@code io_uring read(..) failed with error(-104): ...}. */
    private static final Pattern NATIVE_ERRNO = Pattern.compile("failed with error\\(-?(\\d{1,4})\\)");
    /** Linux numbers (io_uring and epoll exist nowhere else): ECONNRESET, EPIPE. */
    private static final Set<Integer> PEER_WENT_AWAY = Set.of(104, 32);

    /** The expected network error {@code thrown} is, or is caused by; null if it is none (a bug, say). */
    static ExpectedNetworkError in(Throwable thrown) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable error = thrown; error != null && seen.add(error); error = error.getCause()) {
            if (error instanceof IOException && error.getMessage() != null) {
                ExpectedNetworkError expected = inMessage(error.getMessage());
                if (expected != null) {
                    return expected;
                }
            }
        }
        return null;
    }

    /** For the libraries that log only the message of what they caught (Vert.x, when no handler took it). */
    static ExpectedNetworkError inMessage(String message) {
        String line = message.lines().findFirst().orElse("");
        String lower = line.toLowerCase(Locale.ROOT);
        Matcher errno = NATIVE_ERRNO.matcher(line);
        int number = errno.find() ? Integer.parseInt(errno.group(1)) : 0;
        if (lower.contains("connection reset") || lower.contains("broken pipe") || PEER_WENT_AWAY.contains(number)) {
            return new ExpectedNetworkError(true, line);
        }
        if (LocalResources.says(line)) {
            return new ExpectedNetworkError(false, line);
        }
        return null;
    }
}
