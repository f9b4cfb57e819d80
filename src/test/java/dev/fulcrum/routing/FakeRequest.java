package dev.fulcrum.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A request as the table sees it, which notes every fact it was asked for. */
final class FakeRequest implements RequestFacts {

    final String host;
    final String method;
    final String path;
    final Map<String, String> headers = new HashMap<>();
    final Map<String, String> query = new HashMap<>();
    final List<String> asked = new ArrayList<>();

    FakeRequest(String host, String method, String path) {
        this.host = host;
        this.method = method;
        this.path = path;
    }

    /** {@code "X-Canary=1;X-Debug="}: names in any case; a value may be empty. */
    FakeRequest headers(String pairs) {
        parse(pairs).forEach((name, value) -> headers.put(name.toLowerCase(Locale.ROOT), value));
        return this;
    }

    /** {@code "version=2;q=1"}, already decoded. */
    FakeRequest query(String pairs) {
        query.putAll(parse(pairs));
        return this;
    }

    @Override
    public String host() {
        asked.add("host");
        return host;
    }

    @Override
    public String path() {
        asked.add("path");
        return path;
    }

    @Override
    public String method() {
        asked.add("method");
        return method;
    }

    @Override
    public String header(String lowerCaseName) {
        if (!lowerCaseName.equals(lowerCaseName.toLowerCase(Locale.ROOT))) {
            throw new AssertionError("header name not in lower case: " + lowerCaseName);
        }
        asked.add("header " + lowerCaseName);
        return headers.get(lowerCaseName);
    }

    @Override
    public String queryParam(String name) {
        asked.add("query " + name);
        return query.get(name);
    }

    @Override
    public String toString() {
        return method + " " + host + path + " " + headers + " " + query;
    }

    private static Map<String, String> parse(String pairs) {
        Map<String, String> parsed = new HashMap<>();
        if (pairs != null && !pairs.isEmpty()) {
            for (String pair : pairs.split(";")) {
                int equals = pair.indexOf('=');
                parsed.put(pair.substring(0, equals), pair.substring(equals + 1));
            }
        }
        return parsed;
    }
}
