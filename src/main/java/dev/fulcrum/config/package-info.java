/** Parses and validates the JSON config file into immutable snapshots. */
package dev.fulcrum.config;
