package dev.fulcrum.config;

/**
 * One backend as configured. {@code url} is the entry as written and is the backend's identity across
 * reloads; {@code pathPrefix} is prepended to every forwarded path, as Go's single-host reverse proxy does.
 */
public record ServerSpec(String url, boolean tls, String host, int port, String pathPrefix, int weight) {

    @Override
    public String toString() {
        return url;
    }
}
