package dev.fulcrum.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Server certificates in PEM, as an operator's files are, made with Debian's {@code openssl}: self-signed pairs
 * for given host names (EC P-256 with a PKCS#8 key, or RSA with a PKCS#1 one), and one that expired in 2020.
 */
public final class PemCertificates {

    /** A certificate file and its key file. */
    public record Pair(Path cert, Path key) {

        /** Writes this pair's content over {@code target}'s files, in place, as a renewal at the same paths does. */
        public void copyOver(Pair target) throws IOException {
            Files.write(target.key(), Files.readAllBytes(key));
            Files.write(target.cert(), Files.readAllBytes(cert));
        }
    }

    private PemCertificates() {
    }

    /** Valid for {@code days} from now, naming {@code names} (the first is also the common name). */
    public static Pair ec(Path dir, String file, int days, String... names) {
        Pair pair = pair(dir, file);
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", pair.key().toString(), "-out", pair.cert().toString(), "-days", Integer.toString(days),
                "-subj", "/CN=" + names[0], "-addext", "subjectAltName=" + sans(names));
        return pair;
    }

    /** RSA 2048 with its key in the traditional PKCS#1 form ({@code BEGIN RSA PRIVATE KEY}). */
    public static Pair rsaPkcs1(Path dir, String file, int days, String... names) {
        Pair pair = pair(dir, file);
        Path pkcs8 = dir.resolve(file + "-pkcs8.key");
        openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", pkcs8.toString(),
                "-out", pair.cert().toString(), "-days", Integer.toString(days),
                "-subj", "/CN=" + names[0], "-addext", "subjectAltName=" + sans(names));
        openssl(dir, "rsa", "-in", pkcs8.toString(), "-traditional", "-out", pair.key().toString());
        return pair;
    }

    /** A certificate with neither a subject alternative name nor a common name. */
    public static Pair nameless(Path dir, String file) {
        Pair pair = pair(dir, file);
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", pair.key().toString(), "-out", pair.cert().toString(), "-days", "30", "-subj", "/O=Fulcrum tests");
        return pair;
    }

    /** Valid for one day in January 2020: {@code openssl req} takes no start date, {@code openssl ca} does. */
    public static Pair expired(Path dir, String file, String... names) throws IOException {
        Pair pair = pair(dir, file);
        Path ca = Files.createDirectories(dir.resolve(file + "-ca"));
        Files.writeString(ca.resolve("index.txt"), "");
        Files.writeString(ca.resolve("serial"), "01\n");
        Files.writeString(ca.resolve("ca.cnf"), String.join("\n",
                "[ ca ]", "default_ca = test", "[ test ]", "dir = " + ca, "database = " + ca.resolve("index.txt"),
                "new_certs_dir = " + ca, "serial = " + ca.resolve("serial"), "default_md = sha256", "policy = anything",
                "copy_extensions = copy", "[ anything ]", "commonName = supplied", ""));
        Path request = ca.resolve("request.csr");
        openssl(dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", pair.key().toString(), "-out", request.toString(),
                "-subj", "/CN=" + names[0], "-addext", "subjectAltName=" + sans(names));
        openssl(dir, "ca", "-batch", "-config", ca.resolve("ca.cnf").toString(), "-selfsign", "-keyfile", pair.key().toString(),
                "-in", request.toString(), "-out", pair.cert().toString(), "-notext",
                "-startdate", "20200101000000Z", "-enddate", "20200102000000Z");
        return pair;
    }

    private static Pair pair(Path dir, String file) {
        return new Pair(dir.resolve(file + ".crt"), dir.resolve(file + ".key"));
    }

    private static String sans(String... names) {
        return Arrays.stream(names).map(name -> "DNS:" + name).collect(Collectors.joining(","));
    }

    private static void openssl(Path dir, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(arguments));
        try {
            Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(1, TimeUnit.MINUTES) || process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + ": " + new String(output, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run openssl (Debian's package openssl)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
