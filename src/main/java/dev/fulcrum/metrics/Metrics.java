package dev.fulcrum.metrics;

import dev.fulcrum.config.ReloadStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import dev.fulcrum.config.ServerCertificate;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Fulcrum's registry and the meters that are not a backend's: config reloads, client connections, the build, and
 * Micrometer's JVM and process binders. A backend's meters are created here by pool and URL and live as long as
 * that backend is configured; once a removed backend has drained, its series go at the next scrape, so that
 * dashboards show only what serves. Every backend series carries {@code pool} and {@code backend}.
 */
public final class Metrics implements AutoCloseable {

    /** The {@code backend} of the responses Fulcrum gives itself: no healthy backend, a bad request, no route. */
    public static final String NO_BACKEND = "none";
    /** The {@code pool} of Fulcrum's own answers to requests that never reached one: a bad request, no route. */
    public static final String NO_POOL = "none";
    public static final String OPENMETRICS = "application/openmetrics-text";

    private final MeterRegistry registry;
    private final PrometheusMeterRegistry prometheus;
    private final Map<String, BackendMeters> backends = new ConcurrentHashMap<>();
    /** Removed from the config, kept until their last request is answered. */
    private final Map<String, BackendMeters> retiring = new ConcurrentHashMap<>();
    /** Fulcrum's own answers, by the pool the request was routed to (no healthy backend there) or {@link #NO_POOL}. */
    private final Map<String, BackendMeters> none = new ConcurrentHashMap<>();
    private final Counter reloadsApplied;
    private final Counter reloadsRefused;
    private final Counter accessLogDropped;
    private final JvmGcMetrics gc;
    private volatile boolean lastReloadSucceeded = true;
    /** The HTTPS listener's certificates by name, and the gauge of each one's end of validity. */
    private final Map<String, Instant> certificateExpiries = new ConcurrentHashMap<>();
    private final Map<String, Gauge> certificateGauges = new ConcurrentHashMap<>();

    private Metrics(MeterRegistry registry, PrometheusMeterRegistry prometheus) {
        this.registry = registry;
        this.prometheus = prometheus;
        this.reloadsApplied = reloads("applied");
        this.reloadsRefused = reloads("refused");
        this.accessLogDropped = Counter.builder("fulcrum.access.log.dropped")
                .description("Access-log lines lost because the writer could not keep up or the file could not be written")
                .register(registry);
        this.gc = prometheus == null ? null : new JvmGcMetrics();
    }

    /**
     * The registry a running Fulcrum exposes on {@code /metrics}; {@code reloadStatus}, {@code clientConnections}
     * are read at each scrape.
     */
    public static Metrics prometheus(String version, Supplier<ReloadStatus> reloadStatus, IntSupplier clientConnections) {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Metrics metrics = new Metrics(prometheus, prometheus);
        Gauge.builder("fulcrum.build.info", () -> 1).tag("version", version)
                .description("Always 1; the version is in its label").register(prometheus);
        Gauge.builder("fulcrum.client.connections", clientConnections::getAsInt)
                .description("Client connections open now, on every listener").register(prometheus);
        Gauge.builder("fulcrum.config.generation", () -> reloadStatus.get().generation())
                .description("The serving config's generation: 1 for the file Fulcrum started with, +1 per applied edit")
                .register(prometheus);
        Gauge.builder("fulcrum.config.last.reload.successful", metrics, m -> m.lastReloadSucceeded ? 1 : 0)
                .description("1 if the last edit of the config was applied (or none was made), 0 if it was refused")
                .register(prometheus);
        Gauge.builder("fulcrum.config.last.reload.success.timestamp", () -> reloadStatus.get().appliedAt().toEpochMilli() / 1e3)
                .baseUnit("seconds").description("When the serving config was applied (Unix time)").register(prometheus);
        new ClassLoaderMetrics().bindTo(prometheus);
        new JvmMemoryMetrics().bindTo(prometheus);
        metrics.gc.bindTo(prometheus);
        new JvmThreadMetrics().bindTo(prometheus);
        new ProcessorMetrics().bindTo(prometheus);
        new UptimeMetrics().bindTo(prometheus);
        new FileDescriptorMetrics().bindTo(prometheus);
        return metrics;
    }

    /** Meters that count into nothing, for backends made outside a running Fulcrum (selection tests, benchmarks). */
    public static Metrics nowhere() {
        return new Metrics(new CompositeMeterRegistry(), null);
    }

    private Counter reloads(String result) {
        return Counter.builder("fulcrum.config.reloads").tag("result", result)
                .description("Edits of the config file (or SIGHUP) by outcome").register(registry);
    }

