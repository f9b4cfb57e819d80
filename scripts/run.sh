#!/usr/bin/env bash
# Runs Fulcrum with conf/config.json, building the jar first if needed. Extra arguments pass through,
# e.g. scripts/run.sh --config /etc/fulcrum/config.json
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/build-if-stale.sh

# shellcheck disable=SC2046 # the options are words
exec java $(scripts/java-options.sh) -jar target/fulcrum.jar --config conf/config.json "$@"
