package dev.fulcrum.app;

import dev.fulcrum.config.ConfigException;
import dev.fulcrum.config.ConfigParser;
import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.GoDuration;
import dev.fulcrum.config.ListenAddress;

import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code fulcrum check [--diff]}: judges a config file as a start would, and starts nothing (no event loop, no
 * listener). With {@code --diff}, asks the instance running with the file's {@code adminPort} for its config
 * ({@code GET /config}) and says what a reload of the file would change, in the words of the reload log line.
 */
final class ConfigCheck {

    static final int EXIT_CANNOT_ASK = 1;
    /** The admin server answers from an event loop of its own: an instance that takes longer is in trouble. */
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);

    private ConfigCheck() {
    }

    static int run(Path file, boolean diff, PrintStream out, PrintStream err) {
        Optional<Main.Loaded> loaded = Main.load(file, err);
        if (loaded.isEmpty()) {
            return Main.EXIT_USAGE;
        }
        FulcrumConfig next = loaded.get().config();
        next.warnings().forEach(warning -> out.println("warning: " + warning));
        if (!diff) {
            out.println("config OK: " + summary(next));
            return 0;
        }
        return diff(next, out, err);
    }

    private static int diff(FulcrumConfig next, PrintStream out, PrintStream err) {
        URI running = URI.create("http://" + reachable(next.admin()) + "/config");
        HttpResponse<String> answer;
        try {
            answer = fetch(running);
        } catch (IOException e) {
            err.println("fulcrum: cannot reach the running instance at " + running + ": " + reason(e));
            return EXIT_CANNOT_ASK;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("fulcrum: interrupted while asking the running instance at " + running);
            return EXIT_CANNOT_ASK;
        }
        if (answer.statusCode() != 200) {
            err.println("fulcrum: " + running + " answered HTTP " + answer.statusCode() + " instead of the running"
                    + " config (is it the admin port of a Fulcrum that has GET /config?)");
            return EXIT_CANNOT_ASK;
        }
        FulcrumConfig previous;
        try {
            // Parsed here as the file is, so that defaults taken from the host (maxConnections) compare alike.
            previous = ConfigParser.parse(answer.body());
        } catch (ConfigException e) {
            err.println("fulcrum: the running instance at " + running + " serves a config that does not parse here: "
                    + e.getMessage());
            return EXIT_CANNOT_ASK;
        }
        out.println(previous.equals(next) ? "no changes" : ConfigChanges.describe(previous, next));
        Fulcrum.restartNeeded(previous, next).ifPresent(why -> out.println("a reload would refuse this: " + why));
        return 0;
    }

    /**
     * "3 servers, least-busy, listening on :8080, admin on :9901, health checks every 5s"; with pools or routes,
     * each pool's servers and policy, and the number of routes.
     */
    private static String summary(FulcrumConfig config) {
        if (config.routes().isEmpty() && config.pools().size() == 1) {
            int servers = config.serverCount();
            return servers + (servers == 1 ? " server, " : " servers, ") + config.algorithm()
                    + ", listening on " + shown(config.listen()) + https(config) + ", admin on " + shown(config.admin())
                    + ", health checks every " + GoDuration.format(config.healthCheckInterval());
        }
        return serving(config) + ", listening on " + shown(config.listen()) + https(config) + ", admin on " + shown(config.admin());
    }

    /** ", HTTPS on :8443 (2 certificates)", or nothing without an HTTPS listener. */
    private static String https(FulcrumConfig config) {
        if (config.tls() == null) {
            return "";
        }
        int certificates = config.tls().certificates().size();
        return ", HTTPS on " + shown(config.tls().listen()) + " (" + certificates
                + (certificates == 1 ? " certificate)" : " certificates)");
    }

    /**
     * What serves, for the startup line: "least-busy over 3 backend(s): http://a, ..." for the one pool of a
     * config without routes; else "2 routes over pools api (least-busy, 3 servers), static (round-robin, 1 server)".
     */
    static String serving(FulcrumConfig config) {
        if (config.routes().isEmpty() && config.pools().size() == 1) {
            return config.algorithm() + " over " + config.serverCount() + " backend(s): "
                    + config.servers().stream().map(Object::toString).collect(Collectors.joining(", "));
        }
        int routes = config.routes().size();
        return routes + (routes == 1 ? " route" : " routes") + " over pools " + config.pools().values().stream()
                .map(pool -> pool.name() + " (" + pool.algorithm() + ", " + pool.servers().size()
                        + (pool.servers().size() == 1 ? " server)" : " servers)"))
                .collect(Collectors.joining(", "));
    }

    /** As the config says it: ":8080" for every interface. */
    private static String shown(ListenAddress address) {
        return address.host().equals(ListenAddress.ALL_INTERFACES) ? ":" + address.port() : address.toString();
    }

    /** An admin server listening on every interface listens on loopback too. */
    private static ListenAddress reachable(ListenAddress admin) {
        boolean wildcard = admin.host().equals(ListenAddress.ALL_INTERFACES) || admin.host().equals("::");
        return wildcard ? new ListenAddress("127.0.0.1", admin.port()) : admin;
    }

    private static HttpResponse<String> fetch(URI uri) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(ASK_TIMEOUT).build();
        return client.send(HttpRequest.newBuilder(uri).timeout(ASK_TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static String reason(IOException error) {
        if (error instanceof ConnectException) {
            // java.net.http reports a refused connection with no message, or the JDK's "Connection refused".
            return error.getMessage() == null || error.getMessage().equals("Connection refused")
                    ? "connection refused" : error.getMessage();
        }
        if (error instanceof HttpConnectTimeoutException) {
            return "no connection within " + GoDuration.format(ASK_TIMEOUT);
        }
        if (error instanceof HttpTimeoutException) {
            return "no answer within " + GoDuration.format(ASK_TIMEOUT);
        }
        return error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
    }
}
