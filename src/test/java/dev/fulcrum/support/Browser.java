package dev.fulcrum.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Assumptions;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real headless Chromium, driven through chromedriver's W3C WebDriver HTTP API with the JDK's HTTP client:
 * no Selenium, only the protocol (https://www.w3.org/TR/webdriver2/). Every call is bounded in time.
 */
public final class Browser implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);
    private static final Pattern STARTED = Pattern.compile("ChromeDriver was started successfully on port (\\d+)");

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(CALL_TIMEOUT).build();

    private final Process driver;
    /** {@code http://127.0.0.1:port/session/id} */
    private final String session;

    private Browser(Process driver, String session) {
        this.driver = driver;
        this.session = session;
    }

    /**
     * A browser with a {@code width} x {@code height} window. Without Debian's {@code chromium} and
     * {@code chromium-driver} the test is skipped, but under {@code CI=true} it fails: CI must run it.
     */
    public static Browser start(int width, int height) {
        Optional<Path> chromium = onPath("chromium");
        Optional<Path> chromedriver = onPath("chromedriver");
        if (chromium.isEmpty() || chromedriver.isEmpty()) {
            String missing = "chromium and chromedriver must be on the PATH (apt-get install chromium chromium-driver)";
            if ("true".equals(System.getenv("CI"))) {
                fail(missing + "; under CI=true the browser test does not skip");
            }
            Assumptions.abort(missing + ": skipping the browser test");
        }
        Process driver = startDriver(chromedriver.get());
        try {
            String base = "http://127.0.0.1:" + port(driver) + "/session";
            JsonObject options = new JsonObject().put("binary", chromium.get().toString()).put("args", new JsonArray()
                    .add("--headless=new").add("--no-sandbox").add("--disable-dev-shm-usage").add("--disable-gpu")
                    .add("--no-first-run").add("--disable-background-networking").add("--disable-component-update")
                    .add("--disable-extensions").add("--hide-scrollbars").add("--window-size=" + width + "," + height));
            JsonObject capabilities = new JsonObject().put("alwaysMatch", new JsonObject()
                    .put("browserName", "chrome").put("goog:chromeOptions", options)
                    .put("timeouts", new JsonObject().put("script", CALL_TIMEOUT.toMillis()).put("pageLoad", CALL_TIMEOUT.toMillis())));
            JsonObject created = call("POST", URI.create(base), new JsonObject().put("capabilities", capabilities), START_TIMEOUT);
            return new Browser(driver, base + "/" + created.getJsonObject("value").getString("sessionId"));
        } catch (RuntimeException | Error e) {
            stop(driver);
            throw e;
        }
    }

    /** Navigates and waits for the page to load. */
    public void open(String url) {
        call("POST", "url", new JsonObject().put("url", url));
    }

    /** Runs {@code script} (a function body: {@code return ...} gives its value) in the page. */
    public Object run(String script) {
        return call("POST", "execute/sync", new JsonObject().put("script", script).put("args", new JsonArray()))
                .getValue("value");
    }

    /** The visible viewport as PNG. */
    public byte[] screenshot() {
        return Base64.getDecoder().decode(call("GET", "screenshot", null).getString("value"));
    }

    @Override
    public void close() {
        try {
            call("DELETE", "", null);
        } finally {
            stop(driver);
        }
    }

    private JsonObject call(String method, String path, JsonObject body) {
        return call(method, URI.create(path.isEmpty() ? session : session + "/" + path), body, CALL_TIMEOUT);
    }

    private static JsonObject call(String method, URI uri, JsonObject body, Duration timeout) {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).header("content-type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.encode()))
                .build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            JsonObject answer = new JsonObject(response.body());
            if (response.statusCode() != 200) {
                throw new AssertionError("WebDriver " + method + " " + uri + ": " + answer.getValue("value"));
            }
            return answer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static Process startDriver(Path chromedriver) {
        try {
            return new ProcessBuilder(chromedriver.toString(), "--port=0").redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads the port chromedriver chose from its first lines, then keeps draining them so that it never blocks. */
    private static int port(Process driver) {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        StringBuilder said = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    Matcher started = STARTED.matcher(line);
                    if (started.find()) {
                        port.complete(Integer.parseInt(started.group(1)));
                    } else if (!port.isDone()) {
                        said.append(line).append('\n');
                    }
                }
            } catch (IOException ignored) {
                // the process ended: the port future below says so
            }
            port.completeExceptionally(new IllegalStateException("chromedriver ended: " + said));
        }, "chromedriver-output");
        reader.setDaemon(true);
        reader.start();
        try {
            return port.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("chromedriver did not start within " + START_TIMEOUT.toSeconds() + " s: " + said, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Stops chromedriver and any browser it left behind: the processes this class started. */
    private static void stop(Process driver) {
        driver.descendants().forEach(ProcessHandle::destroy);
        driver.destroy();
        try {
            if (!driver.waitFor(5, TimeUnit.SECONDS)) {
                driver.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Optional<Path> onPath(String command) {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(File.pathSeparator)).map(dir -> Path.of(dir, command))
                .filter(Files::isExecutable).findFirst();
    }
}
