/** What Fulcrum counts and measures, on one Prometheus registry: per-backend meters held by each backend, and the process's. */
package dev.fulcrum.metrics;
