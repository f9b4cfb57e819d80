/** Entry point, wiring of the verticles, lifecycle. */
package dev.fulcrum.app;
