package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.LoadBalancer;
import dev.fulcrum.config.FulcrumConfig;

import java.util.List;

/**
 * What one proxy verticle routes with: the config, the healthy backends and the selection policy. Replaced
 * as a whole on its own event loop when a health or config event arrives, so one request sees one view.
 */
record Routing(FulcrumConfig config, List<Backend> healthy, LoadBalancer balancer) {
}
