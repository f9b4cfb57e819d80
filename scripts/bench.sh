#!/usr/bin/env bash
# Benchmarks Fulcrum side by side with nginx and haproxy, all in front of the same 3 local nginx
# backends (127.0.0.1:19001-19003, keep-alive, fixed BODY_BYTES body), measured with wrk.
#
#   scripts/bench.sh                                                   # full run, a few minutes
#   DURATION=3 WARMUP_S=1 ROUNDS=1 FULCRUM_WARMUP_S=3 scripts/bench.sh  # quick smoke run
#   TARGETS="direct fulcrum" BODY_BYTES=4096 scripts/bench.sh           # subset / 4 KiB bodies
#   BASELINE_JAR=/tmp/before.jar TARGETS="direct fulcrum baseline" scripts/bench.sh  # before/after, one run
#   EDGE=https TARGETS="haproxy nginx fulcrum" scripts/bench.sh        # HTTPS (TLS 1.3, HTTP/1.1) with wrk
#   EDGE=h2 TARGETS="haproxy nginx fulcrum" scripts/bench.sh           # HTTP/2 over TLS with h2load
#
# Targets: direct (wrk straight to a backend: the ceiling), nginx (1 worker, least_conn, upstream
# keepalive), haproxy (1 thread, leastconn, http-reuse always), fulcrum (target/fulcrum.jar, built
# if missing or stale). Each measured run is `wrk -t1 -c64 --timeout 5s -d DURATION`, preceded by a
# discarded WARMUP_S run; targets are interleaved for ROUNDS rounds and the best round is reported.
# With PIN=1 (default) wrk + backends run on CPU 0 and the proxy under test on CPU 1 (taskset).
# Prints a markdown table with req/s, ratio to direct, p50/p99 and errors, RESULT lines, and
# Fulcrum's startup time and resident memory; also saved under $OUT_DIR (default /tmp/fulcrum-bench).
# Missing wrk/nginx/haproxy are installed from Debian's packages (apt-get, needs root or sudo).
#
# Env overrides [defaults]: TARGETS ["direct nginx haproxy fulcrum"], DURATION [10] s, ROUNDS [3],
# WARMUP_S [2], COOLDOWN_S [1], THREADS [1], CONNS [64], WRK_TIMEOUT [5s], PIN [1], LOAD_CPUS [0],
# PROXY_CPUS [1], BODY_BYTES [100], BACKEND_WORKERS [1], FULCRUM_WARMUP_S [15],
# FULCRUM_START_TIMEOUT [60] s, FULCRUM_JAVA_OPTS [those of scripts/run.sh], OUT_DIR [/tmp/fulcrum-bench],
# BASELINE_JAR (for the target baseline: another build of Fulcrum, e.g. the one before a change, run beside
# target/fulcrum.jar on the same CPU with the same options, its rounds interleaved with fulcrum's),
# FULCRUM_ROUTES [0] (1: target fulcrum serves its servers through one catch-all route, the cost of the route table;
# baseline keeps the plain config, so a build before routes can be compared), FULCRUM_EXTRA [""] (JSON members
# added to target fulcrum's config only, e.g. '"requestIdHeader": ""', to measure what one feature costs), EDGE [http] (https: every proxy
# terminates TLS with the same EC P-256 certificate, made here with openssl, and wrk speaks HTTP/1.1 over it, one
# handshake per connection; h2: the same, with h2load -c CONNS/4 -m 10 speaking HTTP/2; the target direct has no
# TLS and is left out), FULCRUM_TLS_ENGINE [jdk] (openssl: Fulcrum's "tls.engine", netty-tcnative's BoringSSL).
# Ports used, all on 127.0.0.1: 19001-19003 backends, 19020 nginx, 19030 haproxy, 19040 fulcrum (19041 its admin),
# 19050 baseline (19051).
# Every process the script starts is stopped when it exits (also on Ctrl-C).
set -Eeuo pipefail
export LC_ALL=C

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_DIR"
TS="$(date +%Y%m%d-%H%M%S)"
OUT_DIR="${OUT_DIR:-${TMPDIR:-/tmp}/fulcrum-bench}"
RUN_DIR="$OUT_DIR/runs/$TS"
RESULTS_MD="$OUT_DIR/results-$TS.md"

