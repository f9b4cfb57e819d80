package dev.fulcrum.proxy;

import dev.fulcrum.config.FulcrumConfig;
import dev.fulcrum.config.PoolSettings;
import dev.fulcrum.config.RouteAction;
import dev.fulcrum.routing.RouteTable;

import java.util.Map;

/**
 * What one proxy verticle routes with: the config, its route table (null when the config has no routes: every
 * request goes to the pool "default"), and each pool's healthy backends and policy. Replaced as a whole on its own
 * event loop when a health or config event arrives, so one request sees one view; the table is compiled once per
 * config, and kept across health events.
 */
record Routing(FulcrumConfig config, RouteTable<RouteAction> routes, Map<String, PoolRouting> pools) {

    Routing {
        pools = Map.copyOf(pools);
    }

    /** The pool {@code name}; every pool a route names is one, as the config parser checked. */
    PoolRouting pool(String name) {
        return pools.get(name);
    }

    /** The pool requests go to when the config has no routes. */
    PoolRouting defaultPool() {
        return pools.get(PoolSettings.DEFAULT);
    }
}
