package dev.fulcrum.config;

import io.netty.util.NetUtil;

/**
 * One backend as configured. {@code url} is the entry as written and is the backend's identity across
 * reloads; {@code pathPrefix} is prepended to every forwarded path, as Go's single-host reverse proxy does.
 */
public record ServerSpec(String url, boolean tls, String host, int port, String pathPrefix, int weight) {

    /** The host as a Host header names it: an IPv6 address in brackets (RFC 3986 §3.2.2). */
    public String hostHeader() {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    /** A host name, rather than an IP address. */
    public boolean namedHost() {
        return !NetUtil.isValidIpV4Address(host) && !NetUtil.isValidIpV6Address(host);
    }

    @Override
    public String toString() {
        return url;
    }
}
