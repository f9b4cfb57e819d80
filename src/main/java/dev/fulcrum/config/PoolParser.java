package dev.fulcrum.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The fields a pool may set (the balancing policy and its settings, health checks, timeouts, TLS to the backends,
 * Host, the servers): at the top level of the file, where they make the pool {@code "default"} and every pool's
 * defaults, and in each entry of {@code pools}, where a field left out takes the top level's value.
 */
final class PoolParser {

    /** The selection policies by their config name; see {@code dev.fulcrum.balancer.Algorithms}. */
    public static final List<String> ALGORITHMS = List.of("least-busy", "round-robin", "least-time", "maglev",
            "ip-hash", "uri-hash");
    /** The policies that hash a key of the request onto a Maglev table; ip-hash and uri-hash are maglev with a fixed key. */
    public static final List<String> HASHING = List.of("maglev", "ip-hash", "uri-hash");
    /** Envoy's bound: a table of 5,000,011 entries takes 20 MB and tenths of a second to fill. */
    static final int MAX_TABLE_SIZE = 5_000_011;
    static final int MAX_SERVERS = 10_000;
    /** The pool settings of a file that sets none. */
    static final PoolSettings BUILT_IN = new PoolSettings(PoolSettings.DEFAULT, "least-busy", HashSettings.DEFAULT, null,
            Duration.ZERO, Duration.ofSeconds(5), null, 3, Duration.ofSeconds(2), Duration.ofSeconds(60),
            BackendTls.DEFAULT, BackendProtocol.HTTP1, true, List.of());

    private PoolParser() {
    }

    /**
     * The pool {@code name} from {@code fields}, each field left out taken from {@code defaults}; with
     * {@code serversRequired} false, a pool without servers has none (the top level, when {@code pools} is given).
     */
    static PoolSettings parse(JsonFields fields, String name, PoolSettings defaults, boolean serversRequired) {
        String algorithm = algorithm(fields, defaults.algorithm());
        Duration interval = fields.positiveDuration("healthCheckInterval", defaults.healthCheckInterval());
        PoolSettings pool = new PoolSettings(
                name,
                algorithm,
                hash(fields, algorithm, defaults),
                stickyCookie(fields, defaults.stickyCookie()),
                fields.duration("slowStart", defaults.slowStart()),
                interval,
                healthCheck(fields.object("healthCheck"), interval, defaults.healthCheck()),
                fields.integer("consecutiveFailures", defaults.consecutiveFailures(), 1, 1000),
                fields.positiveDuration("connectTimeout", defaults.connectTimeout()),
                fields.positiveDuration("requestTimeout", defaults.requestTimeout()),
                fields.has("backendTls") ? backendTls(fields.object("backendTls")) : defaults.backendTls(),
                fields.has("backendProtocol") ? fields.parsed("backendProtocol", fields.string("backendProtocol", null),
                        BackendProtocol::named) : defaults.backendProtocol(),
                fields.bool("preserveHost", defaults.preserveHost()),
                serversRequired || fields.has("servers") ? servers(fields) : List.of());
        checkProtocol(fields, pool);
        if (pool.hash().tableSize() < pool.servers().size()) {
            throw new ConfigException(fields.path("maglevTableSize") + ": " + pool.hash().tableSize() + " is smaller than the "
                    + pool.servers().size() + " servers; give a prime of at least 100 times their number");
        }
        return pool;
    }

    /** h2 is HTTP/2 over TLS, chosen by ALPN, and h2c is HTTP/2 in the clear: each needs servers of its scheme. */
    private static void checkProtocol(JsonFields fields, PoolSettings pool) {
        if (!pool.backendProtocol().http2()) {
            return;
        }
        boolean tls = pool.backendProtocol() == BackendProtocol.H2;
        for (int i = 0; i < pool.servers().size(); i++) {
            ServerSpec server = pool.servers().get(i);
            if (server.tls() != tls) {
                throw new ConfigException(fields.path("servers") + "[" + i + "]: " + Values.quote(server.url()) + " is "
                        + (server.tls() ? "https" : "http") + ", but " + fields.path("backendProtocol") + " \""
                        + pool.backendProtocol() + "\" is HTTP/2 " + (tls ? "over TLS (https servers); use \"h2c\" for"
                        + " cleartext HTTP/2" : "in the clear (http servers); use \"h2\" for HTTP/2 over TLS"));
            }
        }
    }

    private static String algorithm(JsonFields fields, String inherited) {
        String name = fields.string("algorithm", inherited);
        if (!ALGORITHMS.contains(name)) {
            throw new ConfigException(fields.path("algorithm") + ": " + Values.quote(name) + " is not one of "
                    + String.join(", ", ALGORITHMS));
        }
        return name;
    }