# ---------------- settings (all overridable via env) ----------------
TARGETS="${TARGETS:-direct nginx haproxy fulcrum}"
DURATION="${DURATION:-10}"           # seconds per measured wrk run
WARMUP_S="${WARMUP_S:-2}"            # short wrk warm-up before every measured run (discarded)
COOLDOWN_S="${COOLDOWN_S:-1}"        # pause between runs
ROUNDS="${ROUNDS:-3}"                # interleaved rounds: A B C ... A B C ... (best round reported)
THREADS="${THREADS:-1}"              # wrk -t
CONNS="${CONNS:-64}"                 # wrk -c
WRK_TIMEOUT="${WRK_TIMEOUT:-5s}"     # wrk --timeout (requests slower than this count as errors)
PIN="${PIN:-1}"                      # 1: pin load side (wrk+backends) and proxy to separate CPUs
LOAD_CPUS="${LOAD_CPUS:-0}"          # CPUs for wrk + backends when PIN=1
PROXY_CPUS="${PROXY_CPUS:-1}"        # CPUs for the proxy under test when PIN=1
BODY_BYTES="${BODY_BYTES:-100}"      # backend response body size
BACKEND_WORKERS="${BACKEND_WORKERS:-1}"
FULCRUM_WARMUP_S="${FULCRUM_WARMUP_S:-15}"            # JIT warm-up run before the rounds
FULCRUM_START_TIMEOUT="${FULCRUM_START_TIMEOUT:-60}"  # s until the first proxied 200, and until readiness UP
FULCRUM_JAVA_OPTS="${FULCRUM_JAVA_OPTS:-}"  # empty: the options scripts/run.sh uses (scripts/java-options.sh)
FULCRUM_JAR="$REPO_DIR/target/fulcrum.jar"

BACKEND_PORTS=(19001 19002 19003)
declare -A PORT=([direct]=19001 [nginx]=19020 [haproxy]=19030 [fulcrum]=19040 [baseline]=19050)
declare -A ADMIN_PORT=([fulcrum]=19041 [baseline]=19051)
BASELINE_JAR="${BASELINE_JAR:-}"
FULCRUM_ROUTES="${FULCRUM_ROUTES:-0}"
FULCRUM_EXTRA="${FULCRUM_EXTRA:-}"
EDGE="${EDGE:-http}"
FULCRUM_TLS_ENGINE="${FULCRUM_TLS_ENGINE:-jdk}"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }
has() { [[ " $TARGETS " == *" $1 "* ]]; }

for n in DURATION WARMUP_S COOLDOWN_S ROUNDS THREADS CONNS BODY_BYTES BACKEND_WORKERS FULCRUM_WARMUP_S FULCRUM_START_TIMEOUT; do
  [[ "${!n}" =~ ^[0-9]+$ ]] || die "$n must be a whole number, got '${!n}'"
done
((DURATION > 0 && ROUNDS > 0 && BODY_BYTES > 0)) || die "DURATION, ROUNDS and BODY_BYTES must be > 0"
for t in $TARGETS; do [[ -n "${PORT[$t]:-}" ]] || die "unknown target '$t' (known: direct nginx haproxy fulcrum baseline)"; done
if has baseline; then [[ -f "$BASELINE_JAR" ]] || die "target baseline needs BASELINE_JAR, the jar to compare with (got '${BASELINE_JAR}')"; fi
[[ "$EDGE" =~ ^(http|https|h2)$ ]] || die "EDGE must be http, https or h2, got '$EDGE'"
SCHEME=http
if [[ "$EDGE" != http ]]; then
  SCHEME=https
  TARGETS="$(echo " $TARGETS " | sed 's/ direct / /g; s/^ *//; s/ *$//')"
fi
[[ -n "${TARGETS// /}" ]] || die "TARGETS is empty"

# ---------------- process bookkeeping + cleanup ----------------
PIDS=(); PNAMES=(); WRK_PID=""
stop_pid() {  # stop one process we started, and its process group (it leads one: see start_bg)
  local pid=$1 name=$2 i
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  log "stopped $name (pid $pid)"
}
cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  if [[ -n "$WRK_PID" ]]; then kill -TERM "$WRK_PID" 2>/dev/null || true; wait "$WRK_PID" 2>/dev/null || true; fi
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" "${PNAMES[i]}"; done
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# start_bg NAME CPUS CMD... : run in the background in its own session/process group, so the whole
# tree (nginx master + workers, ...) is stopped via its PID; pinned to CPUS when PIN=1.
start_bg() {
  local name=$1 cpus=$2; shift 2
  local logf="$RUN_DIR/logs/$name.log"
  if [[ "$PIN" == 1 && -n "$cpus" ]]; then
    setsid taskset -c "$cpus" "$@" >"$logf" 2>&1 </dev/null &
  else
    setsid "$@" >"$logf" 2>&1 </dev/null &
  fi
  PIDS+=("$!"); PNAMES+=("$name")
  log "started $name (pid $!, cpus=$([[ "$PIN" == 1 ]] && echo "$cpus" || echo any), log $logf)"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_ready NAME PID PORT TIMEOUT: wait until GET / on the port answers 200
wait_ready() {
  local name=$1 pid=$2 port=$3 timeout=$4 t0=$SECONDS code=""
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$RUN_DIR/logs/$name.log" >&2 || true
      die "$name (pid $pid) exited before becoming ready on port $port"
    fi
    local scheme=http
    [[ "$name" != backend ]] && scheme=$SCHEME
    code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "$scheme://127.0.0.1:$port/" || true)
    [[ "$code" == 200 ]] && break
    ((SECONDS - t0 >= timeout)) && { tail -n 20 "$RUN_DIR/logs/$name.log" >&2 || true; die "$name not ready on 127.0.0.1:$port after ${timeout}s (last HTTP code: ${code:-none})"; }
    sleep 0.2
  done
  log "$name ready on 127.0.0.1:$port"
}

