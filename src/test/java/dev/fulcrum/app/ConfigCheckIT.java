package dev.fulcrum.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code fulcrum check} as a user runs it: the shipped jar, and scripts/check.sh from another directory. */
class ConfigCheckIT {

    /** Ran what it prints: its exit code and the bytes of its two streams. */
    private record Ran(int status, byte[] out, byte[] err) {

        String stdout() {
            return new String(out, StandardCharsets.UTF_8);
        }

        String stderr() {
            return new String(err, StandardCharsets.UTF_8);
        }
    }

    @Test
    void jarChecksAFileWhosePortsAreTakenAndSaysOneLine(@TempDir Path dir) throws Exception {
        try (ServerSocket listen = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket admin = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path config = Files.writeString(dir.resolve("config.json"), """
                    {"listenPort": "127.0.0.1:%d", "adminPort": "127.0.0.1:%d", "servers": ["http://a:1", "http://b:2"]}
                    """.formatted(listen.getLocalPort(), admin.getLocalPort()));

            Ran checked = run(dir, jar("check", "--config", config.toString()));

            assertEquals(0, checked.status(), checked.stderr());
            assertEquals("config OK: 2 servers, least-busy, listening on 127.0.0.1:" + listen.getLocalPort()
                    + ", admin on 127.0.0.1:" + admin.getLocalPort() + ", health checks every 5s\n", checked.stdout());
            assertEquals("", checked.stderr());
        }
    }

    @Test
    void jarCheckOfAMistakeIsByteForByteWhatTheJarStartPrints(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("config.json"), "{\"servers\": [\"http://a:1\"], \"listenPrt\": \":80\"}");

        Ran started = run(dir, jar("--config", config.toString()));
        Ran checked = run(dir, jar("check", "--config", config.toString()));

        assertEquals(Main.EXIT_USAGE, started.status(), started.stderr());
        assertEquals(Main.EXIT_USAGE, checked.status(), checked.stderr());
        assertArrayEquals(started.err(), checked.err(), checked.stderr());
        assertTrue(checked.stderr().startsWith("fulcrum: " + config + ": listenPrt: unknown field"), checked.stderr());
        assertEquals("", checked.stdout());
    }

    @Test
    void checkScriptTakesARelativeConfigFromTheCallersDirectory(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("mine.json"), "{\"listenPort\": \":8088\", \"servers\": [\"http://a:1\"]}");
        Files.writeString(dir.resolve("broken.json"), "{\"listenPort\": \":8088\"}");
        String script = Path.of("scripts", "check.sh").toAbsolutePath().toString();

        Ran valid = run(dir, List.of(script, "--config", "mine.json"));
        Ran broken = run(dir, List.of(script, "-c", "broken.json"));

        assertEquals("", valid.stderr(), "nothing but the check (the jar is fresh: nothing to build)");
        assertEquals("config OK: 1 server, least-busy, listening on :8088, admin on :9901, health checks every 5s\n",
                valid.stdout());
        assertEquals(0, valid.status());
        assertEquals("fulcrum: " + dir.resolve("broken.json") + ": servers: at least one backend URL is required,"
                + " e.g. \"servers\": [\"http://127.0.0.1:8081\"]\n", broken.stderr());
        assertEquals(Main.EXIT_USAGE, broken.status());
    }

    private static List<String> jar(String... args) {
        List<String> command = new ArrayList<>(List.of(FatJarIT.javaBinary(), "-jar", System.getProperty("fulcrum.jar")));
        command.addAll(List.of(args));
        return command;
    }

    private static Ran run(Path dir, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(dir.resolve("stdout.log").toFile())
                .redirectError(dir.resolve("stderr.log").toFile());
        // The script runs the java on the PATH: this one.
        String javaBin = Path.of(FatJarIT.javaBinary()).getParent().toString();
        builder.environment().merge("PATH", javaBin, (path, bin) -> bin + ":" + path);
        Process process = builder.start();
        try {
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "still running: " + command);
        } finally {
            process.destroyForcibly();
        }
        return new Ran(process.exitValue(), Files.readAllBytes(dir.resolve("stdout.log")),
                Files.readAllBytes(dir.resolve("stderr.log")));
    }
}
