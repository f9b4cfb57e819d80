package dev.fulcrum.support;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

/** A config file edited the ways operators and their tools really do it. */
public final class ConfigFile {

    private final Path dir;
    private final Path path;
    private final AtomicInteger versions = new AtomicInteger();

    private ConfigFile(Path dir, Path path) {
        this.dir = dir;
        this.path = path;
    }

    /** A plain file {@code dir/config.json}. */
    public static ConfigFile plain(Path dir, JsonObject config) {
        ConfigFile file = new ConfigFile(dir, dir.resolve("config.json"));
        file.rewriteInPlace(config.encodePrettily());
        return file;
    }

    /**
     * The layout of a Kubernetes ConfigMap volume: {@code config.json -> ..data/config.json} and
     * {@code ..data -> ..<version>}, a directory per version.
     */
    public static ConfigFile configMap(Path dir, JsonObject config) {
        ConfigFile file = new ConfigFile(dir, dir.resolve("config.json"));
        try {
            file.swapConfigMap(config);
            Files.createSymbolicLink(file.path, Path.of("..data", "config.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    public Path path() {
        return path;
    }

    /** Overwrites the file's content in place (truncate and write), as {@code echo > file} does. */
    public void rewriteInPlace(String text) {
        try {
            Files.writeString(path, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void rewriteInPlace(JsonObject config) {
        rewriteInPlace(config.encodePrettily());
    }

    /** Truncates the file, then writes the first half, then the rest: a reader may see all three states. */
    public void writeSlowly(JsonObject config, Runnable betweenSteps) {
        String text = config.encodePrettily();
        try {
            Files.writeString(path, "", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
            betweenSteps.run();
            Files.writeString(path, text.substring(0, text.length() / 2), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            betweenSteps.run();
            Files.writeString(path, text.substring(text.length() / 2), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a temporary file and renames it over the config, as editors and most tools do. */
    public void renameReplace(JsonObject config) {
        renameReplace(config.encodePrettily());
    }

    public void renameReplace(String text) {
        try {
            Path temp = dir.resolve(".config.json.swp" + versions.incrementAndGet());
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the kubelet does on a ConfigMap update: a new version directory, then {@code ..data} re-pointed atomically. */
    public void swapConfigMap(JsonObject config) {
        try {
            Path version = Files.createDirectory(dir.resolve("..2026_11_25_" + versions.incrementAndGet()));
            Files.writeString(version.resolve("config.json"), config.encodePrettily(), StandardCharsets.UTF_8);
            Path newLink = dir.resolve("..data_tmp");
            Files.createSymbolicLink(newLink, version.getFileName());
            Files.move(newLink, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