# ---------------- preflight: tools ----------------
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
if has haproxy && ! command -v haproxy >/dev/null 2>&1; then missing+=(haproxy); fi
if [[ "$EDGE" == h2 ]] && ! command -v h2load >/dev/null 2>&1; then missing+=(nghttp2-client); fi
if [[ "$EDGE" != http ]] && ! command -v openssl >/dev/null 2>&1; then missing+=(openssl); fi
if ((${#missing[@]})); then
  SUDO=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "missing ${missing[*]}; install them (apt-get install -y ${missing[*]}) or run as root"
    SUDO=(sudo)
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them with"
  log "installing ${missing[*]} from Debian's packages: ${SUDO[*]} apt-get update && ${SUDO[*]} apt-get install -y ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq >&2 || log "apt-get update failed; trying the install anyway"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 || die "apt-get install -y ${missing[*]} failed"
fi
need() { command -v "$1" >/dev/null 2>&1 || die "required tool '$1' not found in PATH${2:+ ($2)}"; }
for t in wrk nginx curl awk setsid; do need "$t"; done
if has haproxy; then need haproxy; fi
if has fulcrum || has baseline; then need java; fi
NCPU=$(nproc)
if [[ "$PIN" == 1 ]]; then
  need taskset "or run with PIN=0"
  for c in ${LOAD_CPUS//,/ } ${PROXY_CPUS//,/ }; do
    if ! [[ "$c" =~ ^[0-9]+$ ]] || ((c >= NCPU)); then
      die "PIN=1 needs plain CPU lists within 0..$((NCPU - 1)) (LOAD_CPUS=$LOAD_CPUS PROXY_CPUS=$PROXY_CPUS); or run with PIN=0"
    fi
  done
fi
for p in "${BACKEND_PORTS[@]}"; do port_busy "$p" && die "port $p already in use"; done
for t in $TARGETS; do [[ "$t" == direct ]] && continue; port_busy "${PORT[$t]}" && die "port ${PORT[$t]} ($t) already in use"; done
for name in fulcrum baseline; do
  if has "$name" && port_busy "${ADMIN_PORT[$name]}"; then die "port ${ADMIN_PORT[$name]} ($name's admin port) already in use"; fi
done

if has fulcrum; then
  scripts/build-if-stale.sh || die "building $FULCRUM_JAR failed"
  FULCRUM_JAVA_OPTS="$(scripts/java-options.sh)" || die "preparing the JVM options failed"
  [[ -f "$FULCRUM_JAR" ]] || die "$FULCRUM_JAR not found after build"
fi

mkdir -p "$RUN_DIR/logs" "$RUN_DIR/raw" "$RUN_DIR/tmp"
if [[ "$EDGE" != http ]]; then
  # One certificate for every proxy: EC P-256, as most sites have now.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$RUN_DIR/edge.key" -out "$RUN_DIR/edge.crt" \
    -days 7 -subj /CN=localhost -addext subjectAltName=DNS:localhost 2>/dev/null || die "openssl could not make the certificate"
  cat "$RUN_DIR/edge.crt" "$RUN_DIR/edge.key" >"$RUN_DIR/edge.pem"
fi
RUN_T0=$SECONDS
log "run dir $RUN_DIR"

# ---------------- generated files ----------------
# wrk done() hook: one machine-readable line per run. Only done() is defined, so wrk keeps its
# fast C path for requests/responses (no per-request Lua). Latencies are in microseconds.
LUA="$RUN_DIR/wrk-report.lua"
cat >"$LUA" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "WRKRESULT requests=%.0f duration_s=%.3f rps=%.2f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f mean_us=%.1f " ..
    "connect=%.0f read=%.0f write=%.0f status=%.0f timeout=%.0f bytes=%.0f\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout, summary.bytes))
end
EOF

USER_LINE=""; [[ "$(id -u)" == 0 ]] && USER_LINE="user root;"
# The backends' `return 200 "<body>"`. nginx caps one config token at 4 KiB, so a larger body is
# assembled from 2 KiB `set` variables.
if ((BODY_BYTES <= 2048)); then
  BACKEND_LOCATION="return 200 \"$(head -c "$BODY_BYTES" /dev/zero | tr '\0' 'x')\";"
else
  BACKEND_LOCATION=""; vars=""
  for ((off = 0, k = 0; off < BODY_BYTES; off += 2048, k++)); do
    n=$((BODY_BYTES - off < 2048 ? BODY_BYTES - off : 2048))
    BACKEND_LOCATION+="set \$b$k \"$(head -c "$n" /dev/zero | tr '\0' 'x')\"; "
    vars+="\$b$k"
  done
  BACKEND_LOCATION+="return 200 \"$vars\";"
fi
nginx_common_http() {  # $1 = name (for temp dirs)
  cat <<EOF
  access_log off;
  default_type text/plain;
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  client_body_temp_path $RUN_DIR/tmp/$1-body;
  proxy_temp_path $RUN_DIR/tmp/$1-proxy;
  fastcgi_temp_path $RUN_DIR/tmp/$1-fastcgi;
  uwsgi_temp_path $RUN_DIR/tmp/$1-uwsgi;
  scgi_temp_path $RUN_DIR/tmp/$1-scgi;
EOF
}

# backends: one nginx, 3 server blocks, small fixed body, keep-alive
{
  echo "$USER_LINE"
  echo "worker_processes $BACKEND_WORKERS;"
  echo "pid $RUN_DIR/backend.pid;"
  echo "error_log $RUN_DIR/logs/backend-error.log warn;"
  echo "events { worker_connections 16384; }"
  echo "http {"
  nginx_common_http backend
  for p in "${BACKEND_PORTS[@]}"; do
    echo "  server { listen 127.0.0.1:$p backlog=4096; location / { $BACKEND_LOCATION } }"
  done
  echo "}"
} >"$RUN_DIR/backend-nginx.conf"

# nginx proxy: 1 worker, least_conn, HTTP/1.1 upstream keep-alive
{
  echo "$USER_LINE"
  echo "worker_processes 1;"
  echo "pid $RUN_DIR/nginx.pid;"
  echo "error_log $RUN_DIR/logs/nginx-error.log warn;"
  echo "events { worker_connections 16384; }"
  echo "http {"
  nginx_common_http nginx
  echo "  upstream backends {"
  echo "    least_conn;"
  for p in "${BACKEND_PORTS[@]}"; do echo "    server 127.0.0.1:$p;"; done
  echo "    keepalive 128;"
  echo "    keepalive_requests 1000000;"
  echo "  }"
  echo "  server {"
  if [[ "$EDGE" == http ]]; then
    echo "    listen 127.0.0.1:${PORT[nginx]} backlog=4096;"
  else
    # The listen parameter, not \`http2 on\`: Debian 12's nginx 1.22 predates that directive.
    echo "    listen 127.0.0.1:${PORT[nginx]} ssl http2 backlog=4096;"
    echo "    ssl_certificate $RUN_DIR/edge.crt;"
    echo "    ssl_certificate_key $RUN_DIR/edge.key;"
    echo "    ssl_protocols TLSv1.2 TLSv1.3;"
  fi
  echo "    location / {"
  echo "      proxy_pass http://backends;"
  echo "      proxy_http_version 1.1;"
  echo "      proxy_set_header Connection \"\";"
  echo "    }"
  echo "  }"
  echo "}"
} >"$RUN_DIR/nginx.conf"

# haproxy: 1 thread, leastconn, keep-alive, http-reuse always
{
  echo "global"
  echo "  nbthread 1"
  echo "  maxconn 4096"
  echo "defaults"
  echo "  mode http"
  echo "  option http-keep-alive"
  echo "  http-reuse always"
  echo "  timeout connect 5s"
  echo "  timeout client 30s"
  echo "  timeout server 30s"
  echo "  timeout http-keep-alive 30s"
  echo "frontend fe"
  if [[ "$EDGE" == http ]]; then
    echo "  bind 127.0.0.1:${PORT[haproxy]}"
  else
    echo "  bind 127.0.0.1:${PORT[haproxy]} ssl crt $RUN_DIR/edge.pem alpn h2,http/1.1"
  fi
  echo "  default_backend be"
  echo "backend be"
  echo "  balance leastconn"
  i=1
  for p in "${BACKEND_PORTS[@]}"; do echo "  server b$i 127.0.0.1:$p"; i=$((i + 1)); done
} >"$RUN_DIR/haproxy.cfg"

for name in fulcrum baseline; do
  routes=""
  [[ "$name" == fulcrum && "$FULCRUM_ROUTES" == 1 ]] && routes=', "routes": [{"pool": "default"}]'
  [[ "$name" == fulcrum && -n "$FULCRUM_EXTRA" ]] && routes="$routes, $FULCRUM_EXTRA"
  listen="\"listenPort\": \"127.0.0.1:${PORT[$name]}\""
  if [[ "$EDGE" != http ]]; then
    engine=""
    [[ "$FULCRUM_TLS_ENGINE" != jdk ]] && engine=", \"engine\": \"$FULCRUM_TLS_ENGINE\""
    listen="\"listenPort\": \"127.0.0.1:$((PORT[$name] + 2))\", \"tls\": {\"listenPort\": \"127.0.0.1:${PORT[$name]}\", \"certificates\": [{\"certFile\": \"$RUN_DIR/edge.crt\", \"keyFile\": \"$RUN_DIR/edge.key\"}]$engine}"
  fi
  cat >"$RUN_DIR/$name.json" <<EOF
{$listen, "adminPort": "127.0.0.1:${ADMIN_PORT[$name]}", "healthCheckInterval": "1s", "servers": ["http://127.0.0.1:19001","http://127.0.0.1:19002","http://127.0.0.1:19003"]$routes}
EOF
done

# ---------------- start everything ----------------
WRK_PIN=(); [[ "$PIN" == 1 ]] && WRK_PIN=(taskset -c "$LOAD_CPUS")
now_ms() { local t=$EPOCHREALTIME; t=${t/[.,]/}; echo $((t / 1000)); }

start_bg backend "$LOAD_CPUS" nginx -e "$RUN_DIR/logs/backend-error.log" -p "$RUN_DIR" -c "$RUN_DIR/backend-nginx.conf" -g "daemon off;"
BACKEND_PID=${PIDS[-1]}
for p in "${BACKEND_PORTS[@]}"; do wait_ready backend "$BACKEND_PID" "$p" 15; done
got=$(curl -s --max-time 2 "http://127.0.0.1:19001/" | wc -c)
[[ "$got" == "$BODY_BYTES" ]] || die "backend body is $got bytes, expected $BODY_BYTES"

# start_fulcrum NAME: launches NAME's jar (target/fulcrum.jar, or BASELINE_JAR for baseline) on the proxy CPUs,
# then waits for its first proxied 200 (its startup time) and for readiness UP (its warm-up is over).
declare -A JVM_PID=() STARTUP_MS=() READY_MS=()
start_fulcrum() {
  local name=$1 jar=$FULCRUM_JAR t_launch deadline res pid
  [[ "$name" == baseline ]] && jar=$BASELINE_JAR
  read -r -a JAVA_OPTS <<<"$FULCRUM_JAVA_OPTS"
  t_launch=$(now_ms)
  start_bg "$name" "$PROXY_CPUS" java "${JAVA_OPTS[@]}" -jar "$jar" --config "$RUN_DIR/$name.json"
  pid=${PIDS[-1]}
  JVM_PID[$name]=$pid
  deadline=$((t_launch + FULCRUM_START_TIMEOUT * 1000)); res=""
  # starting WHEN TIMEOUT_MESSAGE: stop with its log's tail if it has exited or the deadline passed
  starting() {
    local problem=""
    if ! kill -0 "$pid" 2>/dev/null; then problem="$name (pid $pid) exited $1"
    elif (($(now_ms) >= deadline)); then problem=$2; fi
    if [[ -n "$problem" ]]; then
      tail -n 30 "$RUN_DIR/logs/$name.log" >&2 || true
      die "$problem"
    fi
  }
  while :; do
    res=$("${WRK_PIN[@]}" curl -sk -o /dev/null -w '%{http_code} %{size_download}' --max-time 1 "$SCHEME://127.0.0.1:${PORT[$name]}/" || true)
    if [[ "$res" == "200 $BODY_BYTES" ]]; then STARTUP_MS[$name]=$(($(now_ms) - t_launch)); break; fi
    starting "before answering" \
      "$name gave no proxied 200 on 127.0.0.1:${PORT[$name]} within ${FULCRUM_START_TIMEOUT}s (last: ${res:-no answer})"
    sleep 0.01
  done
  log "$name serving on 127.0.0.1:${PORT[$name]}: first proxied 200 after ${STARTUP_MS[$name]} ms"
  # readiness turns UP once Fulcrum's own warm-up has compiled the request path (warmUp in the README)
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:${ADMIN_PORT[$name]}/health/ready" || true)" == 200 ]]; do
    starting "during its warm-up" "$name not ready (/health/ready) within ${FULCRUM_START_TIMEOUT}s"
    sleep 0.05
  done
  READY_MS[$name]=$(($(now_ms) - t_launch))
  log "$name ready after ${READY_MS[$name]} ms (warmed up)"
}

FULCRUM_PID=""; FULCRUM_STARTUP_MS=""; FULCRUM_READY_MS=""; FULCRUM_RSS=""; FULCRUM_HWM=""
for t in $TARGETS; do
  case "$t" in
    direct) ;;
    nginx)
      start_bg nginx "$PROXY_CPUS" nginx -e "$RUN_DIR/logs/nginx-error.log" -p "$RUN_DIR" -c "$RUN_DIR/nginx.conf" -g "daemon off;"
      wait_ready nginx "${PIDS[-1]}" "${PORT[nginx]}" 15 ;;
    haproxy)
      start_bg haproxy "$PROXY_CPUS" haproxy -db -f "$RUN_DIR/haproxy.cfg"
      wait_ready haproxy "${PIDS[-1]}" "${PORT[haproxy]}" 15 ;;
    fulcrum | baseline) start_fulcrum "$t" ;;
  esac
