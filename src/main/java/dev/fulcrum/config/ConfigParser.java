package dev.fulcrum.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Turns the text of a config file into a validated {@link FulcrumConfig}, or a one-line {@link ConfigException}. */
public final class ConfigParser {

    /** A key given twice would otherwise silently win over the first one. */
    private static final JsonFactory STRICT_JSON = JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private ConfigParser() {
    }

    /** Reads and parses a file; for startup, off any event loop. */
    public static FulcrumConfig load(Path file) {
        return parse(read(file));
    }

    /** Far beyond any real pool, and small enough that reading and parsing it never threatens the heap. */
    static final int MAX_FILE_BYTES = 4 * 1024 * 1024;

    /** The text of a config file, off any event loop. */
    public static String read(Path file) {
        try {
            // Measured first: a file the size of the disk is refused without being read.
            refuseOversized(Files.size(file));
            return text(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new ConfigException("cannot read the file: " + describeIo(e));
        }
    }

    /** The text of a config file read as bytes, judged as {@link #read} judges a file. */
    public static String text(byte[] bytes) {
        refuseOversized(bytes.length);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException("cannot read the file: " + describeIo(e));
        }
        // Windows editors (Notepad before 2019, PowerShell 5's Out-File) begin UTF-8 with a byte-order mark.
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    private static void refuseOversized(long bytes) {
        if (bytes > MAX_FILE_BYTES) {
            // Rounded up, so that a file just over the limit never reads as "4.0 MiB".
            String mebibytes = String.format(Locale.ROOT, "%.1f", Math.ceil(bytes * 10.0 / (1024 * 1024)) / 10);
            throw new ConfigException("the file is " + mebibytes + " MiB; a config may be at most "
                    + MAX_FILE_BYTES / (1024 * 1024) + " MiB");
        }
    }

    public static FulcrumConfig parse(String text) {
        return parse(text, HostLimits.current());
    }

    /** With the defaults that follow from {@code host}'s descriptor and direct-memory limits. */
    public static FulcrumConfig parse(String text, HostLimits host) {
        JsonFields root = new JsonFields(decode(text), "");
        Duration interval = root.positiveDuration("healthCheckInterval", Duration.ofSeconds(5));
        FulcrumConfig config = new FulcrumConfig(
                listenAddress(root, "listenPort", ":8080"),
                listenAddress(root, "adminPort", ":9901"),
                root.positiveDuration("configScanPeriod", Duration.ofSeconds(1)),
                algorithm(root),
                interval,
                healthCheck(root.object("healthCheck"), interval),
                root.integer("consecutiveFailures", 3, 1, 1000),
                root.positiveDuration("connectTimeout", Duration.ofSeconds(2)),
                root.positiveDuration("requestTimeout", Duration.ofSeconds(60)),
                backendTls(root.object("backendTls")),
                forwardedHeaders(root),
                root.bool("preserveHost", true),
                root.duration("shutdownDelay", Duration.ZERO),
                root.positiveDuration("shutdownTimeout", Duration.ofSeconds(30)),
                limits(root, host),
                IoTransport.named(root.string("transport", IoTransport.AUTO.toString())),
                root.duration("warmUp", Duration.ofSeconds(30)),
                accessLog(root),
                requestIdHeader(root),
                servers(root));
        root.rejectUnknown();
        if (config.admin().port() != 0 && config.admin().port() == config.listen().port()) {
            throw new ConfigException("adminPort: " + config.admin() + " must differ from listenPort " + config.listen()
                    + " (the admin endpoints never share the proxy's port, so backend paths are never shadowed)");
        }
        return config;
    }

    /** The selection policies by their config name; see {@code dev.fulcrum.balancer.Algorithms}. */
    public static final List<String> ALGORITHMS = List.of("least-busy", "round-robin");

    private static String algorithm(JsonFields root) {
        String name = root.string("algorithm", "least-busy");
        if (!ALGORITHMS.contains(name)) {
            throw new ConfigException("algorithm: " + Values.quote(name) + " is not one of " + String.join(", ", ALGORITHMS));
        }
        return name;
    }

    private static FulcrumConfig.ForwardedHeaders forwardedHeaders(JsonFields root) {
        String mode = root.string("forwardedHeaders", "x-forwarded");
        return switch (mode) {
            case "x-forwarded" -> FulcrumConfig.ForwardedHeaders.X_FORWARDED;
            case "forwarded" -> FulcrumConfig.ForwardedHeaders.FORWARDED;
            case "both" -> FulcrumConfig.ForwardedHeaders.BOTH;
            case "none" -> FulcrumConfig.ForwardedHeaders.NONE;
            default -> throw new ConfigException("forwardedHeaders: " + Values.quote(mode)
                    + " is not one of x-forwarded, forwarded, both, none");
        };
    }

    /** Off unless given; the file must be writable now, so that a typo is refused rather than found at the first request. */
    private static AccessLogSettings accessLog(JsonFields root) {
        if (!root.has("accessLog")) {
            return null;
        }
        JsonFields log = root.object("accessLog");
        String path = log.string("path", null);
        String format = log.string("format", "json");
        log.rejectUnknown();
        if (path == null) {
            throw new ConfigException(log.path("path") + ": missing; give \"stdout\" or an absolute file path");
        }
        AccessLogSettings.Format parsed = switch (format) {
            case "json" -> AccessLogSettings.Format.JSON;
            case "combined" -> AccessLogSettings.Format.COMBINED;
            default -> throw new ConfigException(log.path("format") + ": " + Values.quote(format) + " is not one of json, combined");
        };
        if (!path.equals(AccessLogSettings.STDOUT)) {
            writableFile(log.path("path"), path);
        }
        return new AccessLogSettings(path, parsed);
    }

    private static void writableFile(String field, String file) {
        Path path;
        try {
            path = Path.of(file);
        } catch (InvalidPathException e) {
            throw new ConfigException(field + ": " + Values.quote(file) + " is not a valid path: " + e.getReason());
        }
        if (!path.isAbsolute()) {
            throw new ConfigException(field + ": " + Values.quote(file) + " must be \"stdout\" or an absolute path");
        }
        Path dir = path.getParent();
        if (Files.isDirectory(path)) {
            throw new ConfigException(field + ": " + Values.quote(file) + " is a directory");
        }
        if (dir == null || !Files.isDirectory(dir)) {
            throw new ConfigException(field + ": " + Values.quote(file) + ": its directory does not exist");
        }
        if (Files.exists(path) ? !Files.isWritable(path) : !Files.isWritable(dir)) {
            throw new ConfigException(field + ": " + Values.quote(file) + " cannot be written (permission denied)");
        }
    }

    /** The longest header name taken; real ones are a few dozen characters. */
    private static final int MAX_HEADER_NAME = 64;

    private static String requestIdHeader(JsonFields root) {
        String name = root.string("requestIdHeader", "X-Request-Id");
        if (!name.isEmpty() && (name.length() > MAX_HEADER_NAME || !name.chars().allMatch(ConfigParser::isTokenChar))) {
            throw new ConfigException("requestIdHeader: " + Values.quote(name) + " is not a header name (letters, digits"
                    + " and !#$%&'*+-.^_`|~, at most " + MAX_HEADER_NAME + "); \"\" turns request IDs off");
        }
        return name;
    }

    /** RFC 9110 §5.6.2 tchar. */
    private static boolean isTokenChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
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
        Path path;
        try {
            path = Path.of(file);
        } catch (InvalidPathException e) {
            throw new ConfigException(field + ": " + Values.quote(file) + " is not a valid path: " + e.getReason());
        }
        if (!path.isAbsolute()) {
            // Relative to what? The scripts and the jar run from different directories: no guessing.
            throw new ConfigException(field + ": " + Values.quote(file) + " must be an absolute path");
        }
        String text;
        try {
            // PEM is ASCII; Latin-1 never fails to decode, so a wrong file is judged by its content.
            text = Files.readString(path, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new ConfigException(field + ": " + Values.quote(file) + " cannot be read: " + describeIo(e));
        }
        try {
            return CaCertificates.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(field + ": " + Values.quote(file) + " is not a PEM file of CA certificates ("
                    + e.getMessage() + ")");
        }
    }

    private static ClientLimits limits(JsonFields root, HostLimits host) {
        return new ClientLimits(
                (int) size(root, "maxHeaderSize", "16KiB", 1024, 1024 * 1024),
                (int) size(root, "maxUriLength", "8KiB", 256, 1024 * 1024),
                root.has("maxRequestBody") ? size(root, "maxRequestBody", null, 1, Long.MAX_VALUE / 2) : Long.MAX_VALUE,
                root.positiveDuration("clientIdleTimeout", Duration.ofSeconds(60)),
                root.positiveDuration("requestHeaderTimeout", Duration.ofSeconds(10)),
                root.integer("maxConnections", host.defaultMaxConnections(), 1, 10_000_000),
                root.has("maxBufferedBytes") ? size(root, "maxBufferedBytes", null, 64 * 1024, Long.MAX_VALUE / 2)
                        : host.defaultMaxBufferedBytes());
    }

    private static long size(JsonFields root, String field, String fallback, long min, long max) {
        Object value = root.raw(field);
        if (value instanceof Number) {
            return root.wholeNumber(field, value, min, max, " bytes");
        }
        String text = root.string(field, fallback);
        long bytes = root.parsed(field, text, ByteSize::parse);
        if (bytes < min || bytes > max) {
            throw new ConfigException(field + ": " + Values.quote(text) + " is out of range (" + min + " to " + max + " bytes)");
        }
        return bytes;
    }

    private static ListenAddress listenAddress(JsonFields root, String field, String fallback) {
        Object value = root.raw(field);
        String text = value instanceof Number number && number.doubleValue() == number.intValue()
                ? Integer.toString(number.intValue())
                : root.string(field, fallback);
        return root.parsed(field, text, ListenAddress::parse);
    }

    private static HealthCheckSettings healthCheck(JsonFields check, Duration interval) {
        String path = check.string("path", "/");
        if (!path.startsWith("/")) {
            throw new ConfigException(check.path("path") + ": " + Values.quote(path) + " must start with \"/\"");
        }
        Duration defaultTimeout = interval.compareTo(Duration.ofSeconds(2)) < 0 ? interval : Duration.ofSeconds(2);
        HealthCheckSettings settings = new HealthCheckSettings(
                path,
                check.positiveDuration("timeout", defaultTimeout),
                check.integer("healthyThreshold", 2, 1, 100),
                check.integer("unhealthyThreshold", 2, 1, 100),
                check.parsed("expectedStatus", check.string("expectedStatus", "200-499"), StatusRanges::parse));
        check.rejectUnknown();
        return settings;
    }

    /** Each server has its own pool, probes and counters; a list longer than this is a generated mistake. */
    static final int MAX_SERVERS = 10_000;

    private static List<ServerSpec> servers(JsonFields root) {
        JsonArray entries = root.array("servers");
        if (entries == null || entries.isEmpty()) {
            throw new ConfigException("servers: at least one backend URL is required, e.g. \"servers\": [\"http://127.0.0.1:8081\"]");
        }
        if (entries.size() > MAX_SERVERS) {
            throw new ConfigException("servers: " + entries.size() + " servers; a pool may have at most " + MAX_SERVERS);
        }
        List<ServerSpec> servers = new ArrayList<>(entries.size());
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            String field = "servers[" + i + "]";
            ServerSpec server = server(entries.getValue(i), field);
            Integer first = seen.putIfAbsent(server.url(), i);
            if (first != null) {
                throw new ConfigException(field + ": " + Values.quote(server.url()) + " is listed twice (also servers[" + first + "])");
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

    private static JsonObject decode(String text) {
        if (text.isBlank()) {
            throw new ConfigException("the config file is empty; it needs at least {\"servers\": [\"http://host:port\"]}");
        }
        Object root;
        try (JsonParser parser = STRICT_JSON.createParser(text)) {
            try {
                root = JacksonCodec.fromParser(parser, Object.class);
            } catch (DecodeException e) {
                if (e.getCause() != null) {
                    throw invalidJson(e.getCause());
                }
                // Vert.x reports text after the closing brace without a location; the parser stands on it.
                JsonLocation at = parser.currentTokenLocation();
                throw new ConfigException("invalid JSON at line " + at.getLineNr() + ", column " + at.getColumnNr()
                        + ": there is more after the end of the config object");
            }
        } catch (IOException e) {
            throw invalidJson(e);
        }
        if (!(root instanceof JsonObject object)) {
            throw new ConfigException("the config must be a JSON object {...}, not " + Values.quote(root));
        }
        return object;
    }

    private static ConfigException invalidJson(Throwable error) {
        if (error instanceof JsonProcessingException json && json.getLocation() != null) {
            JsonLocation at = json.getLocation();
            String problem = json.getOriginalMessage().lines().findFirst().orElse("")
                    .replaceAll(" \\(start marker at \\[Source: [^]]*; (line: \\d+, column: \\d+)]\\)", " (opened at $1)");
            return new ConfigException("invalid JSON at line " + at.getLineNr() + ", column " + at.getColumnNr() + ": " + problem);
        }
        return new ConfigException("invalid JSON: " + describe(error));
    }

    private static String describeIo(IOException error) {
        if (error instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (error instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (error instanceof java.nio.charset.CharacterCodingException) {
            return "it is not UTF-8 text";
        }
        return describe(error);
    }

    private static String describe(Throwable error) {
        String message = error.getMessage();
        return message == null ? error.getClass().getSimpleName() : message.lines().findFirst().orElse("");
    }
}
