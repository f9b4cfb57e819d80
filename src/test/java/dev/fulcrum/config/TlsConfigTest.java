package dev.fulcrum.config;

import dev.fulcrum.support.PemCertificates;
import dev.fulcrum.support.PemCertificates.Pair;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.fulcrum.config.ConfigParserTest.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code tls} listener's settings: each pair is read and checked when the config is, and refused in one line. */
class TlsConfigTest {

    @TempDir
    Path dir;

    @Test
    void withoutTlsThereIsNoHttpsListenerAndH2cIsOff() {
        FulcrumConfig config = ConfigParser.parse("{\"servers\": [\"http://a:1\"]}");
        assertNull(config.tls());
        assertFalse(config.h2c());
        assertTrue(ConfigParser.parse("{\"servers\": [\"http://a:1\"], \"h2c\": true}").h2c());
    }

    @Test
    void pairsAreReadInTheirOrderWithTheirNames() {
        Pair a = PemCertificates.ec(dir, "a", 30, "a.example.com", "www.a.example.com");
        Pair wildcard = PemCertificates.rsaPkcs1(dir, "w", 30, "*.w.example.com");
        FulcrumConfig config = ConfigParser.parse(config(a, wildcard).encode());

        TlsSettings tls = config.tls();
        assertEquals(new ListenAddress(ListenAddress.ALL_INTERFACES, 8443), tls.listen(), "the default listenPort");
        assertEquals(TlsSettings.TLS_1_2, tls.minVersion());
        assertEquals(java.util.Set.of("TLSv1.2", "TLSv1.3"), tls.protocols());
        assertFalse(tls.httpsRedirect());
        assertEquals(List.of("a.example.com", "www.a.example.com"), tls.certificates().get(0).names());
        assertEquals(List.of("*.w.example.com"), tls.certificates().get(1).names(), "a PKCS#1 RSA key is read too");
        assertEquals(List.of(), config.warnings());
        assertFalse(tls.certificates().get(0).toString().contains("PRIVATE"), "never the key: " + tls.certificates().get(0));
        assertEquals(List.of(a.cert().toString(), a.key().toString(), wildcard.cert().toString(), wildcard.key().toString()),
                config.filesRead());
    }

    @Test
    void anUnreadableFileIsNamed() {
        Pair a = PemCertificates.ec(dir, "a", 30, "a.example.com");
        assertError("tls.certificates[0].keyFile: \"/nonexistent/a.key\" cannot be read: no such file",
                () -> ConfigParser.parse(config(new Pair(a.cert(), Path.of("/nonexistent/a.key"))).encode()));
        assertError("tls.certificates[0].certFile: \"a.crt\" must be an absolute path",
                () -> ConfigParser.parse(config(new Pair(Path.of("a.crt"), a.key())).encode()));
    }

    @Test
    void aKeyThatIsNotTheCertificatesIsRefused() {
        Pair a = PemCertificates.ec(dir, "a", 30, "a.example.com");
        Pair b = PemCertificates.ec(dir, "b", 30, "b.example.com");
        assertError("tls.certificates[1]: keyFile \"" + a.key() + "\" is not the key of the certificate in \"" + b.cert() + "\"",
                () -> ConfigParser.parse(config(a, new Pair(b.cert(), a.key())).encode()));
    }

    @Test
    void filesThatAreNotPemAreRefused() throws IOException {
        Pair a = PemCertificates.ec(dir, "a", 30, "a.example.com");
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate\n");
        assertError("tls.certificates[0]: certFile \"" + junk + "\" holds no -----BEGIN CERTIFICATE----- block",
                () -> ConfigParser.parse(config(new Pair(junk, a.key())).encode()));
        assertError("tls.certificates[0]: keyFile \"" + a.cert() + "\" holds no unencrypted private key",
                () -> ConfigParser.parse(config(new Pair(a.cert(), a.cert())).encode()));
    }

