package dev.fulcrum.metrics;

import dev.fulcrum.app.Fulcrum;
import dev.fulcrum.support.Balancer;
import dev.fulcrum.support.Http;
import dev.fulcrum.support.TestBackend;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** What a scraper reads: Prometheus text that promtool accepts, or OpenMetrics 1.0 when it asks for it. */
@ExtendWith(VertxExtension.class)
class PrometheusExpositionTest {

    @Test
    void promtoolFindsNothingWrongWithAnyFulcrumSeries(Vertx vertx) throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        if (!Files.isExecutable(promtool)) {
            if ("true".equals(System.getenv("CI"))) {
                fail("promtool is missing (Debian's prometheus package): .ci/run installs it");
            }
            Assumptions.abort("promtool is not installed (apt-get install prometheus)");
        }
        Fulcrum fulcrum = withTraffic(vertx);
        String text = new Http(vertx, fulcrum.adminPort()).get("/metrics").await().body();

        Process check = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        check.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        check.getOutputStream().close();
        assertTrue(check.waitFor(30, TimeUnit.SECONDS), "promtool finished");
        String complaints = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String ours = complaints.lines().filter(line -> line.contains("fulcrum_")).reduce("", (a, b) -> a + b + "\n");
        assertEquals("", ours, "promtool on Fulcrum's series");
    }

    @Test
    void anOpenMetricsScraperGetsOpenMetrics(Vertx vertx) throws IOException {
        Fulcrum fulcrum = withTraffic(vertx);
        HttpClientResponse[] response = new HttpClientResponse[1];
        String body = new Http(vertx, fulcrum.adminPort()).on(client -> client.request(HttpMethod.GET, fulcrum.adminPort(), "127.0.0.1", "/metrics")
                .compose(request -> request.putHeader("Accept", "application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5").send())
                .compose(got -> {
                    response[0] = got;
                    return got.body();
                })).await().toString();
        assertTrue(response[0].getHeader("Content-Type").startsWith("application/openmetrics-text; version=1.0.0"));
        assertTrue(body.endsWith("# EOF\n"), "an OpenMetrics exposition ends with # EOF");
        assertTrue(body.contains("# TYPE fulcrum_requests counter"));
        assertTrue(body.contains("# TYPE fulcrum_request_duration_seconds histogram"));
    }

    @Test
    void aPlainScraperGetsTextFormat004(Vertx vertx) {
        Fulcrum fulcrum = withTraffic(vertx);
        String[] type = new String[1];
        String body = new Http(vertx, fulcrum.adminPort()).on(client -> client.request(HttpMethod.GET, fulcrum.adminPort(), "127.0.0.1", "/metrics")
                .compose(request -> request.send())
                .compose(got -> {
                    type[0] = got.getHeader("Content-Type");
                    return got.body();
                })).await().toString();
        assertEquals("text/plain; version=0.0.4; charset=utf-8", type[0]);
        assertTrue(body.contains("# TYPE fulcrum_requests_total counter"));
        assertTrue(body.contains("jvm_gc_pause_seconds") || body.contains("jvm_memory_used_bytes"), "JVM binders are there");
        assertTrue(body.contains("process_cpu_usage"), "process binders are there");
    }

    private static Fulcrum withTraffic(Vertx vertx) {
        TestBackend backend = TestBackend.start(vertx, "a");
        Fulcrum fulcrum = Balancer.start(vertx, Balancer.config(backend));
        Http http = new Http(vertx, fulcrum.port());
        for (int i = 0; i < 5; i++) {
            http.get("/").await();
        }
        return fulcrum;
    }
}
