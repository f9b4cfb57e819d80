/** The access log: one line per response, formatted and written off the event loops, dropped (and counted) rather than ever delaying a request. */
package dev.fulcrum.accesslog;