    /**
     * A pool that names no hashing field of its own takes the defaults' when both it and they hash, and the built-in
     * ones otherwise: a top-level hashKey does not make a round-robin pool wrong.
     */
    private static HashSettings hash(JsonFields fields, String algorithm, PoolSettings defaults) {
        if (!HASHING.contains(algorithm)) {
            for (String field : List.of("hashKey", "maglevTableSize", "hashBalanceFactor")) {
                if (fields.has(field)) {
                    throw new ConfigException(fields.path(field) + ": only the hashing algorithms (" + String.join(", ", HASHING)
                            + ") use it, not " + Values.quote(algorithm));
                }
            }
            return HashSettings.DEFAULT;
        }
        HashSettings inherited = HASHING.contains(defaults.algorithm()) ? defaults.hash() : HashSettings.DEFAULT;
        HashKey key = switch (algorithm) {
            case "ip-hash" -> fixedKey(fields, algorithm, HashKey.CLIENT_IP);
            case "uri-hash" -> fixedKey(fields, algorithm, HashKey.URI);
            default -> fields.has("hashKey") ? fields.parsed("hashKey", fields.string("hashKey", null), HashKey::parse)
                    : defaults.algorithm().equals("maglev") ? inherited.key() : HashKey.CLIENT_IP;
        };
        int tableSize = fields.integer("maglevTableSize", inherited.tableSize(), 3, MAX_TABLE_SIZE);
        if (!BigInteger.valueOf(tableSize).isProbablePrime(64)) {
            throw new ConfigException(fields.path("maglevTableSize") + ": " + tableSize + " is not a prime (Maglev needs"
                    + " one, so that every backend's permutation visits every entry); "
                    + BigInteger.valueOf(tableSize).nextProbablePrime() + " is the next");
        }
        int balanceFactor = fields.has("hashBalanceFactor") ? fields.integer("hashBalanceFactor", 0, 100, 10_000)
                : inherited.balanceFactor();
        return new HashSettings(key, tableSize, balanceFactor);
    }

    private static HashKey fixedKey(JsonFields fields, String algorithm, HashKey key) {
        if (fields.has("hashKey")) {
            throw new ConfigException(fields.path("hashKey") + ": " + algorithm + " always hashes " + key
                    + "; use \"maglev\" to choose the key");
        }
        return key;
    }

    private static StickyCookie stickyCookie(JsonFields fields, StickyCookie inherited) {
        if (!fields.has("stickyCookie")) {
            return inherited;
        }
        JsonFields cookie = fields.object("stickyCookie");
        String name = cookie.string("name", null);
        Duration maxAge = cookie.has("maxAge") ? cookie.positiveDuration("maxAge", null) : null;
        boolean secure = cookie.bool("secure", false);
        boolean httpOnly = cookie.bool("httpOnly", true);
        String sameSite = cookie.string("sameSite", "Lax");
        cookie.rejectUnknown();
        if (name == null) {
            throw new ConfigException(cookie.path("name") + ": missing; the cookie needs a name, e.g. \"fulcrum\"");
        }
        if (name.isEmpty() || name.length() > ConfigParser.MAX_HEADER_NAME || !name.chars().allMatch(ConfigParser::isTokenChar)) {
            throw new ConfigException(cookie.path("name") + ": " + Values.quote(name) + " is not a cookie name (letters,"
                    + " digits and !#$%&'*+-.^_`|~)");
        }
        String site = switch (sameSite.toLowerCase(Locale.ROOT)) {
            case "lax" -> "Lax";
            case "strict" -> "Strict";
            case "none" -> "None";
            default -> throw new ConfigException(cookie.path("sameSite") + ": " + Values.quote(sameSite)
                    + " is not one of Lax, Strict, None");
        };
        if (site.equals("None") && !secure) {
            throw new ConfigException(cookie.path("sameSite") + ": \"None\" needs " + cookie.path("secure")
                    + " true (browsers refuse a SameSite=None cookie that is not Secure)");
        }
        return new StickyCookie(name, maxAge, secure, httpOnly, site);
    }

    /** Reads {@code caFile} now, so a missing or wrong file is refused like any other bad value. */
    private static BackendTls backendTls(JsonFields tls) {
        boolean verify = tls.bool("verify", true);
        String caFile = tls.string("caFile", null);
        tls.rejectUnknown();
        if (caFile == null) {
            return verify ? BackendTls.DEFAULT : new BackendTls(false, null, null);
        }
        if (!verify) {
            throw new ConfigException(tls.path("caFile") + ": is not used when " + tls.path("verify")
                    + " is false (every certificate is accepted); remove one of them");
        }
        return new BackendTls(true, caFile, certificates(tls.path("caFile"), caFile));
    }

