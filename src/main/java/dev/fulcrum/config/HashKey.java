package dev.fulcrum.config;

import java.util.Locale;

/** What a hashing policy hashes: the client's address, the path, or one header, cookie or query parameter. */
public record HashKey(Source source, String name) {

    public enum Source { CLIENT_IP, URI, HEADER, COOKIE, QUERY }

    public static final HashKey CLIENT_IP = new HashKey(Source.CLIENT_IP, null);
    public static final HashKey URI = new HashKey(Source.URI, null);

    /** {@code "client-ip"}, {@code "uri"}, {@code "header:NAME"}, {@code "cookie:NAME"}, {@code "query:NAME"}. */
    static HashKey parse(String text) {
        switch (text) {
            case "client-ip":
                return CLIENT_IP;
            case "uri":
                return URI;
            default:
                break;
        }
        int colon = text.indexOf(':');
        String kind = colon < 0 ? text : text.substring(0, colon);
        String name = colon < 0 ? "" : text.substring(colon + 1);
        Source source = switch (kind) {
            case "header" -> Source.HEADER;
            case "cookie" -> Source.COOKIE;
            case "query" -> Source.QUERY;
            default -> throw new IllegalArgumentException(
                    "is not one of client-ip, uri, header:NAME, cookie:NAME, query:NAME");
        };
        if (name.isEmpty()) {
            throw new IllegalArgumentException("needs a name after \"" + kind + ":\"");
        }
        return new HashKey(source, source == Source.HEADER ? name.toLowerCase(Locale.ROOT) : name);
    }

    @Override
    public String toString() {
        return switch (source) {
            case CLIENT_IP -> "client-ip";
            case URI -> "uri";
            default -> source.name().toLowerCase(Locale.ROOT) + ":" + name;
        };
    }
}
