/** Active health checks and passive outlier tracking, published as events. */
package dev.fulcrum.health;
