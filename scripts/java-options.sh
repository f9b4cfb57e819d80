#!/usr/bin/env bash
# Prints the JVM options Fulcrum runs with (run.sh, demo.sh, bench.sh), recording the class-data archive
# target/fulcrum.jsa first when it is missing or older than the jar. FULCRUM_JAVA_OPTS replaces them all.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -n ${FULCRUM_JAVA_OPTS:-} ]]; then
    echo "$FULCRUM_JAVA_OPTS"
    exit 0
fi
# A small fixed heap keeps the footprint predictable; the balancer allocates little that lives.
options="-Xms64m -Xmx256m"
archive=target/fulcrum.jsa
if [[ ! -f $archive || $archive -ot target/fulcrum.jar ]]; then
    echo "recording class data for a faster start (once per build) ..." >&2
    java $options -XX:ArchiveClassesAtExit=$archive -jar target/fulcrum.jar --warm-up >/dev/null 2>&1 || rm -f $archive
fi
if [[ -f $archive ]]; then
    options="$options -XX:SharedArchiveFile=$archive -Xshare:auto"
fi
echo "$options"
