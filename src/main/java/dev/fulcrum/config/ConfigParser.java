package dev.fulcrum.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.fulcrum.routing.Route;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

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
        ListenAddress listen = listenAddress(root, "listenPort", ":8080");
        ListenAddress admin = listenAddress(root, "adminPort", ":9901");
        Duration scanPeriod = root.positiveDuration("configScanPeriod", Duration.ofSeconds(1));
        boolean pooled = root.has("pools");
        PoolSettings top = PoolParser.parse(root, PoolSettings.DEFAULT, PoolParser.BUILT_IN, !pooled);
        Map<String, PoolSettings> pools = pools(root, top);
        List<Route<RouteAction>> routes = RoutesParser.parse(root, pools);
        List<String> warnings = new ArrayList<>(RoutesParser.unreachablePools(routes, pools));
        TlsSettings tls = TlsParser.parse(root, Instant.now(), warnings);
        FulcrumConfig config = new FulcrumConfig(
                listen,
                admin,
                scanPeriod,
                top.algorithm(),
                top.healthCheckInterval(),
                top.healthCheck(),
                top.consecutiveFailures(),
                top.connectTimeout(),
                top.requestTimeout(),
                top.backendTls(),
                forwardedHeaders(root),
                top.preserveHost(),
                root.duration("shutdownDelay", Duration.ZERO),
                root.positiveDuration("shutdownTimeout", Duration.ofSeconds(30)),
                limits(root, host),
                IoTransport.named(root.string("transport", IoTransport.AUTO.toString())),
                root.duration("warmUp", Duration.ofSeconds(30)),
                accessLog(root),
                requestIdHeader(root),
                top.hash(),
                top.stickyCookie(),
                top.slowStart(),
                trustedProxies(root),
                top.servers(),
                pools,
                routes,
                tls,
                root.bool("h2c", false),
                warnings);
        root.rejectUnknown();
        if (config.admin().port() != 0 && config.admin().port() == config.listen().port()) {
            throw new ConfigException("adminPort: " + config.admin() + " must differ from listenPort " + config.listen()
                    + " (the admin endpoints never share the proxy's port, so backend paths are never shadowed)");
        }
        if (tls != null) {
            int tlsPort = tls.listen().port();
            if (tlsPort != 0 && (tlsPort == config.listen().port() || tlsPort == config.admin().port())) {
                throw new ConfigException("tls.listenPort: " + tls.listen() + " must differ from listenPort " + config.listen()
                        + " and adminPort " + config.admin());
            }
        }
        return config;
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




    private static List<Cidr> trustedProxies(JsonFields root) {
        JsonArray list = root.array("trustedProxies");
        if (list == null) {
            return List.of();
        }
        List<Cidr> blocks = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String field = "trustedProxies[" + i + "]";
            if (!(list.getValue(i) instanceof String text)) {
                throw new ConfigException(field + ": " + Values.quote(list.getValue(i)) + " must be a string such as \"10.0.0.0/8\"");
            }
            try {
                blocks.add(Cidr.parse(text));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(field + ": " + Values.quote(text) + " " + e.getMessage());
            }
        }
        return blocks;
    }

    /**
     * Every pool, in the file's order: {@code "default"} first when the top level names servers, then each entry of
     * {@code pools}, whose fields left out are the top level's.
     */
    private static Map<String, PoolSettings> pools(JsonFields root, PoolSettings top) {
        Map<String, PoolSettings> pools = new LinkedHashMap<>();
        if (!top.servers().isEmpty()) {
            pools.put(PoolSettings.DEFAULT, top);
        }
        if (!root.has("pools")) {
            return pools;
        }
        JsonFields declared = root.object("pools");
        Set<String> names = declared.fieldNames();
        if (names.isEmpty()) {
            throw new ConfigException("pools: empty; name at least one pool, e.g. \"pools\": {\"api\": {\"servers\": [...]}}");
        }
        for (String name : names) {
            if (!POOL_NAME.matcher(name).matches()) {
                throw new ConfigException("pools." + name + ": not a pool name (letters, digits, - and _, at most 64)");
            }
            if (name.equals(PoolSettings.DEFAULT) && pools.containsKey(PoolSettings.DEFAULT)) {
                throw new ConfigException("pools.default: the top-level servers are the pool \"default\" already; move them"
                        + " into pools.default or rename this pool");
            }
            JsonFields fields = declared.object(name);
            pools.put(name, PoolParser.parse(fields, name, top, true));
            fields.rejectUnknown();
        }
        return pools;
    }

    private static final Pattern POOL_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

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
        Path path = Values.path(field, file);
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
    static final int MAX_HEADER_NAME = 64;

    private static String requestIdHeader(JsonFields root) {
        String name = root.string("requestIdHeader", "X-Request-Id");
        if (!name.isEmpty() && (name.length() > MAX_HEADER_NAME || !name.chars().allMatch(ConfigParser::isTokenChar))) {
            throw new ConfigException("requestIdHeader: " + Values.quote(name) + " is not a header name (letters, digits"
                    + " and !#$%&'*+-.^_`|~, at most " + MAX_HEADER_NAME + "); \"\" turns request IDs off");
        }
        return name;
    }

    /** RFC 9110 §5.6.2 tchar. */
    static boolean isTokenChar(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
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


    /** Each server has its own pool, probes and counters; a list longer than this is a generated mistake. */
    static final int MAX_SERVERS = PoolParser.MAX_SERVERS;





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

    static String describeIo(IOException error) {
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
