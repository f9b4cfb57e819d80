package dev.fulcrum.routing;

import java.util.Map;
import java.util.Set;

/**
 * A route as the table holds it: the host and prefix conditions are answered by where it is filed, so only the
 * rest is checked per request, from arrays, asking the request for each value only when it gets that far.
 */
final class Candidate<A> {

    final Route<A> route;
    /** The prefix's compared form ({@link Paths#prefixKey}), or null without a prefix, or with an exact path. */
    final String prefixKey;
    final String exactPath;
    private final Set<String> methods;
    private final String[] headerNames;
    /** Null where any value will do ({@link RouteMatch#PRESENT}). */
    private final String[] headerValues;
    private final String[] queryNames;
    private final String[] queryValues;

    Candidate(Route<A> route) {
        RouteMatch match = route.match();
        this.route = route;
        this.exactPath = match.path();
        // An exact path says more than a prefix: the prefix is either met by it or never (see canMatch).
        this.prefixKey = match.pathPrefix() == null || exactPath != null ? null : Paths.prefixKey(match.pathPrefix());
        this.methods = match.methods();
        int headers = match.headers().size();
        this.headerNames = new String[headers];
        this.headerValues = new String[headers];
        int i = 0;
        for (Map.Entry<String, String> header : match.headers().entrySet()) {
            headerNames[i] = header.getKey();
            headerValues[i] = RouteMatch.PRESENT.equals(header.getValue()) ? null : header.getValue();
            i++;
        }
        this.queryNames = match.query().keySet().toArray(String[]::new);
        this.queryValues = new String[queryNames.length];
        for (int q = 0; q < queryNames.length; q++) {
            queryValues[q] = match.query().get(queryNames[q]);
        }
    }

    /** False for a route whose exact path lies outside its own prefix: no request takes it, so it is not filed. */
    boolean canMatch() {
        RouteMatch match = route.match();
        return exactPath == null || match.pathPrefix() == null
                || Paths.isUnder(exactPath, Paths.prefixKey(match.pathPrefix()));
    }

    boolean hasPathCondition() {
        return prefixKey != null || exactPath != null;
    }

    /** Whether the request meets the conditions beyond host and prefix; {@code path} is the request's, read once. */
    boolean admits(RequestFacts request, String path) {
        if (exactPath != null && !exactPath.equals(path)) {
            return false;
        }
        if (!methods.isEmpty()) {
            String method = request.method();
            if (method == null || !methods.contains(method)) {
                return false;
            }
        }
        for (int i = 0; i < headerNames.length; i++) {
            String value = request.header(headerNames[i]);
            if (value == null || headerValues[i] != null && !headerValues[i].equals(value)) {
                return false;
            }
        }
        for (int i = 0; i < queryNames.length; i++) {
            if (!queryValues[i].equals(request.queryParam(queryNames[i]))) {
                return false;
            }
        }
        return true;
    }
}
