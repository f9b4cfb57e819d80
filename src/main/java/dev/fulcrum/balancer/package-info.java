/** Backend selection policies and the live per-backend state they read. */
package dev.fulcrum.balancer;
