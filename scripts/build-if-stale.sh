#!/usr/bin/env bash
# Builds target/fulcrum.jar when it is missing or older than its sources (pom.xml, src/main/java and
# src/main/resources; the Docker and Kubernetes files are not in the jar). Run by run.sh, demo.sh, check.sh
# and bench.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

jar=target/fulcrum.jar
sources=(pom.xml src/main/java)
[[ -d src/main/resources ]] && sources+=(src/main/resources)
if [[ ! -f $jar || -n $(find "${sources[@]}" -newer "$jar" -print -quit) ]]; then
    echo "building $jar ..." >&2
    mvn -B -q -DskipTests package >&2
fi
