package dev.fulcrum.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.fulcrum.config.ConfigParserTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Named pools: the top level is the pool "default" and every pool's defaults; each mistake is named by its pool. */
class PoolsConfigTest {

    @Test
    void theTopLevelIsThePoolDefaultAndEveryPoolsDefaults() {
        FulcrumConfig config = ConfigParser.parse("""
                {"servers": ["http://a:1"], "algorithm": "round-robin", "requestTimeout": "5s", "healthCheck": {"path": "/ping"},
                 "pools": {"api": {"servers": ["http://api:1"], "requestTimeout": "30s", "healthCheck": {"timeout": "1s"}},
                           "static": {"servers": ["http://s:1"], "algorithm": "maglev", "hashKey": "uri"}}}""");

        assertEquals(List.of("default", "api", "static"), List.copyOf(config.pools().keySet()));
        PoolSettings api = config.pool("api");
        assertEquals("round-robin", api.algorithm());
        assertEquals(Duration.ofSeconds(30), api.requestTimeout());
        assertEquals("/ping", api.healthCheck().path(), "a field the pool leaves out is the top level's");
        assertEquals(Duration.ofSeconds(1), api.healthCheck().timeout());
        assertEquals(HashKey.URI, config.pool("static").hash().key());
        assertEquals(Duration.ofSeconds(5), config.pool("default").requestTimeout());
        assertEquals(List.of("http://a:1"), config.pool("default").servers().stream().map(ServerSpec::url).toList());
    }

    @Test
    void withPoolsTheTopLevelServersMayBeLeftOut() {
        FulcrumConfig config = ConfigParser.parse("{\"pools\": {\"api\": {\"servers\": [\"http://api:1\"]}}, \"routes\": [{\"pool\": \"api\"}]}");
        assertEquals(List.of("api"), List.copyOf(config.pools().keySet()));
        assertEquals(List.of(), config.servers());
    }

    @Test
    void aPoolsMistakeIsNamedByItsPool() {
        assertError("pools.api.servers[0]: \"ftp://x:1\" is not a valid server URL",
                () -> ConfigParser.parse("{\"pools\": {\"api\": {\"servers\": [\"ftp://x:1\"]}}}"));
        assertError("pools.api.servers: at least one backend URL is required",
                () -> ConfigParser.parse("{\"pools\": {\"api\": {\"algorithm\": \"round-robin\"}}}"));
        assertError("pools.api.algorithm: \"fastest\" is not one of",
                () -> ConfigParser.parse("{\"pools\": {\"api\": {\"servers\": [\"http://a:1\"], \"algorithm\": \"fastest\"}}}"));
        assertError("pools.api.listenPort: unknown field",
                () -> ConfigParser.parse("{\"pools\": {\"api\": {\"servers\": [\"http://a:1\"], \"listenPort\": \":1\"}}}"));
        assertError("pools.api.hashKey: only the hashing algorithms",
                () -> ConfigParser.parse("{\"pools\": {\"api\": {\"servers\": [\"http://a:1\"], \"hashKey\": \"uri\"}}}"));
        assertError("pools.bad name: not a pool name",
                () -> ConfigParser.parse("{\"pools\": {\"bad name\": {\"servers\": [\"http://a:1\"]}}}"));
        assertError("pools.default: the top-level servers are the pool \"default\" already",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"pools\": {\"default\": {\"servers\": [\"http://b:1\"]}}}"));
        assertError("pools: empty", () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"pools\": {}}"));
        assertError("servers: at least one backend URL is required", () -> ConfigParser.parse("{}"));
    }

    @Test
    void aHashingTopLevelDoesNotMakeARoundRobinPoolWrong() {
        FulcrumConfig config = ConfigParser.parse("""
                {"servers": ["http://a:1"], "algorithm": "maglev", "hashKey": "header:X-User",
                 "pools": {"rr": {"servers": ["http://r:1"], "algorithm": "round-robin"}, "hashed": {"servers": ["http://h:1"]}}}""");
        assertEquals(HashSettings.DEFAULT, config.pool("rr").hash());
        assertEquals(new HashKey(HashKey.Source.HEADER, "x-user"), config.pool("hashed").hash().key());
    }

    @Test
    void backendProtocolIsPerPoolAndMustSuitItsServersScheme() {
        FulcrumConfig config = ConfigParser.parse("""
                {"servers": ["http://a:1"], "backendProtocol": "h2c",
                 "pools": {"grpc": {"servers": ["http://g:1"]}, "tls": {"servers": ["https://t:1"], "backendProtocol": "h2"},
                           "old": {"servers": ["http://o:1"], "backendProtocol": "http1"}}, "routes": [{"pool": "default"}]}""");
        assertEquals(BackendProtocol.H2C, config.pool("default").backendProtocol());
        assertEquals(BackendProtocol.H2C, config.pool("grpc").backendProtocol(), "the top level's is every pool's default");
        assertEquals(BackendProtocol.H2, config.pool("tls").backendProtocol());
        assertEquals(BackendProtocol.HTTP1, config.pool("old").backendProtocol());
        assertEquals(BackendProtocol.HTTP1, ConfigParser.parse("{\"servers\": [\"http://a:1\"]}").pool("default").backendProtocol());

        assertError("servers[0]: \"http://a:1\" is http, but backendProtocol \"h2\" is HTTP/2 over TLS (https servers); use \"h2c\"",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"backendProtocol\": \"h2\"}"));
        assertError("pools.api.servers[0]: \"https://a:1\" is https, but pools.api.backendProtocol \"h2c\" is HTTP/2 in the clear",
                () -> ConfigParser.parse("{\"pools\": {\"api\": {\"servers\": [\"https://a:1\"], \"backendProtocol\": \"h2c\"}}}"));
        assertError("backendProtocol: \"http2\" is not one of http1, h2, h2c",
                () -> ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"backendProtocol\": \"http2\"}"));
    }
}
