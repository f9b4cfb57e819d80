package dev.fulcrum.config;

import java.util.Arrays;
import java.util.stream.Collectors;

/** What a pool speaks to its backends: HTTP/1.1, HTTP/2 over TLS (by ALPN), or cleartext HTTP/2 with prior knowledge. */
public enum BackendProtocol {
    HTTP1("http1"),
    H2("h2"),
    H2C("h2c");

    private final String configName;

    BackendProtocol(String configName) {
        this.configName = configName;
    }

    public boolean http2() {
        return this != HTTP1;
    }

    /** @throws IllegalArgumentException saying what is accepted */
    static BackendProtocol named(String name) {
        return Arrays.stream(values()).filter(protocol -> protocol.configName.equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("is not one of "
                        + Arrays.stream(values()).map(BackendProtocol::toString).collect(Collectors.joining(", "))));
    }

    @Override
    public String toString() {
        return configName;
    }
}
