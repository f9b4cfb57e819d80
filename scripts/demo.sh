#!/usr/bin/env bash
# Three demo backends on 127.0.0.1:8081-8083 (each answers with its own name) and the balancer on :8080,
# with conf/config.json. Try: for i in $(seq 6); do curl -s localhost:8080; done
# Ctrl-C stops everything (a second Ctrl-C stops the balancer without waiting for requests in flight).
# Exits with the balancer's status: 0 after a clean stop, 1 or 2 if it could not start.
set -euo pipefail
scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$scripts/absolute-config.sh"
args=("$@")
absolute_config_args "$PWD"
cd "$scripts/.."
scripts/build-if-stale.sh
options="$(scripts/java-options.sh)"

backends=()
balancer=""
stopping=0
stop_all() {
    if ((stopping)); then
        # Background jobs of a script ignore SIGINT: pass the second Ctrl-C on as Fulcrum's "exit now".
        [[ -z $balancer ]] || kill -TERM "$balancer" 2>/dev/null || true
        return
    fi
    stopping=1
    echo "stopping demo" >&2
    [[ -z $balancer ]] || kill -TERM "$balancer" 2>/dev/null || true
    kill "${backends[@]}" 2>/dev/null || true
}
trap stop_all INT TERM
trap 'kill "${backends[@]}" ${balancer:+"$balancer"} 2>/dev/null || true' EXIT

for port in 8081 8082 8083; do
    java -Xmx64m -cp target/fulcrum.jar dev.fulcrum.app.DemoBackend "$port" &
    backends+=($!)
    echo "demo backend-$port has pid $! (kill it to watch Fulcrum route around it)" >&2
done

# Start the balancer once the backends listen, so that its first health round finds them all up.
for port in 8081 8082 8083; do
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
done

# shellcheck disable=SC2086 # the options are words
java $options -jar target/fulcrum.jar --config conf/config.json ${args[@]+"${args[@]}"} &
balancer=$!
echo "starting the balancer on http://localhost:8080 (pid $balancer); once it listens, try:" \
    "for i in \$(seq 6); do curl -s localhost:8080; done" >&2
status=0
# A trapped signal interrupts wait; keep waiting until the balancer has really ended.
while kill -0 "$balancer" 2>/dev/null; do
    wait "$balancer" && status=0 || status=$?
done
((stopping)) || stop_all
wait 2>/dev/null || true
exit "$status"
