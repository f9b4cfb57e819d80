package dev.fulcrum.app;

import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.GoDuration;
import dev.fulcrum.config.HashKey;
import dev.fulcrum.config.PoolSettings;
import dev.fulcrum.config.RouteAction;
import dev.fulcrum.config.ServerSpec;
import dev.fulcrum.config.StatusRanges;
import dev.fulcrum.routing.Route;

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

    /** Snapshot fields that the file spells otherwise: the hashing settings are top-level fields there. */
    private static final Map<String, String> FILE_NAMES = Map.of("hash.key", "hashKey", "hash.tableSize", "maglevTableSize",
            "hash.balanceFactor", "hashBalanceFactor");

    /** "hash.key" or "pools.api.hash.key" as the file spells it. */
    private static String fileName(String name) {
        for (Map.Entry<String, String> spelled : FILE_NAMES.entrySet()) {
            if (name.endsWith(spelled.getKey())) {
                return name.substring(0, name.length() - spelled.getKey().length()) + spelled.getValue();
            }
        }
        return name;
    }

    private static void compare(String prefix, Record previous, Record next, List<String> changes) {
        for (RecordComponent field : previous.getClass().getRecordComponents()) {
            Object before = read(field, previous);
            Object after = read(field, next);
            String name = fileName(prefix + field.getName());
            if (Objects.equals(before, after) || name.equals("warnings")) {
                continue;
            }
            if (isGroup(before) && after != null) {
                compare(name + ".", (Record) before, (Record) after, changes);
            } else if (name.equals("routes")) {
                routeChanges(((FulcrumConfig) previous).routes(), ((FulcrumConfig) next).routes(), changes);
            } else if (name.equals("pools")) {
                poolChanges(((FulcrumConfig) previous).pools(), ((FulcrumConfig) next).pools(), changes);
            } else if (name.endsWith("servers")) {
                changes.add(name + " " + serverChanges(serversOf(previous), serversOf(next)));
            } else if (name.equals("warmUp")) {
                changes.add(name + " " + show(before) + " -> " + show(after) + " (used at the next start)");
            } else {
                changes.add(name + " " + show(before) + " -> " + show(after));
            }
        }
    }

    /**
     * Pools added and removed by name, and what changed inside each pool kept. The pool "default" is the top level,
     * whose changes are already said in the top level's names.
     */
    private static void poolChanges(Map<String, PoolSettings> before, Map<String, PoolSettings> after, List<String> changes) {
        List<String> added = after.keySet().stream().filter(name -> !before.containsKey(name)).map(name -> "+" + name).toList();
        List<String> removed = before.keySet().stream().filter(name -> !after.containsKey(name)).map(name -> "-" + name).toList();
        if (!added.isEmpty() || !removed.isEmpty()) {
            List<String> both = new ArrayList<>(added);
            both.addAll(removed);
            changes.add("pools " + String.join(" ", both));
        }
        after.forEach((name, pool) -> {
            PoolSettings was = before.get(name);
            if (was != null && !name.equals(PoolSettings.DEFAULT) && !was.equals(pool)) {
                compare("pools." + name + ".", was, pool, changes);
            }
        });
    }

    /** Each route that changed, by its index: "routes[1] {"pathPrefix": "/a"} -> pool api => pool web". */
    private static void routeChanges(List<Route<RouteAction>> before, List<Route<RouteAction>> after, List<String> changes) {
        for (int i = 0; i < Math.max(before.size(), after.size()); i++) {
            Route<RouteAction> was = i < before.size() ? before.get(i) : null;
            Route<RouteAction> now = i < after.size() ? after.get(i) : null;
            if (was == null) {
                changes.add("routes[" + i + "] +" + describe(now));
            } else if (now == null) {
                changes.add("routes[" + i + "] -" + describe(was));
            } else if (!was.equals(now)) {
                changes.add("routes[" + i + "] " + describe(was) + " -> " + describe(now));
            }
        }
    }

    /** A route as the file would have it, on one line. */
    static String describe(Route<RouteAction> route) {
        String match = route.match().toString();
        return "{" + (match.equals("{}") ? "" : "\"match\": " + match + ", ") + route.action() + "}";
    }

    private static List<ServerSpec> serversOf(Record config) {
        return config instanceof FulcrumConfig top ? top.servers() : ((PoolSettings) config).servers();
    }

    private static String show(Object value) {
        if (value == null) {
            return "(none)";
        }
        if (isGroup(value)) {
            Record record = (Record) value;
            // An object that appears or goes: its fields, as the file would have them.
            List<String> fields = new ArrayList<>();
            for (RecordComponent field : record.getClass().getRecordComponents()) {
                fields.add(field.getName() + ": " + show(read(field, record)));
            }
            return "{" + String.join(", ", fields) + "}";
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

    /**
     * A group of fields (healthCheck, stickyCookie); a HashKey and an expectedStatus are one value each, spelled as
     * in the file (an expectedStatus's parsed ranges would show as array identities).
     */
    private static boolean isGroup(Object value) {
        return value instanceof Record && !(value instanceof HashKey) && !(value instanceof StatusRanges);
    }

    private static Object read(RecordComponent field, Record config) {
        try {
            return field.getAccessor().invoke(config);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