done

FULCRUM_PID=${JVM_PID[fulcrum]:-}; FULCRUM_STARTUP_MS=${STARTUP_MS[fulcrum]:-}; FULCRUM_READY_MS=${READY_MS[fulcrum]:-}

# resident memory of the JVM (the PID we started is the JVM itself: setsid and taskset exec it)
java_pid() {
  local p
  for p in "$FULCRUM_PID" $(ps -o pid= -s "$FULCRUM_PID" 2>/dev/null); do
    [[ "$(cat "/proc/$p/comm" 2>/dev/null)" == java ]] && { echo "$p"; return 0; }
  done
  echo "$FULCRUM_PID"
}
read_rss() {  # -> "VmRSS_MiB VmHWM_MiB"
  local f
  f="/proc/$(java_pid)/status"
  if [[ -r "$f" ]]; then
    awk '/^VmRSS:/{r=$2} /^VmHWM:/{h=$2} END{printf "%.1f %.1f\n", r/1024, h/1024}' "$f"
  else
    echo "n/a n/a"
  fi
}

# ---------------- measurement ----------------
CPU_IDS=$(awk '/^cpu[0-9]+ /{sub("cpu","",$1); printf "%s ", $1}' /proc/stat)
cpu_snap() { awk '/^cpu[0-9]+ /{b=$2+$3+$4+$7+$8+$9; t=b+$5+$6; printf "%s %s ", b, t}' /proc/stat; }
cpu_pct() {  # before after -> "c0=97 c1=100"
  awk -v a="$1" -v b="$2" -v ids="$CPU_IDS" 'BEGIN{n=split(a,A," "); split(b,B," "); split(ids,I," ");
    for(i=1;i<=n/2;i++){db=B[2*i-1]-A[2*i-1]; dt=B[2*i]-A[2*i]; printf "%sc%s=%.0f", (i>1?" ":""), I[i], (dt>0?100*db/dt:0)}}'
}
WRK_BASE=(wrk -t"$THREADS" -c"$CONNS" --timeout "$WRK_TIMEOUT" --latency -s "$LUA")

