#!/usr/bin/env bash
# Runs Fulcrum with conf/config.json, building the jar first if needed. Extra arguments pass through,
# e.g. scripts/run.sh --config /etc/fulcrum/config.json (a relative path is taken from where you are).
set -euo pipefail
scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$scripts/absolute-config.sh"
args=("$@")
absolute_config_args "$PWD"
cd "$scripts/.."
scripts/build-if-stale.sh
options="$(scripts/java-options.sh)"

# shellcheck disable=SC2086 # the options are words
exec java $options -jar target/fulcrum.jar --config conf/config.json ${args[@]+"${args[@]}"}
