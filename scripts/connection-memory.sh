#!/usr/bin/env bash
# Memory per connection of Fulcrum and HAProxy side by side (issue 16): resident memory with no clients, with
# IDLE_CONNECTIONS idle keep-alive connections, and at the end of a busy run at 64 connections.
#
#   scripts/connection-memory.sh                            # about 2-3 minutes; rewrites docs/memory.md
#   IDLE_CONNECTIONS=2000 BUSY_DURATION=10 DOC=/tmp/m.md scripts/connection-memory.sh   # a quick look
#
# For each proxy in turn (both run the whole time, behind the same three nginx backends):
#   1. warm-up: wrk -t1 -c8 -d3s, so that the first requests' class loading and compilation are not counted
#      as connection memory; then RSS "before".
#   2. scripts/idle-connections.py opens IDLE_CONNECTIONS connections, each sends one GET / and then stays open
#      and idle; RSS "idle" is the highest of the samples over SETTLE_S seconds once all are open; the
#      difference over the number still open is the memory per idle connection. Then they close.
#   3. wrk -t1 -c64 -dBUSY_DURATION s; RSS "busy" is the last sample taken while wrk still ran.
# RSS is VmRSS from /proc (HAProxy: all its processes). Fulcrum runs the fat jar (built if missing or stale)
# with scripts/java-options.sh's options, "warmUp": "0s", a clientIdleTimeout of 10m so that nothing
# closes the idle connections, and maxConnections above them (its default under 20,000 descriptors is 6,624);
# HAProxy has its timeouts at 10m too, and maxconn above the connections.
#
# Env [defaults]: IDLE_CONNECTIONS [10000], BUSY_DURATION [30] s, SETTLE_S [5], TARGETS ["fulcrum haproxy"],
# DOC [docs/memory.md] (the markdown report, overwritten), OUT_DIR [/tmp/fulcrum-memory].
# Ports, all on 127.0.0.1: 19201-19203 backends, 19230 haproxy, 19240 fulcrum (19241 its admin).
# Installs wrk, nginx-light, haproxy and curl from Debian's packages when missing; needs python3 and java.
# Every process it starts is stopped when it exits, also on Ctrl-C.
set -Eeuo pipefail
export LC_ALL=C

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_DIR"
TAG=memory
IDLE_CONNECTIONS="${IDLE_CONNECTIONS:-10000}"
BUSY_DURATION="${BUSY_DURATION:-30}"
SETTLE_S="${SETTLE_S:-5}"
TARGETS="${TARGETS:-fulcrum haproxy}"
DOC="${DOC:-docs/memory.md}"
OUT_DIR="${OUT_DIR:-${TMPDIR:-/tmp}/fulcrum-memory}"
RUN_DIR="$OUT_DIR/$(date +%Y%m%d-%H%M%S)"
BACKEND_PORTS=(19201 19202 19203)
declare -A PORT=([fulcrum]=19240 [haproxy]=19230)
FULCRUM_ADMIN_PORT=19241
OPEN_TIMEOUT=180   # s for all the idle connections to be open

