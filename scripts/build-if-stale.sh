#!/usr/bin/env bash
# Builds target/fulcrum.jar when it is missing or older than the sources. Sourced by run.sh and demo.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

jar=target/fulcrum.jar
if [[ ! -f $jar || -n $(find pom.xml src/main -newer "$jar" -print -quit) ]]; then
    echo "building $jar ..." >&2
    mvn -B -q -DskipTests package >&2
fi
