package dev.fulcrum.app;

import dev.fulcrum.config.ConfigException;
import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.GoDuration;
import dev.fulcrum.config.IoTransport;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;

import sun.misc.Signal;

import io.vertx.core.Handler;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/**
 * {@code java -jar fulcrum.jar [check [--diff]] [--config PATH]}: exit code 2 for a usage or config mistake, 1 if
 * it cannot start (or {@code check --diff} cannot ask the running instance).
 */
public final class Main {

    static final int EXIT_CANNOT_START = 1;
    static final int EXIT_USAGE = 2;
    /** Not an exit code: {@link #run} has started Fulcrum, which serves on its event loops from now on. */
    static final int SERVING = -1;
    /** Threads for the little Fulcrum does off the event loops; see {@link #vertx}. */
    private static final int MIN_BLOCKING_THREADS = 2;
    /** Enough to load every class of the request path into the class-data archive. */
    private static final int ARCHIVE_WARM_UP_REQUESTS = 500;
    private static final String USAGE = """
            usage: fulcrum [--config PATH]               run with PATH (default conf/config.json)
                   fulcrum check [--config PATH]         check PATH and exit: 0 if it is valid, 2 and its mistake if not
                   fulcrum check --diff [--config PATH]  and say what reloading PATH would change in the instance
                                                         running at its adminPort (1 if it cannot be asked)
                   fulcrum --warm-up                     run once on loopback and exit (to record a class-data archive)""";

    private Main() {
    }

    public static void main(String[] args) {
        RuntimeDefaults.apply(System.getProperties());
        LogFormat.install();
        OutOfMemoryExit.install();
        int status = run(args, System.out, System.err);
        if (status != SERVING) {
            System.exit(status);
        }
    }

    /** What {@link #main} does, but exit: returns the exit code, or {@link #SERVING} once Fulcrum has started. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Command command;
        try {
            command = Command.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("fulcrum: " + e.getMessage() + "\n" + USAGE);
            return EXIT_USAGE;
        }
        return switch (command.action()) {
            case HELP -> {
                out.println(USAGE);
                yield 0;
            }
            case WARM_UP -> recordArchive(err);
            case CHECK -> ConfigCheck.run(command.config(), command.diff(), out, err);
            case START -> start(command.config(), err);
        };
    }

    /** The text of a config file and the snapshot parsed from it. */
    record Loaded(String text, FulcrumConfig config) {
    }

