package dev.fulcrum.config;

/**
 * Where a server binds. Accepts the original design's ":8080", a bare "8080", and "host:8080" or
 * "[::1]:8080" to bind one address. An empty host means every interface.
 */
public record ListenAddress(String host, int port) {

    public static final String ALL_INTERFACES = "0.0.0.0";

    /** @throws IllegalArgumentException with a message that says what is accepted */
    public static ListenAddress parse(String text) {
        String host;
        String port;
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            host = "";
            port = text;
        } else {
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            } else if (host.contains(":")) {
                throw new IllegalArgumentException("is not an address (write IPv6 hosts in brackets, e.g. \"[::1]:8080\")");
            }
        }
        if (!port.matches("\\d{1,5}")) {
            throw new IllegalArgumentException("is not an address (use \":8080\", \"8080\" or \"127.0.0.1:8080\")");
        }
        int number = Integer.parseInt(port);
        if (number > 65535) {
            throw new IllegalArgumentException("has a port out of range (0-65535)");
        }
        return new ListenAddress(host.isEmpty() ? ALL_INTERFACES : host, number);
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