    @Test
    void anExpiredCertificateIsRefusedAndOneAboutToExpireWarned() throws IOException {
        Pair old = PemCertificates.expired(dir, "old", "old.example.com");
        assertError("tls.certificates[0]: the certificate in \"" + old.cert() + "\" (old.example.com) expired on 2020-01-02T00:00:00Z",
                () -> ConfigParser.parse(config(old).encode()));

        Pair soon = PemCertificates.ec(dir, "soon", 7, "soon.example.com");
        List<String> warnings = ConfigParser.parse(config(soon).encode()).warnings();
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("tls.certificates[0]: the certificate for soon.example.com expires on "), warnings.get(0));
        assertTrue(warnings.get(0).endsWith("(in 6 days); renew it") || warnings.get(0).endsWith("(in 7 days); renew it"), warnings.get(0));
    }

    @Test
    void aCertificateThatNamesNoHostIsRefused() {
        Pair nameless = PemCertificates.nameless(dir, "nameless");
        assertError("tls.certificates[0]: certFile \"" + nameless.cert() + "\" names no host",
                () -> ConfigParser.parse(config(nameless).encode()));
    }

    @Test
    void aNameServedTwiceIsWarned() {
        Pair first = PemCertificates.ec(dir, "first", 30, "a.example.com");
        Pair second = PemCertificates.ec(dir, "second", 30, "b.example.com", "a.example.com");
        assertEquals(List.of("tls.certificates[1]: a.example.com is served by tls.certificates[0] already; this certificate"
                + " is never chosen for it"), ConfigParser.parse(config(first, second).encode()).warnings());
    }

    @Test
    void otherMistakesAreNamedByTheirField() {
        Pair a = PemCertificates.ec(dir, "a", 30, "a.example.com");
        JsonObject valid = config(a);
        assertError("tls.minVersion: \"TLSv1.1\" is not one of TLSv1.2, TLSv1.3",
                () -> ConfigParser.parse(with(valid, "minVersion", "TLSv1.1").encode()));
        assertError("tls.listenPort: 127.0.0.1:9000 must differ from listenPort 127.0.0.1:9000",
                () -> ConfigParser.parse(with(valid, "listenPort", "127.0.0.1:9000").put("listenPort", "127.0.0.1:9000").encode()));
        assertError("tls.certificates: empty", () -> ConfigParser.parse(with(valid, "certificates", new JsonArray()).encode()));
        assertError("tls.certificates: missing", () -> ConfigParser.parse(Balancer.config().put("tls", new JsonObject()).encode()));
        assertError("tls.certificates[0].keyFile: missing", () -> ConfigParser.parse(with(valid, "certificates",
                new JsonArray().add(new JsonObject().put("certFile", a.cert().toString()))).encode()));
        assertError("tls.ciphers: unknown field", () -> ConfigParser.parse(with(valid, "ciphers", "ALL").encode()));
        assertError("tls.certificates[0].password: unknown field", () -> ConfigParser.parse(with(valid, "certificates",
                new JsonArray().add(new JsonObject().put("certFile", a.cert().toString()).put("keyFile", a.key().toString())
                        .put("password", "x"))).encode()));
        assertTrue(ConfigParser.parse(with(valid, "minVersion", "TLSv1.3").encode()).tls().protocols().equals(java.util.Set.of("TLSv1.3")));
        assertTrue(ConfigParser.parse(with(valid, "httpsRedirect", true).encode()).tls().httpsRedirect());
        assertError("tls.engine: \"gnutls\" is not one of jdk, openssl", () -> ConfigParser.parse(with(valid, "engine", "gnutls").encode()));
        assertEquals(TlsSettings.Engine.OPENSSL, ConfigParser.parse(with(valid, "engine", "openssl").encode()).tls().engine());
        assertEquals(TlsSettings.Engine.JDK, ConfigParser.parse(valid.encode()).tls().engine());
    }

    @Test
    void theReadmesExampleIsValid() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("## HTTPS and HTTP/2");
        int start = readme.indexOf("```json", section) + "```json".length();
        String example = readme.substring(start, readme.indexOf("```", start));
        for (String name : List.of("shop", "wildcard")) {
            Path secret = Files.createDirectories(dir.resolve(name));
            Pair pair = PemCertificates.ec(secret, "tls", 30, name.equals("shop") ? "shop.example.com" : "*.example.com");
            assertEquals(secret.resolve("tls.crt"), pair.cert());
        }

        FulcrumConfig config = ConfigParser.parse(example.replace("/etc/fulcrum/tls", dir.toString()));

        assertEquals(2, config.tls().certificates().size());
        assertTrue(config.tls().httpsRedirect());
        assertEquals(List.of(), config.warnings());
    }

    private static JsonObject with(JsonObject config, String field, Object value) {
        JsonObject copy = config.copy();
        copy.getJsonObject("tls").put(field, value);
        return copy;
    }

    private static JsonObject config(Pair... pairs) {
        JsonArray certificates = new JsonArray();
        for (Pair pair : pairs) {
            certificates.add(new JsonObject().put("certFile", pair.cert().toString()).put("keyFile", pair.key().toString()));
        }
        return Balancer.config().put("tls", new JsonObject().put("certificates", certificates));
    }

    /** The smallest valid config around a {@code tls} object. */
    private static final class Balancer {
        static JsonObject config() {
            return new JsonObject().put("servers", new JsonArray().add("http://a:1"));
        }
    }
}