# h2load_result OUTFILE DURATION: appends a WRKRESULT line from h2load's summary (it reports the mean and the
# maximum request time, not percentiles: they go in the p50 and p99 columns, and the report says so).
h2load_result() {
  awk -v d="$2" '
    /^finished in/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^req\/s/) { rps = $i; gsub(",", "", rps) } }
    /^requests:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^failed/) failed = $i; if ($(i+1) ~ /^errored/) errored = $i } }
    /^status codes:/ { for (i = 1; i <= NF; i++) if ($(i+1) ~ /^[345]xx/) bad += $i }
    /^time for request:/ { mean = $(NF - 2); max = $5 }
    function us(t) { if (t ~ /us$/) return t + 0; if (t ~ /ms$/) return (t + 0) * 1000; return (t + 0) * 1000000 }
    END { printf "WRKRESULT rps=%s p50_us=%d p99_us=%d connect=0 read=%d write=0 status=%d timeout=0\n", rps, us(mean), us(max), failed + errored, bad }' "$1" >>"$1"
}

# run_wrk URL DURATION OUTFILE: wrk in the background (so a signal stops it at once via the trap);
# writes OUTFILE.time with wrk's "user sys" CPU seconds (from the shell's children times).
run_wrk() {
  local url=$1 dur=$2 out=$3 rc=0
  times >"$out.t0"
  if [[ "$EDGE" == h2 ]]; then
    # HTTP/2: CONNS/4 connections of 10 streams each (browsers open one per origin, gRPC clients a few).
    "${WRK_PIN[@]}" h2load -c $((CONNS / 4 > 0 ? CONNS / 4 : 1)) -m 10 -t "$THREADS" -D "$dur" "$url" >"$out" 2>&1 </dev/null &
  else
    "${WRK_PIN[@]}" "${WRK_BASE[@]}" -d"${dur}s" "$url" >"$out" 2>&1 </dev/null &
  fi
  WRK_PID=$!
  wait "$WRK_PID" || rc=$?
  WRK_PID=""
  times >"$out.t1"
  ((rc == 0)) || { cat "$out" >&2; die "wrk failed against $url (exit $rc)"; }
  if [[ "$EDGE" == h2 ]]; then h2load_result "$out" "$dur"; fi
  awk 'function s(x,  m){ m=x; sub(/m.*/,"",m); sub(/^[0-9]+m/,"",x); sub(/s$/,"",x); return m*60+x }
       FNR==2{u[FILENAME]=s($1); y[FILENAME]=s($2)}
       END{printf "%.3f %.3f\n", u[ARGV[2]]-u[ARGV[1]], y[ARGV[2]]-y[ARGV[1]]}' "$out.t0" "$out.t1" >"$out.time"
}

