package dev.fulcrum.support;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.PfxOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Certificates as a real deployment has them, made with the JDK's keytool: two CAs, and leaves one of them signs.
 * Made once per test JVM, when a test first asks.
 *
 * @param caA the PEM of CA A
 * @param caB the PEM of CA B
 * @param goodLeaf signed by A, naming localhost, {@link #SNI_HOST}, {@link #SHORT_HOST}, 127.0.0.1 and ::1
 * @param expiredLeaf signed by A, naming localhost and 127.0.0.1, expired eight days ago
 * @param otherCaLeaf signed by B, naming localhost and 127.0.0.1
 */
public record TestPki(Path caA, Path caB, Path goodLeaf, Path expiredLeaf, Path otherCaLeaf) {

    /** The password of every key store (the leaves are PKCS#12 stores with their key and chain). */
    public static final String PASSWORD = "changeit";
    public static final String SNI_HOST = "api.fulcrum.test";
    /** A single-label name, as Docker Compose and Kubernetes short service names are. */
    public static final String SHORT_HOST = "payments";

    /** Under way or made; a failed attempt is made again by the next caller. */
    private static CompletableFuture<TestPki> making;

    /**
     * The certificates, made on first use. They are made on a thread of its own: a test that times out waiting
     * for them leaves the work going for the next test, instead of every test starting it over.
     */
    public static TestPki get() {
        CompletableFuture<TestPki> pki;
        synchronized (TestPki.class) {
            if (making == null || making.isCompletedExceptionally()) {
                making = CompletableFuture.supplyAsync(TestPki::make, work -> {
                    Thread thread = new Thread(work, "test-pki");
                    thread.setDaemon(true);
                    thread.start();
                });
            }
            pki = making;
        }
        try {
            return pki.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the test certificates are being made", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot make the test certificates", e.getCause());
        }
    }

    /** The key and chain of a leaf, for an https server. */
    public static PfxOptions keyCert(Path leaf) {
        return new PfxOptions().setPath(leaf.toString()).setPassword(PASSWORD);
    }

    /**
     * Runs {@link InOneJvm} in a JVM of its own, where keytool's classes may be called: started as a command,
     * keytool would start a JVM for each of its sixteen steps, half a minute on a busy machine.
     */
    private static TestPki make() {
        try {
            Path pki = Files.createTempDirectory("fulcrum-test-pki");
            Path classes = Path.of(InOneJvm.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--add-exports", "java.base/sun.security.tools.keytool=ALL-UNNAMED",
                    // A short-lived JVM: no need for the optimising compiler or a parallel collector.
                    "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-cp", classes.toString(), InOneJvm.class.getName(), pki.toString());
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + ": " + new String(output, StandardCharsets.UTF_8));
            }
            TestPki made = new TestPki(pki.resolve("ca-a.pem"), pki.resolve("ca-b.pem"), pki.resolve("good.p12"),
                    pki.resolve("expired.p12"), pki.resolve("other.p12"));
            warmUp(made);
            return made;
        } catch (Exception e) {
            throw new IllegalStateException("cannot make the test certificates", e);
        }
    }

    /**
     * One https exchange on loopback with the good leaf, trusting CA A, through Vert.x. A JVM's first ones load
     * and compile the whole TLS stack: on a busy machine that took longer than the 3 s probe timeouts some tests
     * give their https backends, whose first probe then failed.
     */
    private static void warmUp(TestPki pki) {
        Vertx vertx = Vertx.vertx();
        try {
            HttpServer server = vertx.createHttpServer(new HttpServerOptions().setSsl(true).setKeyCertOptions(keyCert(pki.goodLeaf())))
                    .requestHandler(req -> req.response().end("warm"))
                    .listen(0, "127.0.0.1").await();
            HttpClient client = vertx.createHttpClient(new HttpClientOptions().setSsl(true)
                    .setTrustOptions(new PemTrustOptions().addCertPath(pki.caA().toString())));
            client.request(HttpMethod.GET, server.actualPort(), "localhost", "/")
                    .compose(req -> req.send())
                    .compose(resp -> resp.body())
                    .await();
        } finally {
            vertx.close().await();
        }
    }

    /** keytool's steps, called in one process; {@code main} makes every file of a {@link TestPki} in {@code args[0]}. */
    public static final class InOneJvm {

        private InOneJvm() {
        }

        public static void main(String[] args) throws Exception {
            Path pki = Path.of(args[0]);
            ca(pki, "a");
            ca(pki, "b");
            leaf(pki, "good", "ca-a", "dns:localhost,dns:" + SNI_HOST + ",dns:" + SHORT_HOST
                    + ",ip:127.0.0.1,ip:0:0:0:0:0:0:0:1", null, 30);
            leaf(pki, "expired", "ca-a", "dns:localhost,ip:127.0.0.1", "-10d", 2);
            leaf(pki, "other", "ca-b", "dns:localhost,ip:127.0.0.1", null, 30);
        }

        private static void ca(Path pki, String name) throws Exception {
            Path store = pki.resolve("ca-" + name + ".p12");
            keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=Fulcrum Review CA " + name, "-ext", "bc:c", "-validity", "30",
                    "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
            keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", store.toString(), "-storepass", PASSWORD,
                    "-file", pki.resolve("ca-" + name + ".pem").toString());
        }

        private static void leaf(Path pki, String name, String ca, String san, String startDate, int validityDays)
                throws Exception {
            Path store = pki.resolve(name + ".p12");
            keytool("-genkeypair", "-alias", "leaf", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                    "-validity", "30", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
            Path csr = pki.resolve(name + ".csr");
            keytool("-certreq", "-alias", "leaf", "-keystore", store.toString(), "-storepass", PASSWORD, "-file", csr.toString());
            Path cert = pki.resolve(name + ".pem");
            List<String> gencert = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore",
                    pki.resolve(ca + ".p12").toString(), "-storepass", PASSWORD, "-infile", csr.toString(),
                    "-outfile", cert.toString(), "-rfc", "-ext", "SAN=" + san, "-validity", String.valueOf(validityDays)));
            if (startDate != null) {
                gencert.add("-startdate");
                gencert.add(startDate);
            }
            keytool(gencert.toArray(String[]::new));
            Path chain = pki.resolve(name + "-chain.pem");
            Files.writeString(chain, Files.readString(cert) + Files.readString(pki.resolve(ca + ".pem")));
            keytool("-importcert", "-noprompt", "-alias", "leaf", "-file", chain.toString(), "-keystore", store.toString(),
                    "-storepass", PASSWORD);
        }

        /** keytool's own entry point, which exits the JVM with a non-zero status when a step fails. */
        private static void keytool(String... args) throws Exception {
            Class.forName("sun.security.tools.keytool.Main").getMethod("main", String[].class).invoke(null, (Object) args);
        }
    }
}
