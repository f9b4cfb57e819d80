package dev.fulcrum.support;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;

/** A client's upload that trickles: one piece every so often, then the end of the request. */
public final class PacedUpload {

    private PacedUpload() {
    }

    /** Writes {@code piece} {@code count} times, {@code everyMillis} apart, then ends {@code req}. */
    public static void write(Vertx vertx, HttpClientRequest req, Buffer piece, int count, long everyMillis) {
        req.write(piece);
        if (count == 1) {
            req.end();
        } else {
            vertx.setTimer(everyMillis, t -> write(vertx, req, piece, count - 1, everyMillis));
        }
    }
}
