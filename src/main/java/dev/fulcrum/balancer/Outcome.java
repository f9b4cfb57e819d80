package dev.fulcrum.balancer;

/** How one exchange with a backend ended, for the policies that learn from it (least-time). */
public enum Outcome {
    /** A response head below 500. */
    ANSWERED,
    /** A 5xx: fast, maybe, but not a sign of a backend to prefer. */
    SERVER_ERROR,
    /** No response: refused, reset, timed out. */
    FAILED
}
