/** The proxy verticle: HTTP server, origin selection, accounting and error mapping. */
package dev.fulcrum.proxy;