for n in IDLE_CONNECTIONS BUSY_DURATION SETTLE_S; do
  [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || { echo "$n must be a positive whole number, got '${!n}'" >&2; exit 1; }
done
for t in $TARGETS; do [[ -n "${PORT[$t]:-}" ]] || { echo "unknown target '$t' (known: fulcrum haproxy)" >&2; exit 1; }; done

mkdir -p "$RUN_DIR/logs" "$RUN_DIR/raw"
REQUIRED_TOOLS="wrk:wrk"
source scripts/side-by-side.sh
command -v java >/dev/null 2>&1 || die "java not found (Fulcrum needs Java 17+)"
command -v python3 >/dev/null 2>&1 || die "python3 not found (the idle client is scripts/idle-connections.py)"
# one descriptor per idle connection in the client and in the proxy; children inherit the raised limit
ulimit -n "$(ulimit -Hn)"
((IDLE_CONNECTIONS + 200 <= $(ulimit -n))) || die "IDLE_CONNECTIONS=$IDLE_CONNECTIONS needs a descriptor limit of $((IDLE_CONNECTIONS + 200)); the hard limit is $(ulimit -Hn)"
for p in "${BACKEND_PORTS[@]}" "${PORT[@]}" "$FULCRUM_ADMIN_PORT"; do port_busy "$p" && die "port $p is already in use"; done
[[ " $TARGETS " == *" fulcrum "* ]] && prepare_fulcrum
RUN_T0=$SECONDS
log "run dir $RUN_DIR"

# ---------------- configs ----------------
# strict-limits off: HAProxy counts two descriptors per connection of maxconn, more than the hard limit here
# (it logs an ALERT and runs on); idle clients take one each, and the backend side only a few pooled connections.
cat >"$RUN_DIR/haproxy.cfg" <<EOF
global
  maxconn $((IDLE_CONNECTIONS + 1000))
  no strict-limits
defaults
  mode http
  maxconn $((IDLE_CONNECTIONS + 1000))
  option http-keep-alive
  timeout connect 5s
  timeout client 10m
  timeout server 60s
  timeout http-request 10s
  timeout http-keep-alive 10m
frontend fe
  bind 127.0.0.1:${PORT[haproxy]}
  default_backend be
backend be
  balance leastconn
  server b1 127.0.0.1:${BACKEND_PORTS[0]} check
  server b2 127.0.0.1:${BACKEND_PORTS[1]} check
  server b3 127.0.0.1:${BACKEND_PORTS[2]} check
EOF
cat >"$RUN_DIR/fulcrum.json" <<EOF
{
  "listenPort": "127.0.0.1:${PORT[fulcrum]}",
  "adminPort": "127.0.0.1:${FULCRUM_ADMIN_PORT}",
  "warmUp": "0s",
  "clientIdleTimeout": "10m",
  "maxConnections": $((IDLE_CONNECTIONS + 1000)),
  "servers": ["http://127.0.0.1:${BACKEND_PORTS[0]}", "http://127.0.0.1:${BACKEND_PORTS[1]}", "http://127.0.0.1:${BACKEND_PORTS[2]}"]
}
EOF

# run_wrk TARGET CONNS SECONDS OUT: wrk in the background (so that Ctrl-C stops it through the trap)
run_wrk() {
  start_bg "wrk-$1-c$2" wrk -t1 -c"$2" -d"$3s" --timeout 5s --latency "http://127.0.0.1:${PORT[$1]}/"
  WRK_PID=$STARTED_PID
}
wrk_summary() {  # LOG: "N req/s, p99 X, E errors"
  awk '/^Requests\/sec:/{rps=$2} /^ +99%/{p99=$2} /Socket errors:|Non-2xx/{err=err $0 ";"}
       END{printf "%.0f req/s, p99 %s%s", rps, p99, (err ? ", " err : ", no errors")}' "$1"
}
max_rss_over() {  # PID SECONDS: the highest of 2 samples a second, in KiB
  local i r max=0
  for ((i = 0; i < $2 * 2; i++)); do r=$(rss_kb "$1"); ((r > max)) && max=$r; sleep 0.5; done
  echo "$max"
}

ROWS="$RUN_DIR/rows.tsv"; : >"$ROWS"
measure() {
  local t=$1 pid=$2 before idle busy=0 open_line still client t0 i
  log "$t: warm-up, wrk -t1 -c8 -d3s"
  run_wrk "$t" 8 3; wait "$WRK_PID" || die "wrk failed against $t"; forget_pid "$WRK_PID"
  sleep 2
  before=$(max_rss_over "$pid" 1)

  log "$t: opening $IDLE_CONNECTIONS idle connections"
  start_bg "idle-$t" python3 scripts/idle-connections.py --port "${PORT[$t]}" --connections "$IDLE_CONNECTIONS" --hold $((OPEN_TIMEOUT + 60))
  client=$STARTED_PID; t0=$SECONDS
  until open_line=$(grep -m1 '^OPEN ' "$RUN_DIR/logs/idle-$t.log"); do
    kill -0 "$client" 2>/dev/null || { cat "$RUN_DIR/logs/idle-$t.log" >&2; die "the idle client exited before opening its connections"; }
    ((SECONDS - t0 < OPEN_TIMEOUT)) || die "the idle connections to $t were not all open after ${OPEN_TIMEOUT}s"
    sleep 0.5
  done
  log "$t: $open_line"
  idle=$(max_rss_over "$pid" "$SETTLE_S")
  kill -TERM "$client" 2>/dev/null || true
  wait "$client" || true; forget_pid "$client"
  still=$(sed -n 's/^STILL_OPEN \([0-9]*\).*/\1/p' "$RUN_DIR/logs/idle-$t.log")
  log "$t: RSS $(((before + 512) / 1024)) MB before, $(((idle + 512) / 1024)) MB with ${still:-0} idle connections still open"
  sleep 3  # the connections close on both sides

  log "$t: busy, wrk -t1 -c64 -d${BUSY_DURATION}s"
  run_wrk "$t" 64 "$BUSY_DURATION"
  for ((i = 0; i < BUSY_DURATION * 2 + 20; i++)); do
    kill -0 "$WRK_PID" 2>/dev/null || break
    busy=$(rss_kb "$pid")
    sleep 0.5
  done
  wait "$WRK_PID" || die "wrk failed against $t"; forget_pid "$WRK_PID"
  kill -0 "$pid" 2>/dev/null || die "$t exited during the measurement"
  # fields: target before_kb idle_kb still_open open_line busy_kb wrk_summary
  printf '%s\t%d\t%d\t%d\t%s\t%d\t%s\n' "$t" "$before" "$idle" "${still:-0}" "${open_line#OPEN }" "$busy" \
    "$(wrk_summary "$RUN_DIR/logs/wrk-$t-c64.log")" >>"$ROWS"
  log "$t: busy RSS $(((busy + 512) / 1024)) MB ($(wrk_summary "$RUN_DIR/logs/wrk-$t-c64.log"))"
}

# ---------------- run ----------------
start_backends
for t in $TARGETS; do
  case "$t" in
    fulcrum) start_fulcrum "$RUN_DIR/fulcrum.json" "${PORT[fulcrum]}" ;;
    haproxy) start_haproxy "$RUN_DIR/haproxy.cfg" "${PORT[haproxy]}" ;;
  esac
