package dev.fulcrum.support;

import io.vertx.core.Vertx;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of {@code /metrics}, read as series: {@code fulcrum_requests_total{backend="...",code="200"}} to value. */
public final class Scrape {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");

    private final String text;
    private final Map<String, Double> series = new TreeMap<>();

    private Scrape(String text) {
        this.text = text;
        for (String line : text.split("\n")) {
            Matcher sample = SAMPLE.matcher(line);
            if (!line.startsWith("#") && sample.matches()) {
                series.put(sample.group(1) + "{" + sorted(sample.group(3)) + "}", Double.parseDouble(sample.group(4)));
            }
        }
    }

    public static Scrape of(Vertx vertx, int adminPort) {
        return new Scrape(new Http(vertx, adminPort).get("/metrics").await().body());
    }

    /** The value of {@code name} with exactly {@code labels} ("backend", url, "code", "200"), or null if absent. */
    public Double value(String name, String... labels) {
        StringBuilder key = new StringBuilder();
        Map<String, String> wanted = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            wanted.put(labels[i], labels[i + 1]);
        }
        wanted.forEach((label, value) -> key.append(key.isEmpty() ? "" : ",").append(label).append("=\"").append(value).append('"'));
        return series.get(name + "{" + key + "}");
    }

    /** As {@link #value}, with 0 for a series not (yet) exposed. */
    public double count(String name, String... labels) {
        Double value = value(name, labels);
        return value == null ? 0 : value;
    }

    /** Whether any series of {@code name} carries {@code label="value"}. */
    public boolean has(String name, String label, String value) {
        String wanted = label + "=\"" + value + "\"";
        return series.keySet().stream().anyMatch(key -> key.startsWith(name + "{") && key.contains(wanted));
    }

    public String text() {
        return text;
    }

    private static String sorted(String labels) {
        if (labels == null || labels.isEmpty()) {
            return "";
        }
        Map<String, String> byName = new TreeMap<>();
        Matcher label = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(labels);
        while (label.find()) {
            byName.put(label.group(1), label.group(2));
        }
        StringBuilder out = new StringBuilder();
        byName.forEach((name, value) -> out.append(out.isEmpty() ? "" : ",").append(name).append("=\"").append(value).append('"'));
        return out.toString();
    }
}
