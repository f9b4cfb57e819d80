/** The route table: which route, in config order, a request takes by its host, path, method, headers and query. */
package dev.fulcrum.routing;
