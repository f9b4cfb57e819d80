package dev.fulcrum.app;

import dev.fulcrum.app.InProcessMain.Outcome;
import dev.fulcrum.support.PemCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code fulcrum check}: a config file judged as a start judges it, with nothing started (README, fulcrum check). */
class ConfigCheckTest {

    @Test
    void validFileIsOneLineOfItsFactsAndExitsZero(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("config.json"), """
                {"listenPort": ":8080", "adminPort": "127.0.0.1:9911", "algorithm": "round-robin",
                 "healthCheckInterval": "2s", "servers": ["http://a:1", "http://b:2", {"url": "http://c:3", "weight": 2}]}
                """);

        Outcome checked = InProcessMain.run("check", "--config", file.toString());

        assertEquals(new Outcome(0, "config OK: 3 servers, round-robin, listening on :8080, admin on 127.0.0.1:9911,"
                + " health checks every 2s\n", ""), checked);
    }

    @Test
    void anHttpsListenerIsNamedWithItsCertificatesAndAnExpiringOneWarned(@TempDir Path dir) throws Exception {
        PemCertificates.Pair pair = PemCertificates.ec(dir, "soon", 5, "soon.example.com");
        Path file = Files.writeString(dir.resolve("config.json"), """
                {"servers": ["http://a:1"], "tls": {"certificates": [{"certFile": "%s", "keyFile": "%s"}]}}
                """.formatted(pair.cert(), pair.key()));

        Outcome checked = InProcessMain.run("check", "--config", file.toString());

        assertEquals(0, checked.status());
        assertTrue(checked.out().endsWith("config OK: 1 server, least-busy, listening on :8080, HTTPS on :8443 (1 certificate),"
                + " admin on :9901, health checks every 5s\n"), checked.out());
        assertTrue(checked.out().startsWith("warning: tls.certificates[0]: the certificate for soon.example.com expires on "),
                checked.out());
    }

    @Test
    void withoutConfigItChecksTheShippedConfConfigJson() {
        assertEquals(new Outcome(0, "config OK: 3 servers, least-busy, listening on :8080, admin on :9901,"
                + " health checks every 5s\n", ""), InProcessMain.run("check"));
    }

    /** The same line from the same code: the start's own, printed before anything starts. */
    @Test
    void mistakeIsByteForByteTheLineAStartPrintsAndExitsTwo(@TempDir Path dir) throws Exception {
        List<Path> mistakes = List.of(
                Files.writeString(dir.resolve("typo.json"), "{\"servers\": [\"http://a:1\"], \"listenPrt\": \":80\"}"),
                Files.writeString(dir.resolve("json.json"), "{\"servers\": [\"http://a:1\"],\n}"),
                Files.writeString(dir.resolve("url.json"), "{\"servers\": [\"ftp://a:21\"]}"),
                dir.resolve("missing.json"));
        for (Path file : mistakes) {
            Outcome started = InProcessMain.run("--config", file.toString());
            Outcome checked = InProcessMain.run("check", "--config", file.toString());
            Outcome diffed = InProcessMain.run("check", "--diff", "--config", file.toString());

            assertEquals(new Outcome(Main.EXIT_USAGE, "", started.err()), checked, file.toString());
            assertEquals(checked, diffed, file.toString());
            assertEquals(Main.EXIT_USAGE, started.status());
            assertTrue(started.err().startsWith("fulcrum: " + file + ": "), started.err());
            assertEquals(1, started.err().lines().count(), started.err());
        }
    }

    /** Nothing listens: the ports a start would take may be in use by the very instance the file is for. */
    @Test
    void portsInUseAreNoConcernOfCheck(@TempDir Path dir) throws Exception {
        try (ServerSocket listen = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket admin = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path file = Files.writeString(dir.resolve("config.json"), """
                    {"listenPort": "127.0.0.1:%d", "adminPort": "127.0.0.1:%d", "servers": ["http://a:1"]}
                    """.formatted(listen.getLocalPort(), admin.getLocalPort()));

            Outcome checked = InProcessMain.run("check", "--config", file.toString());

            assertEquals(new Outcome(0, "config OK: 1 server, least-busy, listening on 127.0.0.1:" + listen.getLocalPort()
                    + ", admin on 127.0.0.1:" + admin.getLocalPort() + ", health checks every 5s\n", ""), checked);
        }
    }

    @Test
    void unknownArgumentGetsTheUsageAndExitsTwo() {
        Outcome checked = InProcessMain.run("check", "--dif");

        assertEquals(Main.EXIT_USAGE, checked.status());
        assertEquals("", checked.out());
        assertTrue(checked.err().startsWith("fulcrum: unknown argument --dif\nusage: fulcrum [--config PATH]"), checked.err());
        assertTrue(checked.err().contains("fulcrum check --diff [--config PATH]"), checked.err());
        assertTrue(InProcessMain.run("--diff").err().startsWith("fulcrum: --diff goes with check"));
    }
}
