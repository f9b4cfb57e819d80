package dev.fulcrum.app;

import dev.fulcrum.config.ConfigException;
import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.config.FulcrumConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import sun.misc.Signal;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import java.util.stream.Collectors;

/** {@code java -jar fulcrum.jar [--config PATH]}: exit code 2 for a usage or config mistake, 1 if it cannot start. */
public final class Main {

    static final int EXIT_CANNOT_START = 1;
    static final int EXIT_USAGE = 2;
    private static final String USAGE = "usage: fulcrum [--config PATH]   (default conf/config.json)";

    private Main() {
    }

    public static void main(String[] args) {
        Logging.configure();
        Logger log = Logger.getLogger("fulcrum");
        Path configPath = parseArguments(args);
        FulcrumConfig config;
        try {
            config = ConfigParser.load(configPath);
        } catch (ConfigException e) {
            System.err.println("fulcrum: " + configPath + ": " + e.getMessage());
            System.exit(EXIT_USAGE);
            return;
        }

        int eventLoops = Runtime.getRuntime().availableProcessors();
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops).setPreferNativeTransport(true));
        Fulcrum fulcrum;
        try {
            fulcrum = Fulcrum.start(vertx, config, eventLoops)
                    .compose(started -> started.watch(configPath).map(started))
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            System.err.println("fulcrum: cannot start on " + config.listen() + ": " + cause.getMessage());
            vertx.close();
            System.exit(EXIT_CANNOT_START);
            return;
        }
        log.info(() -> "listening on " + config.listen().host() + ":" + fulcrum.port()
                + ", least-busy over " + config.servers().size() + " backend(s): "
                + config.servers().stream().map(Object::toString).collect(Collectors.joining(", "))
                + " (" + eventLoops + " event loop(s), " + (vertx.isNativeTransportEnabled() ? "epoll" : "nio") + ")");

        Signal.handle(new Signal("HUP"), signal -> {
            log.info("SIGHUP: re-reading " + configPath);
            fulcrum.rescan();
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping");
            try {
                fulcrum.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warning("did not stop cleanly: " + e);
            }
        }, "fulcrum-shutdown"));
    }

    private static Path parseArguments(String[] args) {
        Path config = Path.of("conf", "config.json");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config", "-c" -> {
                    if (i + 1 == args.length) {
                        usageError("--config needs a path");
                    }
                    config = Path.of(args[++i]);
                }
                case "--help", "-h" -> {
                    System.out.println(USAGE);
                    System.exit(0);
                }
                default -> usageError("unknown argument " + args[i]);
            }
        }
        return config;
    }

    private static void usageError(String problem) {
        System.err.println("fulcrum: " + problem + "\n" + USAGE);
        System.exit(EXIT_USAGE);
    }
}
