#!/usr/bin/env bash
# Runs the JMH selection benchmarks (not part of `mvn verify`). Extra arguments go to JMH, e.g.
#   scripts/jmh.sh -p backends=1000 -p algorithm=least-busy
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
args="${*:--f 1 -wi 3 -w 1s -i 5 -r 1s}"
mvn -B -q -Pjmh test-compile exec:exec -Djmh.args="$args"