done
for t in $TARGETS; do
  case "$t" in
    fulcrum) measure fulcrum "$FULCRUM_PID" ;;
    haproxy) measure haproxy "$HAPROXY_PID" ;;
  esac
done
ELAPSED=$((SECONDS - RUN_T0))

# ---------------- report ----------------
TABLE=$(
  echo "| target | RSS before MB | RSS with idle connections MB | idle connections held | RSS per idle connection KiB | busy RSS MB (64 connections) | busy run |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  awk -F'\t' '{ per = ($4 > 0) ? sprintf("%.1f", ($3 - $2) / $4) : "n/a"
    printf "| %s | %.0f | %.0f | %d of %d | %s | %.0f | %s |\n", $1, $2/1024, $3/1024, $4, n, per, $6/1024, $7 }' n="$IDLE_CONNECTIONS" "$ROWS"
)
mkdir -p "$(dirname "$DOC")"
{
  echo "# Memory per connection: Fulcrum and HAProxy"
  echo
  echo "Written by \`scripts/connection-memory.sh\` on $(date '+%Y-%m-%d %H:%M %Z') (the whole run: ${ELAPSED} s). Rerun it to replace this"
  echo "file; every figure below comes from that one run."
  echo
  machine_facts
  echo "- Fulcrum config: \"warmUp\": \"0s\", \"clientIdleTimeout\": \"10m\", \"maxConnections\": $((IDLE_CONNECTIONS + 1000)), otherwise its defaults"
  echo "- HAProxy: nbthread $(nproc) (its default), maxconn $((IDLE_CONNECTIONS + 1000)), balance leastconn, timeout client and http-keep-alive 10m"
  echo "- backends: one nginx, three server blocks on 127.0.0.1:${BACKEND_PORTS[0]}-${BACKEND_PORTS[2]}, GET / answers a $(wc -c <"$RUN_DIR/www/index.html")-byte index.html"
  echo
  echo "For each proxy in turn, the other idle:"
  echo
  echo '```'
  echo "wrk -t1 -c8 -d3s http://127.0.0.1:PORT/                 # warm-up; then RSS before"
  echo "python3 scripts/idle-connections.py --port PORT --connections $IDLE_CONNECTIONS   # one GET / each, then idle; RSS with idle connections (highest over ${SETTLE_S} s)"
  echo "wrk -t1 -c64 -d${BUSY_DURATION}s --timeout 5s --latency http://127.0.0.1:PORT/  # busy RSS: the last sample while it ran"
  echo '```'
  echo
  echo "$TABLE"
  echo
  echo "- RSS: VmRSS from /proc (HAProxy: all its processes). Per idle connection: (RSS with idle connections - RSS before)"
  echo "  / idle connections still open when the samples ended (1 KiB = 1024 bytes)."
  echo "- Busy RSS comes after the idle connections have closed: the JVM seldom gives back heap it has once touched, so"
  echo "  Fulcrum's busy figure can include memory the idle connections made it take."
  for t in $TARGETS; do
    warnings=$(grep -E 'WARN|SEVERE|ERROR|ALERT|Exception' "$RUN_DIR/logs/$t.log" | sed -E 's/^[0-9-]+ [0-9:.]+ +//' | sort | uniq -c | head -n 5 || true)
    echo "- $t's log: $([[ -n "$warnings" ]] && echo "warnings or errors:" || echo "no warnings or errors")"
    [[ -z "$warnings" ]] || sed -E 's/^ *([0-9]+) (.*)/  - \1x `\2`/' <<<"$warnings"
  done
  echo "- Idle client: $(sed -n 's/^OPEN //p' "$RUN_DIR/logs/idle-"*.log | paste -sd ';' | sed 's/;/; /g') (per proxy, in the order above)."
  echo
  echo "Raw samples, configs and logs of this run: \`$RUN_DIR/\` (not kept in the repository)."
} >"$DOC"

echo
echo "$TABLE"
echo
log "report written to $DOC; configs and logs in $RUN_DIR (run took ${ELAPSED}s)"
