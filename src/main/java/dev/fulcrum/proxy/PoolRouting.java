package dev.fulcrum.proxy;

import dev.fulcrum.balancer.Backend;
import dev.fulcrum.balancer.LoadBalancer;
import dev.fulcrum.config.PoolSettings;
import dev.fulcrum.metrics.BackendMeters;

import java.util.List;

/**
 * One pool as a proxy verticle sends to it: its settings, its healthy backends and its policy, where its requests
 * wait for their response ({@code requestTimeout}), and where Fulcrum's own answers for it (no healthy backend) are
 * counted. Replaced with its {@link Routing} on a health or config event.
 */
record PoolRouting(PoolSettings settings, List<Backend> healthy, LoadBalancer balancer, ResponseDeadlines deadlines,
                   BackendMeters none) {

    String name() {
        return settings.name();
    }
}