    /**
     * Reads and parses {@code path}; a mistake in it is one line on {@code err} and an empty result. A start and
     * {@code check} both load through here, so that they judge a file alike and say so in the same words.
     */
    static Optional<Loaded> load(Path path, PrintStream err) {
        try {
            String text = ConfigParser.read(path);
            return Optional.of(new Loaded(text, ConfigParser.parse(text)));
        } catch (ConfigException e) {
            err.println("fulcrum: " + path + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    private static int start(Path configPath, PrintStream err) {
        Logger log = Logger.getLogger("fulcrum");
        Optional<Loaded> loaded = load(configPath, err);
        if (loaded.isEmpty()) {
            return EXIT_USAGE;
        }
        String configText = loaded.get().text();
        FulcrumConfig config = loaded.get().config();

        int eventLoops = Runtime.getRuntime().availableProcessors();
        Transports.Started started;
        try {
            PortCheck.bothFree(config);
            started = Transports.start(config.transport(), transport -> vertx(eventLoops, transport));
        } catch (IllegalStateException e) {
            err.println("fulcrum: cannot start: " + e.getMessage());
            return EXIT_CANNOT_START;
        }
        Vertx vertx = started.vertx();
        AtomicReference<Fulcrum> running = new AtomicReference<>();
        handleSignals(vertx, running, configPath);
        Fulcrum fulcrum;
        // Starting waits for the first probe of every backend, which may take up to the probe timeout.
        long startSeconds = 30 + config.longestProbeTimeout().toSeconds();
        try {
            fulcrum = Fulcrum.start(vertx, config, configText, eventLoops, !config.warmUp().isZero())
                    .toCompletionStage().toCompletableFuture().get(startSeconds, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            err.println("fulcrum: cannot start: " + (cause instanceof TimeoutException
                    ? "not listening after " + startSeconds + " s" : cause.getMessage()));
            vertx.close();
            return EXIT_CANNOT_START;
        }
        running.set(fulcrum);
        config.warnings().forEach(warning -> log.warning("config: " + warning));
        fulcrum.watch(configPath);
        log.info(() -> "listening on " + config.listen().host() + ":" + fulcrum.port()
                + (config.tls() == null ? "" : ", HTTPS on " + config.tls().listen().host() + ":" + fulcrum.tlsPort())
                + " (admin on " + config.admin().host() + ":" + fulcrum.adminPort() + "), "
                + ConfigCheck.serving(config)
                + " (" + eventLoops + " event loop(s), " + started.transport().name()
                + started.passedOver().stream().map(why -> "; " + why).collect(Collectors.joining()) + ")");
        if (!config.warmUp().isZero()) {
            warmUp(fulcrum, config, configText, started.transport());
        }
        return SERVING;
    }

    /**
     * On the main thread, which has nothing else to do by now. Readiness stays DOWN meanwhile, and the listener
     * serves whatever comes all the same. A warm-up that fails costs only the speed of the first requests.
     */
    private static void warmUp(Fulcrum fulcrum, FulcrumConfig config, String configText, Transport transport) {
        Logger log = Logger.getLogger("fulcrum");
        Duration budget = config.warmUp();
        log.info(() -> "warming up: readiness stays DOWN until " + WarmUp.REQUESTS + " requests have gone through"
                + " a private copy of the balancer, sending for at most " + GoDuration.format(budget) + " (warmUp)");
        Vertx vertx = null;
        try {
            vertx = vertx(1, transport);
            WarmUp.Result result = WarmUp.run(vertx, new JsonObject(configText), WarmUp.REQUESTS, budget,
                    fulcrum::requestsReceived, fulcrum::shuttingDown);
            String took = GoDuration.format(Duration.ofMillis(result.took().toMillis()));
            String readiness = "; readiness follows the backends now";
            switch (result.end()) {
                case COMPLETE -> log.info("warmed up in " + took + readiness);
                case OUT_OF_TIME -> log.info("warm-up stopped at its limit of " + GoDuration.format(budget)
                        + " after " + result.requests() + " requests" + readiness);
                case REAL_TRAFFIC -> log.info("warm-up stopped after " + took + ": real requests came before"
                        + " readiness (" + WarmUp.REAL_TRAFFIC_REQUESTS + " or more) and warm the JIT themselves"
                        + readiness);
                case STOPPING -> { } // the shutdown says what happens now
            }
        } catch (Exception e) {
            log.warning("warm-up failed (" + e + "); readiness follows the backends now, and the first requests"
                    + " are served as the JIT compiles");
        } finally {
            fulcrum.warmedUp();
            if (vertx != null) {
                vertx.close();
            }
        }
    }

    /**
     * One event loop per core. Off the event loops Fulcrum only parses a new config (worker pool) and, in Vert.x's
     * internal pool, reads the config file on each scan and builds the TLS context of each https backend's pool
     * (one per event loop). Vert.x's pools of 20 grow a thread per task until all 20 exist, idle or not, and
     * every thread adds to each garbage collection's pause; so two workers, and one internal thread per event
     * loop (at least two) for the TLS contexts built at a start or reload. Reads are bounded ({@link BoundedReads}).
     */
    static Vertx vertx(int eventLoops, Transport transport) {
        VertxOptions options = new VertxOptions().setEventLoopPoolSize(eventLoops)
                .setWorkerPoolSize(MIN_BLOCKING_THREADS)
                .setInternalBlockingPoolSize(Math.max(MIN_BLOCKING_THREADS, eventLoops));
        return Vertx.builder().with(options).withTransport(BoundedReads.of(transport)).build();
    }

    /**
     * Installed before anything listens, so that no signal ever meets the JVM's defaults (which would end the
     * process on SIGHUP). SIGHUP re-reads the config; SIGUSR1 reopens the access log (after logrotate); SIGTERM or
     * SIGINT drains and exits 0, and a second one exits at once.
     */
    private static void handleSignals(Vertx vertx, AtomicReference<Fulcrum> running, Path configPath) {
        Logger log = Logger.getLogger("fulcrum");
        Signal.handle(new Signal("HUP"), signal -> {
            Fulcrum fulcrum = running.get();
            if (fulcrum != null) {
                log.info("SIGHUP: re-reading " + configPath);
                fulcrum.rescan();
            }
        });
        Signal.handle(new Signal("USR1"), signal -> {
            Fulcrum fulcrum = running.get();
            if (fulcrum != null) {
                log.info("SIGUSR1: reopening the access log");
                fulcrum.reopenAccessLog();
            }
        });
        AtomicBoolean stopping = new AtomicBoolean();
        Handler<Signal> stop = signal -> {
            if (!stopping.compareAndSet(false, true)) {
                log.warning("SIG" + signal.getName() + " again: exiting now");
                Runtime.getRuntime().halt(128 + signal.getNumber());
                return;
            }
            Fulcrum fulcrum = running.get();
            if (fulcrum == null) {
                System.exit(128 + signal.getNumber());
                return;
            }
            new Thread(() -> shutDown(fulcrum, vertx, "SIG" + signal.getName()), "fulcrum-shutdown").start();
        };
        Signal.handle(new Signal("TERM"), stop::handle);
        Signal.handle(new Signal("INT"), stop::handle);
    }

    /** Off the signal thread and off every event loop: waits for the drain, then exits 0. */
    private static void shutDown(Fulcrum fulcrum, Vertx vertx, String cause) {
        Logger log = Logger.getLogger("fulcrum");
        log.info(cause + ": stopping gracefully (send it again to exit at once)");
        int status = 0;
        try {
            long limit = fulcrum.config().shutdownDelay().plus(fulcrum.config().shutdownTimeout()).toSeconds() + 10;
            fulcrum.shutdown().toCompletionStage().toCompletableFuture().get(limit, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.warning("did not stop cleanly: " + e);
            status = 1;
        }
        System.exit(status);
    }

    /** {@code --warm-up}: a default config's balancer run once on loopback, for scripts/java-options.sh's archive. */
    private static int recordArchive(PrintStream err) {
        try {
            // The transport a default config would run on here, so that its classes are in the archive.
            Vertx vertx = Transports.start(IoTransport.AUTO, transport -> vertx(1, transport)).vertx();
            WarmUp.Result result = WarmUp.run(vertx, new JsonObject(), ARCHIVE_WARM_UP_REQUESTS,
                    Duration.ofSeconds(30), () -> Future.succeededFuture(0L), () -> false);
            if (result.end() != WarmUp.End.COMPLETE) {
                err.println("fulcrum: warm-up answered " + result.requests() + " of "
                        + ARCHIVE_WARM_UP_REQUESTS + " requests in " + result.took());
                return EXIT_CANNOT_START;
            }
            return 0;
        } catch (Exception e) {
            err.println("fulcrum: warm-up failed: " + e);
            return EXIT_CANNOT_START;
        }
    }
}
