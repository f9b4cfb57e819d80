/** Admin HTTP endpoints: liveness, readiness and status. */
package dev.fulcrum.admin;