    /** The meters of the backend at {@code url} in {@code pool}; the same ones again when it is configured again. */
    public BackendMeters backend(String pool, String url, IntSupplier inFlight, BooleanSupplier up) {
        String key = key(pool, url);
        BackendMeters returning = retiring.remove(key);
        if (returning != null) {
            backends.put(key, returning);
        }
        BackendMeters meters = backends.computeIfAbsent(key, k -> new BackendMeters(registry, pool, url, inFlight, up));
        meters.rebind(inFlight, up);
        return meters;
    }

    /** The backend at {@code url} in {@code pool} is no longer configured: its series go once it has drained. */
    public void retire(String pool, String url) {
        String key = key(pool, url);
        BackendMeters meters = backends.remove(key);
        if (meters != null) {
            retiring.put(key, meters);
        }
    }

    private static String key(String pool, String url) {
        return pool + ' ' + url;
    }

    /** The meters of the responses no backend answered, to requests that reached no pool. */
    public BackendMeters none() {
        return none(NO_POOL);
    }

    /** The meters of every response no backend answered, whatever its pool: the status page's totals. */
    public Collection<BackendMeters> allNone() {
        return List.copyOf(none.values());
    }

    /** The meters of the responses no backend answered, to requests routed to {@code pool}. */
    public BackendMeters none(String pool) {
        return none.computeIfAbsent(pool, name -> new BackendMeters(registry, name, NO_BACKEND, null, null));
    }

    /**
     * Client requests answered, by protocol ({@code HTTP/1.0}, {@code HTTP/1.1}, {@code HTTP/2.0}, in Vert.x's
     * {@code HttpVersion} order), then plain (0) or HTTPS (1): made once, indexed by the caller without a lookup.
     */
    public Counter[][] clientRequestCounters() {
        String[] protocols = {"HTTP/1.0", "HTTP/1.1", "HTTP/2.0"};
        Counter[][] counters = new Counter[protocols.length][2];
        for (int i = 0; i < protocols.length; i++) {
            for (int tls = 0; tls < 2; tls++) {
                counters[i][tls] = Counter.builder("fulcrum.client.requests").tag("protocol", protocols[i])
                        .tag("scheme", tls == 1 ? "https" : "http")
                        .description("Client requests answered, by protocol and listener").register(registry);
            }
        }
        return counters;
    }

    /** The HTTPS listener serves {@code certificates} now (none without one): each one's expiry is a gauge. */
    public synchronized void certificates(List<ServerCertificate> certificates) {
        Map<String, Instant> serving = new HashMap<>();
        certificates.forEach(certificate -> serving.putIfAbsent(certificate.name(), certificate.notAfter()));
        certificateExpiries.putAll(serving);
        certificateGauges.keySet().removeIf(name -> {
            if (serving.containsKey(name)) {
                return false;
            }
            registry.remove(certificateGauges.get(name));
            certificateExpiries.remove(name);
            return true;
        });
        serving.keySet().forEach(name -> certificateGauges.computeIfAbsent(name, named ->
                Gauge.builder("fulcrum.tls.certificate.expiry.timestamp", certificateExpiries,
                                expiries -> expiries.getOrDefault(named, Instant.EPOCH).getEpochSecond())
                        .baseUnit("seconds").tag("name", named)
                        .description("When the certificate the HTTPS listener serves for this name expires (Unix time)")
                        .register(registry)));
    }

    /** A certificate change was applied to the HTTPS listener, or refused (the old pair keeps serving). */
    public void certificateReload(boolean applied) {
        Counter.builder("fulcrum.tls.certificate.reloads").tag("result", applied ? "applied" : "refused")
                .description("Changes of the HTTPS listener's certificate or key files, by outcome").register(registry)
                .increment();
    }

    public void accessLogLineDropped() {
        accessLogDropped.increment();
    }

    public void reloadApplied() {
        lastReloadSucceeded = true;
        reloadsApplied.increment();
    }

    public void reloadRefused() {
        lastReloadSucceeded = false;
        reloadsRefused.increment();
    }

    /**
     * The exposition, in OpenMetrics 1.0 when {@code accept} asks for it, else Prometheus text 0.0.4: returns the
     * content type and the body. Blocks for as long as the registry takes to render: call it off the event loops.
     */
    public Scrape scrape(String accept) {
        removeDrained();
        String type = accept != null && accept.contains(OPENMETRICS)
                ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                : "text/plain; version=0.0.4; charset=utf-8";
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        try {
            prometheus.scrape(out, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Scrape(type, out.toByteArray());
    }

    public record Scrape(String contentType, byte[] body) {
    }

    private void removeDrained() {
        retiring.forEach((key, meters) -> {
            if (meters.inFlight() == 0 && retiring.remove(key, meters)) {
                meters.retired();
                registry.getMeters().stream()
                        .filter(meter -> meters.backend().equals(meter.getId().getTag("backend"))
                                && meters.pool().equals(meter.getId().getTag("pool")))
                        .forEach(registry::remove);
            }
        });
    }

    @Override
    public void close() {
        if (gc != null) {
            gc.close();
        }
        registry.close();
    }
}
