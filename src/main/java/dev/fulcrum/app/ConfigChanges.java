package dev.fulcrum.app;

import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.GoDuration;
import dev.fulcrum.config.ServerSpec;

import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.stream.Collectors;

/** One line saying what a reload changed, for the log: "servers +http://c:3 -http://a:1, requestTimeout 60s -> 5s". */
final class ConfigChanges {

    private ConfigChanges() {
    }

    static String describe(FulcrumConfig previous, FulcrumConfig next) {
        List<String> changes = new ArrayList<>();
        compare("", previous, next, changes);
        return String.join(", ", changes);
    }

    private static void compare(String prefix, Record previous, Record next, List<String> changes) {
        for (RecordComponent field : previous.getClass().getRecordComponents()) {
            Object before = read(field, previous);
            Object after = read(field, next);
            String name = prefix + field.getName();
            if (Objects.equals(before, after)) {
                continue;
            }
            if (before instanceof Record nestedBefore && after != null) {
                compare(name + ".", nestedBefore, (Record) after, changes);
            } else if (name.equals("servers")) {
                changes.add("servers " + serverChanges(((FulcrumConfig) previous).servers(), ((FulcrumConfig) next).servers()));
            } else if (name.equals("warmUp")) {
                changes.add(name + " " + show(before) + " -> " + show(after) + " (used at the next start)");
            } else {
                changes.add(name + " " + show(before) + " -> " + show(after));
            }
        }
    }

    private static String show(Object value) {
        if (value == null) {
            return "(none)";
        }
        return value instanceof Duration duration ? GoDuration.format(duration) : String.valueOf(value);
    }

    private static String serverChanges(List<ServerSpec> before, List<ServerSpec> after) {
        Map<String, ServerSpec> old = before.stream().collect(Collectors.toMap(ServerSpec::url, Function.identity()));
        Map<String, ServerSpec> now = after.stream().collect(Collectors.toMap(ServerSpec::url, Function.identity()));
        List<String> parts = new ArrayList<>();
        after.stream().filter(s -> !old.containsKey(s.url())).forEach(s -> parts.add("+" + s.url()));
        before.stream().filter(s -> !now.containsKey(s.url())).forEach(s -> parts.add("-" + s.url()));
        after.stream().filter(s -> old.containsKey(s.url()) && old.get(s.url()).weight() != s.weight())
                .forEach(s -> parts.add(s.url() + " weight " + old.get(s.url()).weight() + " -> " + s.weight()));
        return parts.isEmpty() ? "reordered" : String.join(" ", parts);
    }

    private static Object read(RecordComponent field, Record config) {
        try {
            return field.getAccessor().invoke(config);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
