package dev.fulcrum.config;

import io.vertx.core.json.JsonArray;
import io.netty.handler.ssl.OpenSsl;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.OpenSSLEngineOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code tls} object. Certificate and key files are read and checked now, so that a missing file, a key that
 * is not the certificate's, or an expired certificate is refused like any other bad value, at startup or at a
 * reload (where the last good pair keeps serving).
 */
final class TlsParser {

    /** Let's Encrypt renews at 30 days left; a certificate this close to its end has missed renewals. */
    static final Duration EXPIRY_WARNING = Duration.ofDays(14);

    private TlsParser() {
    }

    /** The listener's settings, or null when the file has no {@code tls}; what is valid but suspect goes to {@code warnings}. */
    static TlsSettings parse(JsonFields root, Instant now, List<String> warnings) {
        if (!root.has("tls")) {
            return null;
        }
        JsonFields tls = root.object("tls");
        String listenText = tls.raw("listenPort") instanceof Number number && number.doubleValue() == number.intValue()
                ? Integer.toString(number.intValue()) : tls.string("listenPort", ":8443");
        ListenAddress listen = tls.parsed("listenPort", listenText, ListenAddress::parse);
        String minVersion = tls.string("minVersion", TlsSettings.TLS_1_2);
        if (!minVersion.equals(TlsSettings.TLS_1_2) && !minVersion.equals(TlsSettings.TLS_1_3)) {
            throw new ConfigException(tls.path("minVersion") + ": " + Values.quote(minVersion) + " is not one of "
                    + TlsSettings.TLS_1_2 + ", " + TlsSettings.TLS_1_3 + " (older versions are broken and never offered)");
        }
        boolean redirect = tls.bool("httpsRedirect", false);
        TlsSettings.Engine engine = engine(tls);
        List<ServerCertificate> certificates = certificates(tls, now, warnings);
        tls.rejectUnknown();
        return new TlsSettings(listen, certificates, minVersion, redirect, engine);
    }

    private static TlsSettings.Engine engine(JsonFields tls) {
        String name = tls.string("engine", "jdk");
        switch (name) {
            case "jdk":
                return TlsSettings.Engine.JDK;
            case "openssl":
                if (!OpenSSLEngineOptions.isAvailable()) {
                    Throwable cause = OpenSsl.unavailabilityCause();
                    throw new ConfigException(tls.path("engine") + ": \"openssl\" is not available here (netty-tcnative's"
                            + " BoringSSL is built for Linux x86_64: " + (cause == null ? "unknown reason" : cause.getMessage())
                            + "); use \"jdk\"");
                }
                return TlsSettings.Engine.OPENSSL;
            default:
                throw new ConfigException(tls.path("engine") + ": " + Values.quote(name) + " is not one of jdk, openssl");
        }
    }

    private static List<ServerCertificate> certificates(JsonFields tls, Instant now, List<String> warnings) {
        JsonArray list = tls.array("certificates");
        if (list == null || list.isEmpty()) {
            throw new ConfigException(tls.path("certificates") + ": " + (list == null ? "missing" : "empty")
                    + "; give at least one {\"certFile\": \"/path/cert.pem\", \"keyFile\": \"/path/key.pem\"}");
        }
        List<ServerCertificate> certificates = new ArrayList<>();
        Map<String, String> servedBy = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String field = tls.path("certificates") + "[" + i + "]";
            if (!(list.getValue(i) instanceof JsonObject object)) {
                throw new ConfigException(field + ": " + Values.quote(list.getValue(i))
                        + " must be an object {\"certFile\": \"...\", \"keyFile\": \"...\"}");
            }
            JsonFields pair = new JsonFields(object, field);
            String certFile = required(pair, "certFile");
            String keyFile = required(pair, "keyFile");
            pair.rejectUnknown();
            ServerCertificate certificate;
            try {
                certificate = ServerCertificate.parse(certFile, keyFile, read(pair, "certFile", certFile), read(pair, "keyFile", keyFile));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(field + ": " + e.getMessage());
            }
            if (!certificate.notAfter().isAfter(now)) {
                throw new ConfigException(field + ": the certificate in " + Values.quote(certFile) + " (" + certificate.name()
                        + ") expired on " + certificate.notAfter() + "; renew it");
            }
            if (certificate.notAfter().isBefore(now.plus(EXPIRY_WARNING))) {
                long days = Duration.between(now, certificate.notAfter()).toDays();
                warnings.add(field + ": the certificate for " + certificate.name() + " expires on " + certificate.notAfter()
                        + " (in " + (days == 0 ? "less than a day" : days == 1 ? "1 day" : days + " days") + "); renew it");
            }
            for (String name : certificate.names()) {
                String earlier = servedBy.putIfAbsent(name, field);
                if (earlier != null) {
                    warnings.add(field + ": " + name + " is served by " + earlier + " already; this certificate is never"
                            + " chosen for it");
                }
            }
            certificates.add(certificate);
        }
        return certificates;
    }

    private static String required(JsonFields pair, String field) {
        String value = pair.string(field, null);
        if (value == null) {
            throw new ConfigException(pair.path(field) + ": missing; give the absolute path of a PEM file");
        }
        return value;
    }

    /** The file's text, now: PEM is ASCII, and Latin-1 never fails to decode, so a wrong file is judged by its content. */
    private static String read(JsonFields pair, String field, String file) {
        Path path = Values.path(pair.path(field), file);
        if (!path.isAbsolute()) {
            throw new ConfigException(pair.path(field) + ": " + Values.quote(file) + " must be an absolute path");
        }
        try {
            return Files.readString(path, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new ConfigException(pair.path(field) + ": " + Values.quote(file) + " cannot be read: " + ConfigParser.describeIo(e));
        }
    }
}
