#!/usr/bin/env bash
# Three demo backends on 127.0.0.1:8081-8083 (each answers with its own name) and the balancer on :8080,
# with conf/config.json. Try: for i in $(seq 6); do curl -s localhost:8080; done
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/build-if-stale.sh

pids=()
stop_all() {
    trap - INT TERM EXIT
    echo "stopping demo" >&2
    kill "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

for port in 8081 8082 8083; do
    java -Xmx64m -cp target/fulcrum.jar dev.fulcrum.app.DemoBackend "$port" &
    pids+=($!)
    echo "demo backend-$port has pid $! (kill it to watch Fulcrum route around it)" >&2
done

# Start the balancer once the backends listen, so that its first health round finds them all up.
for port in 8081 8082 8083; do
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
done

# shellcheck disable=SC2046 # the options are words
java $(scripts/java-options.sh) -jar target/fulcrum.jar --config conf/config.json "$@" &
balancer=$!
pids+=("$balancer")
echo "balancer on http://localhost:8080 - try: for i in \$(seq 6); do curl -s localhost:8080; done" >&2
wait "$balancer" || true
