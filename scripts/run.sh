#!/usr/bin/env bash
# Runs Fulcrum with conf/config.json, building the jar first if needed. Extra arguments pass through,
# e.g. scripts/run.sh --config /etc/fulcrum/config.json
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/build-if-stale.sh

# A small, fixed heap keeps the footprint predictable; override with FULCRUM_JAVA_OPTS.
exec java ${FULCRUM_JAVA_OPTS:--Xms64m -Xmx256m} -jar target/fulcrum.jar --config conf/config.json "$@"
