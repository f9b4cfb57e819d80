package dev.fulcrum.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Refuses requests whose framing a backend could read differently from us (RFC 9112 §6.1, §6.3): the classic
 * request-smuggling shapes. Netty already rejects a malformed request line, invalid header names or values
 * and bad or repeated Content-Length values; {@link StrictFraming} rejects Content-Length with chunked on
 * HTTP/1.1. This covers the rest: Transfer-Encoding on HTTP/1.0 (where Netty keeps both headers), any coding
 * but a single "chunked", control characters in the target, and an empty header name. A refused request gets
 * 400 and its connection is closed: whatever follows on it can no longer be trusted.
 */
final class RequestFraming {

    private static final Set<HttpMethod> BODILESS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.TRACE);

    /** How long a refused client may take to finish sending what it had started before it is cut off. */
    private static final long CLOSE_GRACE_SECONDS = 5;

    private RequestFraming() {
    }

    /** Returns true if the request may be forwarded; otherwise it has been answered 400 and closed. */
    static boolean admit(HttpServerRequest request) {
        MultiMap headers = request.headers();
        List<String> codings = headers.getAll(HttpHeaders.TRANSFER_ENCODING);
        if (!codings.isEmpty()) {
            if (request.version() != HttpVersion.HTTP_1_1 || codings.size() != 1
                    || !codings.get(0).equalsIgnoreCase("chunked") || headers.contains(HttpHeaders.CONTENT_LENGTH)) {
                return reject(request);
            }
            // Legal in any case, but vertx-http-proxy only recognises the lower-case spelling.
            headers.set(HttpHeaders.TRANSFER_ENCODING, HttpHeaders.CHUNKED);
        }
        if (hasControlCharacter(request.uri()) || headers.contains("")) {
            return reject(request);
        }
        // RFC 9112 §3.2: an HTTP/1.1 request needs exactly one Host, even with an absolute target (which then wins
        // over it); on any version, a second Host or an invalid one is refused.
        List<String> hosts = headers.getAll(HttpHeaders.HOST);
        boolean http11 = request.version() == HttpVersion.HTTP_1_1;
        boolean hostAdmitted = hosts.isEmpty() ? !http11
                : hosts.size() == 1 && ClientAuthority.validHost(request, hosts.get(0));
        if (!hostAdmitted || (http11 && ClientAuthority.of(request) == null)) {
            return reject(request);
        }
        if (request.version() == HttpVersion.HTTP_2) {
            admitHttp2(request, headers);
        }
        return true;
    }

    /**
     * An HTTP/2 body needs no Content-Length, which an HTTP/1.1 backend does: one of unknown length is sent chunked
     * (vertx-http-proxy 5.0 would send none of it and answer 200, upstream #147). Vert.x calls the handler before it
     * knows whether the body is empty, so methods that never carry one are left as they are.
     */
    private static void admitHttp2(HttpServerRequest request, MultiMap headers) {
        if (!headers.contains(HttpHeaders.CONTENT_LENGTH) && !BODILESS.contains(request.method())) {
            headers.set(HttpHeaders.TRANSFER_ENCODING, HttpHeaders.CHUNKED);
        }
    }

    static boolean reject(HttpServerRequest request) {
        return refuse(request, 400);
    }

    /**
     * Answers {@code status} with an empty body and closes the connection once it is written. On HTTP/2 only the
     * stream ends: the others on its connection are framed apart, and a Connection header would make the response
     * malformed there (RFC 9113 §8.2.2).
     */
    static boolean refuse(HttpServerRequest request, int status) {
        HttpServerResponse response = request.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_LENGTH, "0");
        if (request.version() != HttpVersion.HTTP_2) {
            closeAfterAnswer(request);
            response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
        }
        response.end();
        return false;
    }

    /**
     * No further request is read from this connection: whatever the client sent after this one (the rest of a
     * body we refused, a smuggled request) is dropped, the answer is written, then the connection closes.
     * Closing only once the answer is written would be too late: Vert.x would have answered a pipelined
     * request in between.
     */
    static void closeAfterAnswer(HttpServerRequest request) {
        request.connection().shutdown(CLOSE_GRACE_SECONDS, TimeUnit.SECONDS);
    }

    private static boolean hasControlCharacter(String target) {
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= 0x20 || c == 0x7f) {
                return true;
            }
        }
        return false;
    }
}
