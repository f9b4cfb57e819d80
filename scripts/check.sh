#!/usr/bin/env bash
# Checks conf/config.json as a start would, without starting anything, building the jar first if needed: one
# line and exit code 0 if it is valid, the start's error line and 2 if not. Extra arguments pass through, e.g.
# scripts/check.sh --diff --config /etc/fulcrum/config.json (a relative path is taken from where you are).
set -euo pipefail
scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$scripts/absolute-config.sh"
args=("$@")
absolute_config_args "$PWD"
cd "$scripts/.."
scripts/build-if-stale.sh

# No java-options.sh: a check lives for a moment, and recording the class-data archive would take longer.
exec java -jar target/fulcrum.jar check --config conf/config.json ${args[@]+"${args[@]}"}
