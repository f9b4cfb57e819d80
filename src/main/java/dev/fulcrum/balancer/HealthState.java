package dev.fulcrum.balancer;

/** What the balancer knows of a backend's health; only HEALTHY backends receive traffic. */
public enum HealthState {
    /** Not probed yet. */
    UNKNOWN,
    HEALTHY,
    UNHEALTHY
}
