package dev.fulcrum.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.config.impl.ConfigRetrieverImpl;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Watches the config file with vertx-config and hands every changed, valid snapshot to a {@link Target}.
 * The file is re-read by path on every scan (no inotify), so an in-place rewrite, an editor's
 * rename-over and a Kubernetes ConfigMap's {@code ..data} symlink swap are all seen. The store reads the
 * raw text, and {@link ConfigParser} judges it, so a reload is validated exactly as the startup file was.
 * Edits are applied one at a time, in order; while one is being applied only the latest text waits. The files the
 * config names (certificates, CA bundles) are read on every scan too, and a change to one is offered as an edit.
 */
public final class ConfigWatcher extends VerticleBase {

    /** Where a valid snapshot goes, and where a refused edit is reported. */
    public interface Target {

        /** {@code text} is what {@code next} was parsed from. */
        Future<Void> apply(FulcrumConfig next, String text);

        void refused(String reason);

        /** The files the running config read besides itself (certificates, CA bundles): a change to one is an edit. */
        List<String> filesRead();
    }

    private static final Logger LOG = Logger.getLogger("fulcrum.config");
    /** vertx-config logs every failed scan with a stack trace; its failures are reported here, once each. */
    private static final Logger RETRIEVER_LOG = Logger.getLogger(ConfigRetrieverImpl.class.getName());
    private static final String TEXT = "text";

    private final Path file;
    private final Target target;
    private Duration scanPeriod;
    private ConfigRetriever retriever;
    private String lastText;
    private String pendingText;
    private boolean applying;
    private String lastReadError;
    /** The fingerprint of {@link Target#filesRead()} at the last scan, and whether a check of it is under way. */
    private String filesSeen;
    private boolean checkingFiles;

    /** {@code loadedText} is the text the running config was parsed from: reading it again changes nothing. */
    public ConfigWatcher(Path file, String loadedText, Duration scanPeriod, Target target) {
        this.file = file;
        this.lastText = loadedText;
        this.scanPeriod = scanPeriod;
        this.target = target;
    }

    @Override
    public Future<?> start() {
        RETRIEVER_LOG.setLevel(Level.OFF);
        List<String> files = target.filesRead();
        return vertx.executeBlocking(() -> fingerprint(files), false).onSuccess(seen -> {
            filesSeen = seen;
            watch();
        });
    }

    @Override
    public Future<?> stop() {
        return retriever.close();
    }

    /**
     * Re-reads the file now (SIGHUP) and offers its text again even if it has not changed: an edit refused for
     * a reason outside the file (a port in use) applies once that reason is gone.
     */
    public void rescan() {
        context.runOnContext(v -> {
            lastText = null;
            retriever.getConfig();
        });
    }

    private void watch() {
        // The bytes, not a string: vertx-config would decode with replacement characters where startup refuses.
        ConfigStoreOptions store = new ConfigStoreOptions().setType("file").setFormat("raw")
                .setConfig(new JsonObject().put("path", file.toString()).put("raw.key", TEXT).put("raw.type", "binary"));
        retriever = ConfigRetriever.create(vertx,
                new ConfigRetrieverOptions().setScanPeriod(scanPeriod.toMillis()).addStore(store));
        retriever.configStream()
                .handler(json -> {
                    if (lastReadError != null) {
                        // Readable again, perhaps unchanged: offered again, so the refusal is cleared.
                        lastReadError = null;
                        lastText = null;
                    }
                    offer(json.getBinary(TEXT));
                })
                .exceptionHandler(this::cannotRead);
        // A periodic scan reports only changes, and a file put back as it was is none: while the file cannot
        // be read, every scan also asks for the whole config, which is reported whatever it is.
        retriever.setBeforeScanHandler(scan -> {
            if (lastReadError != null) {
                retriever.getConfig();
            } else {
                checkFilesRead();
            }
        });
        // The first read is normally the text already loaded, which is skipped; if the file changed since, this
        // is where the change lands.
        retriever.getConfig();
    }

    /**
     * Reads the files the running config read (off the event loop: a few small PEM files) and, if any changed since
     * the last scan, offers the config again, which reads and checks them anew. A Secret's symlink swap is a change
     * of content at the same path, and is seen as such.
     */
    private void checkFilesRead() {
        List<String> files = target.filesRead();
        if (files.isEmpty() || checkingFiles) {
            return;
        }
        checkingFiles = true;
        vertx.executeBlocking(() -> fingerprint(files), false).onComplete(read -> {
            checkingFiles = false;
            String seen = read.succeeded() ? read.result() : null;
            // While an edit is being applied, the same text offered again would be dropped as no change: the next
            // scan, after it, sees the files' change still.
            if (!Objects.equals(seen, filesSeen) && !applying) {
                filesSeen = seen;
                lastText = null;
                retriever.getConfig();
            }
        });
    }

    /** A digest of the files' paths and contents; a file that cannot be read counts as its own distinct content. */
    private static String fingerprint(List<String> files) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
        for (String file : files) {
            digest.update(file.getBytes(StandardCharsets.UTF_8));
            try {
                digest.update(Files.readAllBytes(Path.of(file)));
            } catch (IOException | RuntimeException e) {
                digest.update(("unreadable: " + e).getBytes(StandardCharsets.UTF_8));
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private void cannotRead(Throwable error) {
        String reason = "cannot read " + file + ": "
                + (error instanceof NoSuchFileException || error.getCause() instanceof NoSuchFileException
                        ? "no such file" : error.getMessage());
        if (!reason.equals(lastReadError)) {
            lastReadError = reason;
            refuse(reason, reason);
        }
    }

    private void offer(byte[] bytes) {
        String text;
        try {
            text = ConfigParser.text(bytes);
        } catch (ConfigException e) {
            lastText = null;
            refuse(file + ": " + e.getMessage(), e.getMessage());
            return;
        }
        offer(text);
    }

    private void offer(String text) {
        if (applying) {
            pendingText = text;
            return;
        }
        if (Objects.equals(text, lastText)) {
            return;
        }
        lastText = text;
        applying = true;
        // Parsing reads backendTls.caFile, if any: off the event loop.
        vertx.executeBlocking(() -> ConfigParser.parse(text), false)
                .onFailure(error -> refuse(file + ": " + reason(error), reason(error)))
                .compose(next -> target.apply(next, text)
                        .onSuccess(v -> rescheduleScans(next.configScanPeriod()))
                        .onFailure(error -> refuse(error.getMessage(), error.getMessage())))
                .onComplete(done -> {
                    applying = false;
                    String waiting = pendingText;
                    pendingText = null;
                    if (waiting != null) {
                        offer(waiting);
                    }
                });
    }

    /** A config mistake says what it is; anything else (a bug) at least says what broke. */
    private static String reason(Throwable error) {
        if (error instanceof ConfigException) {
            return error.getMessage();
        }
        return error.getMessage() == null ? error.getClass().getSimpleName() : error.toString();
    }

    private void refuse(String logged, String reason) {
        LOG.warning("config reload refused, keeping the last good config: " + logged);
        target.refused(reason);
    }

    private void rescheduleScans(Duration next) {
        if (!next.equals(scanPeriod)) {
            scanPeriod = next;
            retriever.close();
            watch();
        }
    }
}
