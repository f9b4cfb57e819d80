package dev.fulcrum.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigParserTest {

    static final String ORIGINAL = """
            {"listenPort": ":8080", "healthCheckInterval": "5s",
             "servers": ["http://localhost:8081", "http://localhost:8082", "http://localhost:8083"]}
            """;

    @Test
    void originalGoConfigLoadsUnchanged() {
        FulcrumConfig config = ConfigParser.parse(ORIGINAL);
        assertEquals(new ListenAddress("0.0.0.0", 8080), config.listen());
        assertEquals(Duration.ofSeconds(5), config.healthCheckInterval());
        assertEquals(3, config.servers().size());
        ServerSpec first = config.servers().get(0);
        assertEquals("localhost", first.host());
        assertEquals(8081, first.port());
        assertEquals("", first.pathPrefix());
        assertEquals(1, first.weight());
        assertFalse(first.tls());
    }

    @Test
    void shippedConfigFileLoads() {
        FulcrumConfig config = ConfigParser.load(Path.of("conf", "config.json"));
        assertEquals(8080, config.listen().port());
    }

    @ParameterizedTest
    @CsvSource({":8080, 0.0.0.0, 8080", "8080, 0.0.0.0, 8080", "127.0.0.1:9090, 127.0.0.1, 9090", "'[::1]:8080', ::1, 8080"})
    void listenPortForms(String text, String host, int port) {
        FulcrumConfig config = ConfigParser.parse("{\"listenPort\": \"" + text + "\", \"servers\": [\"http://a:1\"]}");
        assertEquals(new ListenAddress(host, port), config.listen());
    }

    @Test
    void serverUrlPathBecomesPrefixAndObjectFormCarriesWeight() {
        FulcrumConfig config = ConfigParser.parse("""
                {"servers": ["http://h:81/api/", {"url": "https://h", "weight": 3}]}""");
        assertEquals("/api", config.servers().get(0).pathPrefix());
        ServerSpec weighted = config.servers().get(1);
        assertEquals(3, weighted.weight());
        assertEquals(443, weighted.port());
        assertTrue(weighted.tls());
    }

    @Test
    void optionalFieldsHaveDefaults() {
        FulcrumConfig config = ConfigParser.parse("{\"servers\": [\"http://a:1\"]}");
        assertEquals(8080, config.listen().port());
        assertEquals(Duration.ofSeconds(5), config.healthCheckInterval());
    }

    @Test
    void healthAndTimeoutFieldsHaveDefaults() {
        FulcrumConfig config = ConfigParser.parse("{\"servers\": [\"http://a:1\"]}");
        assertEquals(new ListenAddress("0.0.0.0", 9901), config.admin());
        HealthCheckSettings check = config.healthCheck();
        assertEquals("/", check.path());
        assertEquals(Duration.ofSeconds(2), check.timeout());
        assertEquals(2, check.healthyThreshold());
        assertEquals(2, check.unhealthyThreshold());
        assertTrue(check.expectedStatus().contains(499));
        assertFalse(check.expectedStatus().contains(500));
        assertEquals(3, config.consecutiveFailures());
        assertEquals(Duration.ofSeconds(2), config.connectTimeout());
        assertEquals(Duration.ofSeconds(60), config.requestTimeout());
    }

    @Test
    void probeTimeoutDefaultsToTheIntervalWhenShorter() {
        FulcrumConfig config = ConfigParser.parse("{\"healthCheckInterval\": \"500ms\", \"servers\": [\"http://a:1\"]}");
        assertEquals(Duration.ofMillis(500), config.healthCheck().timeout());
    }

    @Test
    void healthCheckBlockIsRead() {
        FulcrumConfig config = ConfigParser.parse("""
                {"servers": ["http://a:1"], "adminPort": "127.0.0.1:9000", "consecutiveFailures": 5,
                 "connectTimeout": "250ms", "requestTimeout": "5s",
                 "healthCheck": {"path": "/healthz", "timeout": "1s", "healthyThreshold": 3,
                                 "unhealthyThreshold": 4, "expectedStatus": "200,204,300-399"}}""");
        HealthCheckSettings check = config.healthCheck();
        assertEquals("/healthz", check.path());
        assertEquals(Duration.ofSeconds(1), check.timeout());
        assertEquals(3, check.healthyThreshold());
        assertEquals(4, check.unhealthyThreshold());
        assertTrue(check.expectedStatus().contains(204));
        assertFalse(check.expectedStatus().contains(201));
        assertTrue(check.expectedStatus().contains(302));
        assertEquals(5, config.consecutiveFailures());
        assertEquals(Duration.ofMillis(250), config.connectTimeout());
        assertEquals(Duration.ofSeconds(5), config.requestTimeout());
        assertEquals(new ListenAddress("127.0.0.1", 9000), config.admin());
    }

    @Test
    void reloadFieldsHaveDefaultsAndAreRead() {
        FulcrumConfig defaults = ConfigParser.parse("{\"servers\": [\"http://a:1\"]}");
        assertEquals(Duration.ofSeconds(1), defaults.configScanPeriod());
        assertEquals("least-busy", defaults.algorithm());
        FulcrumConfig set = ConfigParser.parse("""
                {"servers": ["http://a:1"], "configScanPeriod": "250ms", "algorithm": "round-robin"}""");
        assertEquals(Duration.ofMillis(250), set.configScanPeriod());
        assertEquals("round-robin", set.algorithm());
    }

    @Test
    void protocolAndLimitFieldsHaveDefaults() {
        FulcrumConfig config = ConfigParser.parse("{\"servers\": [\"http://a:1\"]}");
        assertEquals(FulcrumConfig.ForwardedHeaders.X_FORWARDED, config.forwardedHeaders());
        assertTrue(config.preserveHost());
        assertEquals(Duration.ZERO, config.shutdownDelay());
        assertEquals(Duration.ofSeconds(30), config.shutdownTimeout());
        ClientLimits limits = config.limits();
        assertEquals(16 * 1024, limits.maxHeaderSize());
        assertEquals(8 * 1024, limits.maxUriLength());
        assertFalse(limits.limitsBody());
        assertEquals(Duration.ofSeconds(60), limits.clientIdleTimeout());
        assertEquals(Duration.ofSeconds(10), limits.requestHeaderTimeout());
    }

    @Test
    void protocolAndLimitFieldsAreRead() {
        FulcrumConfig config = ConfigParser.parse("""
                {"servers": ["http://a:1"], "forwardedHeaders": "both", "preserveHost": false,
                 "shutdownDelay": "5s", "shutdownTimeout": "1m", "maxHeaderSize": "32KiB", "maxUriLength": 4096,
                 "maxRequestBody": "10MiB", "clientIdleTimeout": "90s", "requestHeaderTimeout": "3s",
                 "maxConnections": 5000, "maxBufferedBytes": "32MiB"}""");
        assertEquals(FulcrumConfig.ForwardedHeaders.BOTH, config.forwardedHeaders());
        assertFalse(config.preserveHost());
        assertEquals(Duration.ofSeconds(5), config.shutdownDelay());
        assertEquals(Duration.ofMinutes(1), config.shutdownTimeout());
        assertEquals(new ClientLimits(32 * 1024, 4096, 10L * 1024 * 1024, Duration.ofSeconds(90), Duration.ofSeconds(3),
                5000, 32L * 1024 * 1024), config.limits());
    }

    @Test
    void connectionAndBufferLimitsFollowTheHostByDefault() {
        ClientLimits limits = ConfigParser.parse("{\"servers\": [\"http://a:1\"]}",
                new HostLimits(20_000, 256L * 1024 * 1024)).limits();
        assertEquals((20_000 - 128) / 3, limits.maxConnections(), "a backend connection per client, and room to spare");
        assertEquals(64L * 1024 * 1024, limits.maxBufferedBytes(), "a quarter of direct memory");
        assertEquals(42, ConfigParser.parse("{\"servers\": [\"http://a:1\"]}", new HostLimits(256, 1 << 30))
                .limits().maxConnections());
    }

    @Test
    void connectionAndBufferLimitsAreBounded() {
        assertError("maxConnections: 0 is out of range (1 to 10000000)",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"maxConnections\": 0}"));
        assertError("maxBufferedBytes: \"1KiB\" is out of range (65536 to 4611686018427387903 bytes)",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"maxBufferedBytes\": \"1KiB\"}"));
    }

    @Test
    void badForwardedHeadersModeIsNamed() {
        assertError("forwardedHeaders: \"x-forwarded-for\" is not one of x-forwarded, forwarded, both, none",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"forwardedHeaders\": \"x-forwarded-for\"}"));
    }

    @Test
    void transportDefaultsToAutoAndIsRead() {
        assertEquals(IoTransport.AUTO, ConfigParser.parse("{\"servers\": [\"http://a:1\"]}").transport());
        for (IoTransport transport : IoTransport.values()) {
            assertEquals(transport, ConfigParser.parse(
                    "{\"servers\": [\"http://a:1\"], \"transport\": \"" + transport + "\"}").transport());
        }
        assertError("transport: \"iouring\" is not one of auto, io_uring, epoll, nio",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"transport\": \"iouring\"}"));
    }

    @Test
    void warmUpDefaultsToThirtySecondsAndZeroTurnsItOff() {
        assertEquals(Duration.ofSeconds(30), ConfigParser.parse("{\"servers\": [\"http://a:1\"]}").warmUp());
        assertEquals(Duration.ZERO, ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"warmUp\": \"0s\"}").warmUp());
        assertEquals(Duration.ofSeconds(90), ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"warmUp\": \"1m30s\"}").warmUp());
        assertError("warmUp: \"-5s\" is not a duration",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"warmUp\": \"-5s\"}"));
        assertError("warmUp: true must be a string",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"warmUp\": true}"));
    }

    @Test
    void badSizeIsNamed() {
        assertError("maxHeaderSize: \"16kb\" is not a size",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"maxHeaderSize\": \"16kb\"}"));
        assertError("maxHeaderSize: \"100\" is out of range (1024 to 1048576 bytes)",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"maxHeaderSize\": \"100\"}"));
    }

    @Test
    void preserveHostMustBeABoolean() {
        assertError("preserveHost: \"yes\" must be true or false",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"preserveHost\": \"yes\"}"));
    }

    @Test
    void unknownAlgorithmIsNamed() {
        assertError("algorithm: \"least-conn\" is not one of least-busy, round-robin",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"algorithm\": \"least-conn\"}"));
    }

    @Test
    void unknownHealthCheckFieldIsNamed() {
        assertError("healthCheck.interval: unknown field",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"healthCheck\": {\"interval\": \"1s\"}}"));
    }

    @Test
    void badExpectedStatusIsNamed() {
        assertError("healthCheck.expectedStatus: \"2xx\" is not a status list",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"healthCheck\": {\"expectedStatus\": \"2xx\"}}"));
    }

    @Test
    void probePathMustBeAbsolute() {
        assertError("healthCheck.path: \"health\" must start with \"/\"",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"healthCheck\": {\"path\": \"health\"}}"));
    }

    @Test
    void thresholdOutOfRangeIsRefused() {
        assertError("healthCheck.healthyThreshold: 0 is out of range",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"healthCheck\": {\"healthyThreshold\": 0}}"));
    }

    @Test
    void adminPortMustDifferFromListenPort() {
        assertError("adminPort: 0.0.0.0:8080 must differ from listenPort",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"adminPort\": \":8080\"}"));
    }

    @Test
    void backendTlsDefaultsToVerifyingAgainstTheJvmAuthorities() {
        assertEquals(BackendTls.DEFAULT, ConfigParser.parse("{\"servers\": [\"https://a:1\"]}").backendTls());
        assertEquals(new BackendTls(false, null, null), ConfigParser.parse(
                "{\"servers\": [\"https://a:1\"], \"backendTls\": {\"verify\": false}}").backendTls());
    }

    @Test
    void backendTlsCaFileMustHoldPemCertificates(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing.pem");
        Path notPem = Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n");
        Path empty = Files.writeString(dir.resolve("empty.pem"), "");
        assertError("backendTls.caFile: \"" + missing + "\" cannot be read: no such file", () -> parseWithCa(missing));
        assertError("backendTls.caFile: \"" + notPem + "\" is not a PEM file of CA certificates", () -> parseWithCa(notPem));
        assertError("backendTls.caFile: \"" + empty + "\" is not a PEM file of CA certificates", () -> parseWithCa(empty));
        assertError("backendTls.caFile: \"" + dir + "\" cannot be read", () -> parseWithCa(dir));
        assertError("backendTls.caFile: \"ca.pem\" must be an absolute path", () -> parseWithCa(Path.of("ca.pem")));
        // DER is a certificate too, but the TLS setup reads PEM only: it would fail at the first handshake.
        Path der = dir.resolve("ca.der");
        Files.write(der, java.util.Base64.getMimeDecoder().decode(Files.readString(Path.of(SelfSignedCertificate.create("x")
                .certificatePath())).replaceAll("-----[A-Z ]+-----", "")));
        assertError("backendTls.caFile: \"" + der + "\" is not a PEM file of CA certificates (no -----BEGIN CERTIFICATE----- block in it)",
                () -> parseWithCa(der));
    }

    @Test
    void backendTlsCaFileIsReadIntoTheSnapshot() {
        SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
        BackendTls tls = parseWithCa(Path.of(certificate.certificatePath())).backendTls();
        assertTrue(tls.verify());
        assertEquals(certificate.certificatePath(), tls.caFile());
        assertTrue(tls.caCertificates().pem().startsWith("-----BEGIN CERTIFICATE-----"), tls.caCertificates().pem());
        assertEquals(1, tls.caCertificates().count());
        assertTrue(tls.caCertificates().toString().matches("1 certificate, sha256 [0-9a-f]{12}"), tls.caCertificates().toString());
    }

    @Test
    void backendTlsRefusesACaFileItWouldIgnoreAndUnknownFields() {
        assertError("backendTls.caFile: is not used when backendTls.verify is false",
                () -> ConfigParser.parse("{\"servers\": [\"https://a:1\"], \"backendTls\": {\"verify\": false, \"caFile\": \"x.pem\"}}"));
        assertError("backendTls.insecureSkipVerify: unknown field; known fields of backendTls are caFile, verify",
                () -> ConfigParser.parse("{\"servers\": [\"https://a:1\"], \"backendTls\": {\"insecureSkipVerify\": true}}"));
        assertError("backendTls.verify: ",
                () -> ConfigParser.parse("{\"servers\": [\"https://a:1\"], \"backendTls\": {\"verify\": \"no\"}}"));
    }

    private static FulcrumConfig parseWithCa(Path caFile) {
        return ConfigParser.parse(new JsonObject().put("servers", new JsonArray().add("https://a:1"))
                .put("backendTls", new JsonObject().put("caFile", caFile.toString())).encode());
    }

    @Test
    void missingFileIsReported(@TempDir Path dir) {
        Path missing = dir.resolve("nope.json");
        assertError("cannot read the file: no such file", () -> ConfigParser.load(missing));
    }

    @Test
    void invalidJsonGivesLineAndColumn() {
        assertError("invalid JSON at line 3, column 1", () -> ConfigParser.parse("{\n\"servers\": [\"http://a:1\"],\n}"));
    }

    @Test
    void unclosedListNamesWhereItOpened() {
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigParser.parse("{\"servers\": [\"http://a:1\""));
        assertEquals("invalid JSON at line 1, column 26: Unexpected end-of-input: expected close marker for Array"
                + " (opened at line: 1, column: 13)", error.getMessage());
    }

    @Test
    void emptyFileIsRefused(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("c.json"), "");
        assertError("the config file is empty", () -> ConfigParser.load(empty));
    }

    @Test
    void duplicateKeyIsRefused() {
        assertError("Duplicate field 'listenPort'",
                () -> ConfigParser.parse("{\"listenPort\": \":1\", \"listenPort\": \":2\", \"servers\": [\"http://a:1\"]}"));
    }

    @Test
    void unknownFieldIsNamed() {
        assertError("healthCheckIntervall: unknown field",
                () -> ConfigParser.parse("{\"healthCheckIntervall\": \"5s\", \"servers\": [\"http://a:1\"]}"));
    }

    @Test
    void unknownFieldInServerObjectIsNamed() {
        assertError("servers[0].wieght: unknown field",
                () -> ConfigParser.parse("{\"servers\": [{\"url\": \"http://a:1\", \"wieght\": 2}]}"));
    }

    @Test
    void badUrlIsNamed() {
        assertError("servers[1]: \"http://exa mple:80\" is not a valid server URL",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\", \"http://exa mple:80\"]}"));
    }

    @Test
    void badSchemeIsNamed() {
        assertError("servers[0]: \"ftp://a:21\" is not a valid server URL: the scheme must be http or https",
                () -> ConfigParser.parse("{\"servers\": [\"ftp://a:21\"]}"));
    }

    @Test
    void urlWithoutHostIsRefused() {
        assertError("servers[0]: \"localhost:8081\" is not a valid server URL",
                () -> ConfigParser.parse("{\"servers\": [\"localhost:8081\"]}"));
    }

    @Test
    void badDurationIsNamed() {
        assertError("healthCheckInterval: \"5 seconds\" is not a duration",
                () -> ConfigParser.parse("{\"healthCheckInterval\": \"5 seconds\", \"servers\": [\"http://a:1\"]}"));
    }

    @Test
    void zeroIntervalIsRefused() {
        assertError("healthCheckInterval: \"0s\" must be greater than zero",
                () -> ConfigParser.parse("{\"healthCheckInterval\": \"0s\", \"servers\": [\"http://a:1\"]}"));
    }

    @Test
    void emptyServerListIsRefused() {
        assertError("servers: at least one backend URL is required", () -> ConfigParser.parse("{\"servers\": []}"));
    }

    @Test
    void missingServerListIsRefused() {
        assertError("servers: at least one backend URL is required", () -> ConfigParser.parse("{\"listenPort\": \":80\"}"));
    }

    @Test
    void duplicateServerIsRefused() {
        assertError("servers[1]: \"http://a:1\" is listed twice (also servers[0])",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\", \"http://A:1/\"]}"));
    }

    @Test
    void listenPortOutOfRangeIsRefused() {
        assertError("listenPort: \":70000\" has a port out of range",
                () -> ConfigParser.parse("{\"listenPort\": \":70000\", \"servers\": [\"http://a:1\"]}"));
    }

    @Test
    void serverPortOutOfRangeIsRefused() {
        assertError("servers[0]: \"http://a:99999\" is not a valid server URL",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:99999\"]}"));
    }

    @Test
    void wrongTypeIsNamed() {
        assertError("servers: \"http://a:1\" must be a list",
                () -> ConfigParser.parse("{\"servers\": \"http://a:1\"}"));
    }

    @Test
    void weightOutOfRangeIsRefused() {
        assertError("servers[0].weight: 0 is out of range",
                () -> ConfigParser.parse("{\"servers\": [{\"url\": \"http://a:1\", \"weight\": 0}]}"));
    }

    @Test
    void errorsAreOneLineWithoutStackTrace() {
        ConfigException error = assertThrows(ConfigException.class, () -> ConfigParser.parse("{\"servers\": 5}"));
        assertFalse(error.getMessage().contains("\n"));
        assertEquals(0, error.getStackTrace().length);
    }

    @Test
    void sameServerWrittenWithItsDefaultPortOrLeadingZerosIsRefused() {
        assertError("servers[1]: \"http://a:80\" is listed twice (also servers[0])",
                () -> ConfigParser.parse("{\"servers\": [\"http://a\", \"http://A:80\"]}"));
        assertError("servers[1]: \"http://a:8081\" is listed twice (also servers[0])",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:8081\", \"http://a:08081\"]}"));
    }

    @Test
    void hugeAndFractionalNumbersAreRefusedNotWrappedOrCut() {
        assertError("servers[0].weight: 18446744073709551617 is out of range (1 to 1000000)",
                () -> ConfigParser.parse("{\"servers\": [{\"url\": \"http://a:1\", \"weight\": 18446744073709551617}]}"));
        assertError("consecutiveFailures: -18446744073709551615 is out of range",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"consecutiveFailures\": -18446744073709551615}"));
        assertError("maxRequestBody: 18446744073709551716 is out of range",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"maxRequestBody\": 18446744073709551716}"));
        assertError("maxRequestBody: 1.5 must be a whole number of bytes",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"maxRequestBody\": 1.5}"));
        assertEquals(2048, ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"maxHeaderSize\": 2048.0}").limits().maxHeaderSize());
    }

    @Test
    void timeoutsAndPeriodsShorterThanAMillisecondAreRefused() {
        assertError("healthCheck.timeout: \"900us\" must be at least 1ms",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"healthCheck\": {\"timeout\": \"900us\"}}"));
        assertError("configScanPeriod: \"500us\" must be at least 1ms",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"configScanPeriod\": \"500us\"}"));
        assertError("healthCheckInterval: \"999999ns\" must be at least 1ms",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"healthCheckInterval\": \"999999ns\"}"));
    }

    @Test
    void textAfterTheConfigObjectIsRefusedWithItsPlace() {
        assertError("invalid JSON at line 2, column 1: there is more after the end of the config object",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"]}\n{\"servers\": [\"http://b:1\"]}"));
    }

    @Test
    void bytesThatAreNotUtf8AreRefusedAsAtStartup() {
        assertError("cannot read the file: it is not UTF-8 text",
                () -> ConfigParser.text(new byte[] {'{', (byte) 0xFF, '}'}));
        assertEquals("{\"a\": \"é\"}", ConfigParser.text("{\"a\": \"é\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Test
    void aLeadingByteOrderMarkIsAccepted(@TempDir Path dir) throws Exception {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        byte[] json = "{\"servers\": [\"http://a:1\"]}".getBytes(StandardCharsets.UTF_8);
        byte[] file = new byte[bom.length + json.length];
        System.arraycopy(bom, 0, file, 0, bom.length);
        System.arraycopy(json, 0, file, bom.length, json.length);

        assertEquals("{\"servers\": [\"http://a:1\"]}", ConfigParser.text(file));
        assertEquals(1, ConfigParser.load(Files.write(dir.resolve("c.json"), file)).servers().size());
    }

    @Test
    void aFileOverFourMebibytesIsRefusedBeforeItIsRead(@TempDir Path dir) throws Exception {
        Path large = dir.resolve("c.json");
        try (RandomAccessFile file = new RandomAccessFile(large.toFile(), "rw")) {
            file.setLength(11 * 1024 * 1024 + 200 * 1024); // sparse: nothing is written, or read
        }
        assertExactError("the file is 11.2 MiB; a config may be at most 4 MiB", () -> ConfigParser.load(large));

        byte[] justOver = new byte[ConfigParser.MAX_FILE_BYTES + 1];
        assertExactError("the file is 4.1 MiB; a config may be at most 4 MiB", () -> ConfigParser.text(justOver));
        byte[] atTheLimit = new byte[ConfigParser.MAX_FILE_BYTES];
        java.util.Arrays.fill(atTheLimit, (byte) ' ');
        assertExactError("the config file is empty; it needs at least {\"servers\": [\"http://host:port\"]}",
                () -> ConfigParser.parse(ConfigParser.text(atTheLimit)));
    }

    @Test
    void aPoolOfMoreThanTenThousandServersIsRefused() {
        assertEquals(ConfigParser.MAX_SERVERS, ConfigParser.parse(servers(ConfigParser.MAX_SERVERS)).servers().size());
        assertExactError("servers: 10001 servers; a pool may have at most 10000",
                () -> ConfigParser.parse(servers(ConfigParser.MAX_SERVERS + 1)));
        // The count comes before the entries: the last one of a giant list is never reached.
        JsonArray giant = new JsonArray();
        for (int i = 0; i < 330_000; i++) {
            giant.add(i == 329_999 ? "ftp://not-a-server" : "http://a:" + (1 + i % 65535));
        }
        assertExactError("servers: 330000 servers; a pool may have at most 10000",
                () -> ConfigParser.parse(new JsonObject().put("servers", giant).encode()));
    }

    private static String servers(int count) {
        JsonArray servers = new JsonArray();
        for (int i = 0; i < count; i++) {
            servers.add("http://host" + i + ":8080");
        }
        return new JsonObject().put("servers", servers).encode();
    }

    private static void assertExactError(String expected, org.junit.jupiter.api.function.Executable parse) {
        assertEquals(expected, assertThrows(ConfigException.class, parse).getMessage());
    }

    static void assertError(String expectedPart, org.junit.jupiter.api.function.Executable parse) {
        ConfigException error = assertThrows(ConfigException.class, parse);
        assertTrue(error.getMessage().contains(expectedPart),
                () -> "expected the message to contain <" + expectedPart + "> but was <" + error.getMessage() + ">");
        assertFalse(error.getMessage().contains("\n"), "one line: " + error.getMessage());
    }
}