for name in fulcrum baseline; do
  if has "$name" && ((FULCRUM_WARMUP_S > 0)); then
    log "$name JIT warm-up: ${FULCRUM_WARMUP_S}s of wrk"
    run_wrk "$SCHEME://127.0.0.1:${PORT[$name]}/" "$FULCRUM_WARMUP_S" "$RUN_DIR/raw/$name-jit-warmup.txt"
    grep -h WRKRESULT "$RUN_DIR/raw/$name-jit-warmup.txt" >&2 || true
  fi
done

ROWS="$RUN_DIR/rows.tsv"; : >"$ROWS"
for ((r = 1; r <= ROUNDS; r++)); do
  for t in $TARGETS; do
    url="$SCHEME://127.0.0.1:${PORT[$t]}/"
    if ((WARMUP_S > 0)); then run_wrk "$url" "$WARMUP_S" "$RUN_DIR/raw/$t-r$r-warmup.txt"; fi
    out="$RUN_DIR/raw/$t-r$r.txt"
    c0=$(cpu_snap)
    run_wrk "$url" "$DURATION" "$out"
    c1=$(cpu_snap)
    if [[ "$t" == fulcrum ]]; then read -r FULCRUM_RSS FULCRUM_HWM < <(read_rss); fi
    cpus=$(cpu_pct "$c0" "$c1")
    line=$(grep -h '^WRKRESULT' "$out" || true)
    [[ -n "$line" ]] || { cat "$out" >&2; die "no WRKRESULT line from wrk for $t"; }
    read -r wu ws <"$out.time"
    # fields: target round rps p50_ms p99_ms errors wrk_cpu% cpu-busy
    awk -v t="$t" -v r="$r" -v cpus="$cpus" -v wu="$wu" -v ws="$ws" -v d="$DURATION" '{
        for(i=2;i<=NF;i++){split($i,kv,"="); v[kv[1]]=kv[2]}
        err=v["connect"]+v["read"]+v["write"]+v["status"]+v["timeout"];
        printf "%s\t%d\t%.0f\t%.3f\t%.3f\t%d\t%.0f\t%s\n", t, r, v["rps"], v["p50_us"]/1000, v["p99_us"]/1000, err, 100*(wu+ws)/d, cpus
      }' <<<"$line" >>"$ROWS"
    log "$(tail -n 1 "$ROWS" | awk -F'\t' '{printf "round %s %-8s rps=%s p50=%sms p99=%sms errors=%s wrk_cpu=%s%% busy[%s]", $2, $1, $3, $4, $5, $6, $7, $8}')"
    sleep "$COOLDOWN_S"
  done
