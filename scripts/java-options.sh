#!/usr/bin/env bash
# Prints the JVM options Fulcrum runs with (run.sh, demo.sh, bench.sh), recording the class-data archive
# first when it is missing or older than the jar. The archive belongs to one JVM build, so its name carries
# the java version in use. Where target/ is not writable, Fulcrum runs without one. FULCRUM_JAVA_OPTS
# replaces all the options.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -n ${FULCRUM_JAVA_OPTS:-} ]]; then
    echo "$FULCRUM_JAVA_OPTS"
    exit 0
fi
# A small heap keeps the footprint predictable; the balancer allocates little that lives. A 48 MiB young
# generation lets a request's objects die young at 40,000 req/s on one core: with the default third of 64 MiB,
# enough survived to fill the old generation every few seconds, and each full collection stopped the event
# loop for about 40 ms.
# Without tiered compilation, event-loop code the JIT throws away (as it does when clients open and close
# connections: paths through the loop it had not seen) is compiled again straight away by C2. The tiered JIT
# rebuilt it through its lower tiers for up to a minute, its compiler thread taking the core from the event
# loop meanwhile. The price is a slower first few seconds under load, until the hot path is compiled.
# An OutOfMemoryError anywhere (heap, direct buffers, threads) ends the process at once with one line, so that it is
# restarted, rather than limping on with event loops that can no longer allocate.
options="-Xms128m -Xmx256m -Xmn48m -XX:-TieredCompilation -XX:+ExitOnOutOfMemoryError"
runtime="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p' | tr -c 'A-Za-z0-9.\n' '-')"
archive="target/fulcrum-${runtime:-java}.jsa"
if [[ ! -f $archive || $archive -ot target/fulcrum.jar ]] && [[ -w target ]]; then
    echo "recording class data for a faster start (once per build) ..." >&2
    java $options -XX:ArchiveClassesAtExit="$archive" -jar target/fulcrum.jar --warm-up >/dev/null 2>&1 \
        || rm -f "$archive" 2>/dev/null || true
fi
if [[ -f $archive && ! $archive -ot target/fulcrum.jar ]]; then
    options="$options -XX:SharedArchiveFile=$archive -Xshare:auto"
fi
echo "$options"
