package dev.fulcrum.admin;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Await;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Browser;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.fulcrum.support.PemCertificates;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The status page in a real headless Chromium: it follows the balancer live, without being reloaded. */
@ExtendWith(VertxExtension.class)
class StatusPageTest {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration POLL = Duration.ofMillis(100);
    /** Each backend row as "url STATE", in the page's order; the state as written in its chip. */
    private static final String ROWS = "return [...document.querySelectorAll('#backends tr')]"
            + ".map(row => row.dataset.backend + ' ' + row.querySelector('.chip').innerText).join('\\n')";

    @Test
    void aBackendWhoseChecksFailIsShownUnhealthyFirstWithoutReloadingThePage(Vertx vertx) throws IOException {
        TestBackend steady = TestBackend.start(vertx, "steady");
        TestBackend failing = TestBackend.start(vertx, "failing");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.fastHealth(Balancer.config(steady, failing)));
        Http http = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 20; i++) {
            http.get("/").await();
        }

        try (Browser browser = Browser.start(1280, 900)) {
            browser.open("http://127.0.0.1:" + fulcrum.adminPort() + "/");
            browser.run("window.__marker = 1");
            try {
                Await.value("both backends are shown HEALTHY", WAIT, POLL, () -> (String) browser.run(ROWS),
                        rows -> rows.contains(steady.url() + " HEALTHY") && rows.contains(failing.url() + " HEALTHY"));

                failing.probeStatus(500);

                String rows = Await.value("the failing backend is shown UNHEALTHY", WAIT, POLL,
                        () -> (String) browser.run(ROWS), shown -> shown.contains(failing.url() + " UNHEALTHY"));
                assertEquals(failing.url() + " UNHEALTHY\n" + steady.url() + " HEALTHY", rows, "problems first");
                assertEquals(true, browser.run("return window.__marker === 1"), "the page was not reloaded");
                assertTrue(((String) browser.run("return document.getElementById('events').innerText"))
                        .contains(failing.url() + ": HTTP 500 from GET / (expected 200-499)"), "the change is in the timeline");
            } catch (AssertionError failed) {
                Path shot = Files.write(Path.of("target", "StatusPageTest.png"), browser.screenshot());
                failed.addSuppressed(new AssertionError("the page as it was: " + shot.toAbsolutePath()));
                throw failed;
            }
        }
    }

    @Test
    void backendsAreGroupedByPoolAndTheRouteTableIsShown(Vertx vertx) throws IOException {
        TestBackend api = TestBackend.start(vertx, "api");
        TestBackend web = TestBackend.start(vertx, "web").probeStatus(500);
        JsonObject config = Balancer.fastHealth(Balancer.config(web))
                .put("pools", new JsonObject().put("api", new JsonObject().put("servers", new JsonArray().add(api.url()))))
                .put("routes", new JsonArray()
                        .add(new JsonObject().put("match", new JsonObject().put("pathPrefix", "/api")).put("pool", "api"))
                        .add(new JsonObject().put("pool", "default")));
        Fulcrum fulcrum = Balancer.start(vertx, config);

        try (Browser browser = Browser.start(1280, 900)) {
            browser.open("http://127.0.0.1:" + fulcrum.adminPort() + "/");
            try {
                String groups = "return [...document.querySelectorAll('#backends tr')].map(row => row.dataset.pool"
                        + " ? 'pool ' + row.dataset.pool : row.dataset.backend + ' ' + row.querySelector('.chip').innerText).join('\\n')";
                String rows = Await.value("each pool has its group", WAIT, POLL, () -> (String) browser.run(groups),
                        shown -> shown.contains(web.url() + " UNHEALTHY"));
                assertEquals("pool default\n" + web.url() + " UNHEALTHY\npool api\n" + api.url() + " HEALTHY", rows,
                        "pools in the file's order");
                assertEquals("0 {\"pathPrefix\": \"/api\"} \"pool\": \"api\"\n1 every request \"pool\": \"default\"",
                        browser.run("return [...document.querySelectorAll('#routes tr')].map(row => [...row.cells]"
                                + ".map(cell => cell.innerText).join(' ')).join('\\n')"));
                assertTrue(((String) browser.run("return document.getElementById('problems').innerText"))
                        .contains("No healthy backend in pool default"));
            } catch (AssertionError failed) {
                Path shot = Files.write(Path.of("target", "StatusPageTest-pools.png"), browser.screenshot());
                failed.addSuppressed(new AssertionError("the page as it was: " + shot.toAbsolutePath()));
                throw failed;
            }
        }
    }

    @Test
    void theCertificatesAreShownAndOneAboutToExpireIsAProblem(Vertx vertx, @TempDir Path dir) throws IOException {
        PemCertificates.Pair soon = PemCertificates.ec(dir, "soon", 7, "soon.example.com");
        PemCertificates.Pair later = PemCertificates.ec(dir, "later", 60, "later.example.com", "www.later.example.com");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.withTls(Balancer.config(TestBackend.start(vertx, "app")), soon, later));

        try (Browser browser = Browser.start(1280, 900)) {
            browser.open("http://127.0.0.1:" + fulcrum.adminPort() + "/");
            try {
                String rows = Await.value("the certificates table", WAIT, POLL, () -> (String) browser.run(
                        "return [...document.querySelectorAll('#certificates tr')].map(row => row.cells[0].innerText"
                                + " + ' ' + row.cells[2].innerText).join('\\n')"), shown -> !shown.isEmpty());
                assertTrue(rows.matches("soon\\.example\\.com [67]\nlater\\.example\\.com, www\\.later\\.example\\.com 5[89]"), rows);
                assertTrue(((String) browser.run("return document.getElementById('problems').innerText"))
                        .contains("The certificate for soon.example.com expires in"));
            } catch (AssertionError failed) {
                Path shot = Files.write(Path.of("target", "StatusPageTest-tls.png"), browser.screenshot());
                failed.addSuppressed(new AssertionError("the page as it was: " + shot.toAbsolutePath()));
                throw failed;
            }
        }
    }
}
