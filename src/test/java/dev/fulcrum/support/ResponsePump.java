package dev.fulcrum.support;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A backend's response body of {@code total} bytes, written chunk after chunk as fast as the connection takes it
 * and no faster; it tells how much it has written and whether the connection holds it back. One response each.
 */
public final class ResponsePump {

    private final Buffer chunk;
    private final long total;
    private final AtomicLong written = new AtomicLong();
    /** When the write queue last filled up; 0 while it drains. */
    private final AtomicLong heldBackSince = new AtomicLong();

    public ResponsePump(Buffer chunk, long total) {
        this.chunk = chunk;
        this.total = total;
    }

    /** Writes the body to {@code response} (set its framing first) and ends it; call it on the response's context. */
    public void writeTo(HttpServerResponse response) {
        for (int i = 0; i < 10_000 && written.get() < total && !response.writeQueueFull(); i++) {
            int size = (int) Math.min(chunk.length(), total - written.get());
            response.write(size == chunk.length() ? chunk : chunk.getBuffer(0, size));
            written.addAndGet(size);
        }
        if (written.get() >= total) {
            response.end();
        } else if (response.writeQueueFull()) {
            heldBackSince.set(System.nanoTime());
            response.drainHandler(v -> {
                heldBackSince.set(0);
                writeTo(response);
            });
        } else {
            response.drainHandler(null);
            Vertx.currentContext().runOnContext(v -> writeTo(response));
        }
    }

    public long written() {
        return written.get();
    }

    /** Whether it is waiting for the connection to drain right now. */
    public boolean heldBack() {
        return heldBackSince.get() != 0;
    }

    /** Whether it has been waiting for the connection to drain for longer than {@code time}. */
    public boolean heldBackFor(Duration time) {
        long since = heldBackSince.get();
        return since != 0 && System.nanoTime() - since > time.toNanos();
    }
}
