package dev.fulcrum.proxy;

import io.netty.channel.Channel;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * At most {@code maxConnections} client connections open at once, across every proxy event loop. At the limit
 * the listeners stop accepting, as HAProxy does at {@code maxconn}: new connections wait in the kernel's accept
 * backlog until one closes, instead of taking the descriptors that backend connections and probes need, and no
 * request in flight is failed for them. Accepting resumes as soon as a connection closes. The accept loop may take
 * a few more in the instant before it pauses; those wait unread for a free slot (see ProxyVerticle).
 */
public final class ConnectionLimit {

    private final AtomicInteger open = new AtomicInteger();
    private final IntSupplier max;
    /** The listeners whose accepting is paused; usually one, two while a listenPort edit moves it. */
    private final Set<Channel> paused = ConcurrentHashMap.newKeySet();

    /** {@code max} is read at every connection, so that an edit of {@code maxConnections} applies at once. */
    public ConnectionLimit(IntSupplier max) {
        this.max = max;
    }

    /** Client connections open now. */
    public int open() {
        return open.get();
    }

    /**
     * Counts a connection the listener {@code listener} has just accepted (or, with null, one waiting for a slot);
     * returns false if it is over the limit, and then it is not counted.
     */
    boolean opened(Channel listener) {
        int now = open.incrementAndGet();
        int limit = max.getAsInt();
        if (now >= limit && listener != null) {
            paused.add(listener);
            listener.config().setAutoRead(false);
            // A connection that closed between the count and the pause would have found nothing to resume.
            if (open.get() < limit) {
                resume();
            }
        }
        if (now > limit) {
            open.decrementAndGet();
            return false;
        }
        return true;
    }

    void closed() {
        if (open.decrementAndGet() < max.getAsInt() && !paused.isEmpty()) {
            resume();
        }
    }

    private void resume() {
        for (Channel listener : paused) {
            paused.remove(listener);
            listener.config().setAutoRead(true);
        }
    }
}