done

# ---------------- report ----------------
ELAPSED=$((SECONDS - RUN_T0))
# best round (by rps) per target; errors summed over all measured rounds
SUMMARY=$(awk -F'\t' -v order="$TARGETS" '
  { if (!($1 in best) || $3 > best[$1]) { best[$1]=$3; p50[$1]=$4; p99[$1]=$5; wcpu[$1]=$7; busy[$1]=$8 }
    err[$1]+=$6; all[$1]=(all[$1]==""?"":all[$1] " / ") $3 }
  END { n=split(order,O," "); d=best["direct"];
    for(i=1;i<=n;i++){t=O[i]; if(!(t in best)) continue;
      ratio=(d>0?sprintf("%.2f", best[t]/d):"n/a");
      printf "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", t, best[t], ratio, p50[t], p99[t], err[t], all[t], wcpu[t], busy[t] } }' "$ROWS")

PIN_DESC="no (PIN=0: the OS scheduler places everything on $NCPU CPUs)"
[[ "$PIN" == 1 ]] && PIN_DESC="yes: wrk + backend nginx on CPU $LOAD_CPUS, proxy under test on CPU $PROXY_CPUS (taskset)"
{
  echo "# Fulcrum benchmark $TS"
  echo
  echo "- host: $(uname -sr), $NCPU CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "- load: \`wrk -t$THREADS -c$CONNS --timeout $WRK_TIMEOUT --latency -s wrk-report.lua -d${DURATION}s\` (+ ${WARMUP_S}s discarded warm-up before each measured run), ${ROUNDS} interleaved round(s); table shows the best round by req/s"
  case "$EDGE" in
    https) echo "- edge: HTTPS, TLS 1.3 (wrk's OpenSSL), HTTP/1.1, one EC P-256 certificate for every proxy; one handshake per connection (keep-alive)" ;;
    h2) echo "- edge: HTTP/2 over TLS 1.3, \`h2load -c $((CONNS / 4 > 0 ? CONNS / 4 : 1)) -m 10 -D ${DURATION}\` instead of wrk: **the p50 column is h2load's mean, the p99 column its maximum**" ;;
  esac
  [[ "$EDGE" != http ]] && echo "- fulcrum TLS engine: $FULCRUM_TLS_ENGINE"
  echo "- pinning: $PIN_DESC"
  echo "- backends: 1 nginx ($BACKEND_WORKERS worker) with 3 server blocks 127.0.0.1:19001-19003, \`return 200\` body of $BODY_BYTES bytes, keep-alive"
  echo "- proxies: nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') (1 worker, least_conn, upstream keepalive 128); haproxy $(if command -v haproxy >/dev/null; then haproxy -v 2>/dev/null | awk 'NR==1{print $3}'; fi) (nbthread 1, leastconn, http-reuse always); fulcrum (\`java $FULCRUM_JAVA_OPTS -jar target/fulcrum.jar\`, ${FULCRUM_WARMUP_S}s JIT warm-up)"
  echo "- errors = wrk connect+read+write+timeout+non-2xx/3xx, summed over all measured rounds; wrk cpu% = wrk user+sys / duration (100% = one core); cpu busy = per-CPU busy% during the best run"
  echo "- wall time: ${ELAPSED}s"
  echo
  echo "| target | req/s | ratio to direct | p50 ms | p99 ms | errors | req/s per round | wrk cpu% | cpu busy % |"
  echo "|---|---:|---:|---:|---:|---:|---|---:|---|"
  awk -F'\t' '{printf "| %s | %.0f | %s | %.2f | %.2f | %d | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}' <<<"$SUMMARY"
  echo
  if has fulcrum; then
    echo "- fulcrum startup: ${FULCRUM_STARTUP_MS} ms from launch to the first proxied 200, ${FULCRUM_READY_MS} ms to readiness UP after its warm-up$([[ "$PIN" == 1 ]] && echo " (JVM pinned to CPU $PROXY_CPUS)")"
    echo "- fulcrum resident memory: ${FULCRUM_RSS} MiB VmRSS at the end of its last measured run (peak VmHWM ${FULCRUM_HWM} MiB; \`$FULCRUM_JAVA_OPTS\`)"
    echo
  fi
  echo '```'
  awk -F'\t' '{printf "RESULT target=%s rps=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d ratio=%s\n", $1, $2, $4, $5, $6, $3}' <<<"$SUMMARY"
  if has fulcrum; then echo "FULCRUM startup_ms=$FULCRUM_STARTUP_MS ready_ms=$FULCRUM_READY_MS rss_mib=$FULCRUM_RSS hwm_mib=$FULCRUM_HWM"; fi
  echo '```'
  echo
  echo "Raw wrk output, configs and logs: \`$RUN_DIR/\`"
} >"$RESULTS_MD"

cat "$RESULTS_MD"
log "results written to $RESULTS_MD (run took ${ELAPSED}s)"
