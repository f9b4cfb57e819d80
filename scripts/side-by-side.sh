# Sourced by attack.sh and connection-memory.sh: starts three nginx backends, Fulcrum and HAProxy side by side
# on loopback, and stops every process it started when the script exits. The caller sets, before sourcing:
#   TAG (log prefix), RUN_DIR (an empty directory for configs, logs and raw results),
#   BACKEND_PORTS (array of 3 ports), and optionally REQUIRED_TOOLS ("command:debian-package" words).
# Not a script of its own: it has no shebang and runs nothing when sourced but the tool check.

log() { printf '[%s %s] %s\n' "$TAG" "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$TAG" "$*" >&2; exit 1; }
now_ms() { local t=$EPOCHREALTIME; t=${t/[.,]/}; echo $((t / 1000)); }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------- tools: installed from Debian's packages when missing ----------------
install_missing() {  # "command:package" ...
  local pair missing=() sudo=()
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}"); done
  ((${#missing[@]})) || return 0
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "missing ${missing[*]}; install them (apt-get install -y ${missing[*]}) or run as root"
    sudo=(sudo)
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them with"
  log "installing ${missing[*]}: ${sudo[*]} apt-get install -y ${missing[*]}"
  "${sudo[@]}" apt-get update -qq >&2 || log "apt-get update failed; trying the install anyway"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 \
    || die "apt-get install -y ${missing[*]} failed"
  for pair in "$@"; do command -v "${pair%%:*}" >/dev/null 2>&1 || die "'${pair%%:*}' still missing after installing ${pair#*:}"; done
}

# ---------------- processes: each in its own session, all stopped on exit ----------------
PIDS=(); PNAMES=()
stop_pid() {  # PID NAME: TERM the process group the PID leads (see start_bg), KILL it after 5 s
  local pid=$1 name=$2 i
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 -- "-$pid" 2>/dev/null; then
      log "$name (pid $pid) still running 5 s after SIGTERM: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}
forget_pid() {  # PID: drop it from the list once stopped
  local i
  for i in "${!PIDS[@]}"; do [[ "${PIDS[i]}" == "$1" ]] && unset 'PIDS[i]' 'PNAMES[i]'; done
  PIDS=("${PIDS[@]}"); PNAMES=("${PNAMES[@]}")
}
cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" "${PNAMES[i]}"; done
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# start_bg NAME CMD...: runs CMD in its own session (setsid execs it, so $! is CMD itself), so that stopping
# the group also stops what it forks (nginx and haproxy workers). Sets STARTED_PID.
start_bg() {
  local name=$1; shift
  setsid "$@" >"$RUN_DIR/logs/$name.log" 2>&1 </dev/null &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID"); PNAMES+=("$name")
  log "started $name (pid $STARTED_PID, log $RUN_DIR/logs/$name.log)"
}

# rss_kb PID: resident memory of every process in PID's session (haproxy's or nginx's workers included), in KiB
rss_kb() {
  local p sum=0 r
  for p in $(ps -o pid= -s "$1" 2>/dev/null); do
    r=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null || true)
    sum=$((sum + ${r:-0}))
  done
  echo "$sum"
}

# wait_200 NAME PID URL TIMEOUT_S: until URL answers 200, or fail with the log's tail
wait_200() {
  local name=$1 pid=$2 url=$3 timeout=$4 t0=$SECONDS code=""
  while :; do
    kill -0 "$pid" 2>/dev/null || { tail -n 20 "$RUN_DIR/logs/$name.log" >&2; die "$name (pid $pid) exited before answering $url"; }
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$url" || true)
    [[ "$code" == 200 ]] && return 0
    ((SECONDS - t0 < timeout)) || { tail -n 20 "$RUN_DIR/logs/$name.log" >&2; die "$name gave no 200 on $url within ${timeout}s (last: ${code:-none})"; }
    sleep 0.1
  done
}

# ---------------- backends: one nginx, three server blocks ----------------
# Each serves a small index.html, a 1 MiB big.bin, and /upload, which reads the whole request body before it
# answers, as an application would: nginx's proxy module buffers the body first (proxy_request_buffering),
# and here it proxies to the same server's index.html. A bare "return 200" would answer at once and drop the
# body, and a slow upload would then never tie up the proxy in front.
start_backends() {
  local p www="$RUN_DIR/www" user_line=""
  mkdir -p "$www" "$RUN_DIR/tmp"
  printf '<!doctype html><title>fulcrum test backend</title><p>hello from a backend</p>\n' >"$www/index.html"
  head -c 1048576 /dev/urandom >"$www/big.bin"
  [[ "$(id -u)" == 0 ]] && user_line="user root;"  # the workers must read $RUN_DIR
  {
    echo "$user_line"
    echo "worker_processes 1;"
    echo "pid $RUN_DIR/backend.pid;"
    echo "error_log $RUN_DIR/logs/backend-error.log warn;"
    echo "events { worker_connections 16384; }"
    echo "http {"
    echo "  access_log off;"
    echo "  keepalive_requests 1000000;"
    echo "  client_max_body_size 16m;"
    for d in body proxy fastcgi uwsgi scgi; do echo "  ${d/body/client_body}_temp_path $RUN_DIR/tmp/$d;"; done
    for p in "${BACKEND_PORTS[@]}"; do
      echo "  server {"
      echo "    listen 127.0.0.1:$p backlog=4096;"
      echo "    root $www;"
      echo "    location / { }"
      echo "    location = /upload { proxy_pass http://127.0.0.1:$p/index.html; proxy_method GET; proxy_pass_request_body off; proxy_set_header Content-Length \"\"; }"
      echo "  }"
    done
    echo "}"
  } >"$RUN_DIR/backend-nginx.conf"
  start_bg backends nginx -e "$RUN_DIR/logs/backend-error.log" -p "$RUN_DIR" -c "$RUN_DIR/backend-nginx.conf" -g "daemon off;"
  BACKENDS_PID=$STARTED_PID
  for p in "${BACKEND_PORTS[@]}"; do wait_200 backends "$BACKENDS_PID" "http://127.0.0.1:$p/index.html" 15; done
}

# ---------------- the two proxies ----------------
# start_haproxy CONFIG_FILE PORT: haproxy in the foreground (-db) with its threads (nbthread defaults to nproc)
start_haproxy() {
  start_bg haproxy haproxy -db -f "$1"
  HAPROXY_PID=$STARTED_PID
  wait_200 haproxy "$HAPROXY_PID" "http://127.0.0.1:$2/index.html" 15
}

# start_fulcrum CONFIG_FILE PORT: the fat jar (built if missing or stale) with scripts/java-options.sh's options
FULCRUM_JAR="$REPO_DIR/target/fulcrum.jar"
prepare_fulcrum() {
  "$REPO_DIR/scripts/build-if-stale.sh" || die "building $FULCRUM_JAR failed"
  [[ -f "$FULCRUM_JAR" ]] || die "$FULCRUM_JAR not found after the build"
  FULCRUM_JAVA_OPTS="$("$REPO_DIR/scripts/java-options.sh")" || die "preparing the JVM options failed"
}
start_fulcrum() {
  local opts
  read -r -a opts <<<"$FULCRUM_JAVA_OPTS"
  start_bg fulcrum java "${opts[@]}" -jar "$FULCRUM_JAR" --config "$1"
  FULCRUM_PID=$STARTED_PID
  wait_200 fulcrum "$FULCRUM_PID" "http://127.0.0.1:$2/index.html" 60
}

# machine facts for the docs files
machine_facts() {
  echo "- machine: $(nproc) CPUs ($(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM, kernel $(uname -r), soft fd limit $(ulimit -n)"
  # the machine may be shared: other work on it shows in the latencies
  echo "- load average at the end of the run: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; $(nproc) CPUs)"
  echo "- java: $(java -version 2>&1 | head -n 2 | tail -n 1)"
  echo "- haproxy $(haproxy -v 2>/dev/null | awk 'NR==1{print $3}'), nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') (backends)"
  echo "- Fulcrum: \`java $FULCRUM_JAVA_OPTS -jar target/fulcrum.jar\` at commit $(git -C "$REPO_DIR" rev-parse --short HEAD)$([[ -n "$(git -C "$REPO_DIR" status --porcelain -- src pom.xml)" ]] && echo " with uncommitted changes")"
}

install_missing curl:curl nginx:nginx-light haproxy:haproxy ${REQUIRED_TOOLS:-}
