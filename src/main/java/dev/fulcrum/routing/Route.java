package dev.fulcrum.routing;

import java.util.Objects;

/**
 * One entry of the table: its match, and the caller's action (a pool, a split, rewrites). {@code index} is the
 * caller's name for it ({@code routes[index]} in the config, the access log); the table's order is the list's.
 */
public record Route<A>(int index, RouteMatch match, A action) {

    public Route {
        Objects.requireNonNull(match, "match");
    }
}