    private static CaCertificates certificates(String field, String file) {
        Path path = Values.path(field, file);
        if (!path.isAbsolute()) {
            // Relative to what? The scripts and the jar run from different directories: no guessing.
            throw new ConfigException(field + ": " + Values.quote(file) + " must be an absolute path");
        }
        String text;
        try {
            // PEM is ASCII; Latin-1 never fails to decode, so a wrong file is judged by its content.
            text = Files.readString(path, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new ConfigException(field + ": " + Values.quote(file) + " cannot be read: " + ConfigParser.describeIo(e));
        }
        try {
            return CaCertificates.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(field + ": " + Values.quote(file) + " is not a PEM file of CA certificates ("
                    + e.getMessage() + ")");
        }
    }

    /** Field by field over {@code inherited}; the timeout defaults to 2 s, or the interval if that is shorter. */
    private static HealthCheckSettings healthCheck(JsonFields check, Duration interval, HealthCheckSettings inherited) {
        String path = check.string("path", inherited == null ? "/" : inherited.path());
        if (!path.startsWith("/")) {
            throw new ConfigException(check.path("path") + ": " + Values.quote(path) + " must start with \"/\"");
        }
        Duration defaultTimeout = interval.compareTo(Duration.ofSeconds(2)) < 0 ? interval : Duration.ofSeconds(2);
        HealthCheckSettings settings = new HealthCheckSettings(
                path,
                check.positiveDuration("timeout", inherited == null ? defaultTimeout : inherited.timeout()),
                check.integer("healthyThreshold", inherited == null ? 2 : inherited.healthyThreshold(), 1, 100),
                check.integer("unhealthyThreshold", inherited == null ? 2 : inherited.unhealthyThreshold(), 1, 100),
                check.has("expectedStatus") || inherited == null
                        ? check.parsed("expectedStatus", check.string("expectedStatus", "200-499"), StatusRanges::parse)
                        : inherited.expectedStatus());
        check.rejectUnknown();
        return settings;
    }

    private static List<ServerSpec> servers(JsonFields fields) {
        JsonArray entries = fields.array("servers");
        String name = fields.path("servers");
        if (entries == null || entries.isEmpty()) {
            throw new ConfigException(name + ": at least one backend URL is required, e.g. \"servers\": [\"http://127.0.0.1:8081\"]");
        }
        if (entries.size() > MAX_SERVERS) {
            throw new ConfigException(name + ": " + entries.size() + " servers; a pool may have at most " + MAX_SERVERS);
        }
        List<ServerSpec> servers = new ArrayList<>(entries.size());
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            String field = name + "[" + i + "]";
            ServerSpec server = server(entries.getValue(i), field);
            Integer first = seen.putIfAbsent(server.url(), i);
            if (first != null) {
                throw new ConfigException(field + ": " + Values.quote(server.url()) + " is listed twice (also " + name
                        + "[" + first + "])");
            }
            servers.add(server);
        }
        return servers;
    }

    private static ServerSpec server(Object entry, String field) {
        if (entry instanceof String url) {
            return serverUrl(url, 1, field);
        }
        if (entry instanceof JsonObject object) {
            JsonFields server = new JsonFields(object, field);
            String url = server.string("url", null);
            if (url == null) {
                throw new ConfigException(server.path("url") + ": is required when a server is written as an object");
            }
            int weight = server.integer("weight", 1, 1, 1_000_000);
            server.rejectUnknown();
            return serverUrl(url, weight, server.path("url"));
        }
        throw new ConfigException(field + ": " + Values.quote(entry) + " must be a URL string or an object {\"url\": ..., \"weight\": ...}");
    }

    private static ServerSpec serverUrl(String url, int weight, String field) {
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw badUrl(url, field, e.getReason());
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
            throw badUrl(url, field, "the scheme must be http or https");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw badUrl(url, field, "it has no host");
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw badUrl(url, field, "credentials, a query or a fragment are not allowed");
        }
        boolean tls = scheme.equalsIgnoreCase("https");
        int port = uri.getPort() == -1 ? (tls ? 443 : 80) : uri.getPort();
        if (port < 1 || port > 65535) {
            throw badUrl(url, field, "the port is out of range (1-65535)");
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String prefix = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
        // One server, one identity: "http://h", "http://H:80" and "http://h:080" are the same backend.
        String identity = scheme.toLowerCase() + "://" + uri.getHost().toLowerCase() + ":" + port + prefix;
        return new ServerSpec(identity, tls, host, port, prefix, weight);
    }

    private static ConfigException badUrl(String url, String field, String reason) {
        return new ConfigException(field + ": " + Values.quote(url) + " is not a valid server URL: " + reason);
    }
}
