#!/usr/bin/env bash
# Slow-client attacks against Fulcrum and HAProxy side by side (issue 16): do memory and descriptors stay
# bounded, does a normal client still get served, and is the proxy well again once the attack stops?
#
#   scripts/attack.sh                                  # the full run, about 6 minutes; rewrites docs/attack.md
#   CONNECTIONS=200 DURATION=10 scripts/attack.sh      # a quick look (still rewrites the docs file: see DOC)
#   TARGETS=fulcrum ATTACKS=slowread-big DOC=/tmp/a.md scripts/attack.sh
#
# Three nginx backends (one nginx, three server blocks: a small index.html, a 1 MiB big.bin, and /upload,
# which reads the whole body before answering) sit behind Fulcrum (target/fulcrum.jar, built if missing or
# stale, the options of scripts/java-options.sh, its default limits and warm-up, attacked once ready) and HAProxy (balance
# leastconn, timeout client/server 60s, http-request 10s, as a production config would have them). Each
# attack runs against each proxy in turn (slowloris, slow body, slow read of small responses, slow read of
# big.bin), with slowhttptest; meanwhile a probe sends a normal GET /index.html every 250 ms (curl, 2 s
# timeout), samples the proxy's resident memory, and asks Fulcrum's /health/live. After each attack one
# normal request must succeed within 1 s ("recovered"). A proxy that has exited, or still answers nothing
# 11 s after an attack, is restarted for the next one, and the table says so. At the end each proxy gets a
# SIGTERM and 35 s to exit, which the report records too.
#
# Env [defaults]: CONNECTIONS [1000] per attack, DURATION [30] s per attack, RATE [200] new connections/s,
# TARGETS ["fulcrum haproxy"], ATTACKS ["slowloris slowbody slowread slowread-big"],
# DOC [docs/attack.md] (the markdown report, overwritten), OUT_DIR [/tmp/fulcrum-attack] (configs, logs, raw
# samples). Ports, all on 127.0.0.1: 19101-19103 backends, 19130 haproxy, 19140 fulcrum (19141 its admin).
# Installs slowhttptest, nginx-light, haproxy and curl from Debian's packages when missing. Every process
# it starts is stopped when it exits, also on Ctrl-C.
set -Eeuo pipefail
export LC_ALL=C

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_DIR"
TAG=attack
CONNECTIONS="${CONNECTIONS:-1000}"
DURATION="${DURATION:-30}"
RATE="${RATE:-200}"
TARGETS="${TARGETS:-fulcrum haproxy}"
ATTACKS="${ATTACKS:-slowloris slowbody slowread slowread-big}"
DOC="${DOC:-docs/attack.md}"
OUT_DIR="${OUT_DIR:-${TMPDIR:-/tmp}/fulcrum-attack}"
RUN_DIR="$OUT_DIR/$(date +%Y%m%d-%H%M%S)"
BACKEND_PORTS=(19101 19102 19103)
declare -A PORT=([fulcrum]=19140 [haproxy]=19130)
FULCRUM_ADMIN_PORT=19141
PROBE_MS=250          # one normal request this often
PROBE_TIMEOUT=2       # s: slower counts as a failure
RECOVER_TIMEOUT=1     # s: the request after the attack
RESTART_AFTER=10      # s more without a 200 after an attack before the proxy is restarted for the next one
STOP_BUDGET=35        # s for each proxy to exit on SIGTERM at the end (Fulcrum drains for up to shutdownTimeout, 30s)

for n in CONNECTIONS DURATION RATE; do
  [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || { echo "$n must be a positive whole number, got '${!n}'" >&2; exit 1; }
done
for t in $TARGETS; do [[ -n "${PORT[$t]:-}" ]] || { echo "unknown target '$t' (known: fulcrum haproxy)" >&2; exit 1; }; done
for a in $ATTACKS; do
  [[ " slowloris slowbody slowread slowread-big " == *" $a "* ]] || { echo "unknown attack '$a'" >&2; exit 1; }
done

mkdir -p "$RUN_DIR/logs" "$RUN_DIR/raw"
REQUIRED_TOOLS="slowhttptest:slowhttptest"
source scripts/side-by-side.sh
command -v java >/dev/null 2>&1 || die "java not found (Fulcrum needs Java 17+)"
# slowhttptest needs a descriptor per connection, and so does each proxy (twice: client and backend side)
ulimit -n "$(ulimit -Hn)"
((CONNECTIONS * 2 + 100 <= $(ulimit -n))) || die "CONNECTIONS=$CONNECTIONS needs a descriptor limit of $((CONNECTIONS * 2 + 100)); the hard limit is $(ulimit -Hn)"
for p in "${BACKEND_PORTS[@]}" "${PORT[@]}" "$FULCRUM_ADMIN_PORT"; do port_busy "$p" && die "port $p is already in use"; done
[[ " $TARGETS " == *" fulcrum "* ]] && prepare_fulcrum
RUN_T0=$SECONDS
log "run dir $RUN_DIR"

# ---------------- configs ----------------
# maxconn is set as production configs set it; 8,000 leaves room for the attack and the probes.
cat >"$RUN_DIR/haproxy.cfg" <<EOF
global
  maxconn 8000
defaults
  mode http
  maxconn 8000
  option http-keep-alive
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-request 10s
frontend fe
  bind 127.0.0.1:${PORT[haproxy]}
  default_backend be
backend be
  balance leastconn
  server b1 127.0.0.1:${BACKEND_PORTS[0]} check
  server b2 127.0.0.1:${BACKEND_PORTS[1]} check
  server b3 127.0.0.1:${BACKEND_PORTS[2]} check
EOF
# Fulcrum's own defaults stand for its production config: requestHeaderTimeout 10s, clientIdleTimeout 60s.
cat >"$RUN_DIR/fulcrum.json" <<EOF
{
  "listenPort": "127.0.0.1:${PORT[fulcrum]}",
  "adminPort": "127.0.0.1:${FULCRUM_ADMIN_PORT}",
  "servers": ["http://127.0.0.1:${BACKEND_PORTS[0]}", "http://127.0.0.1:${BACKEND_PORTS[1]}", "http://127.0.0.1:${BACKEND_PORTS[2]}"]
}
EOF

# attack_args ATTACK URL_BASE: slowhttptest's arguments. -p 3 is its own probe's timeout; its verdict is not used.
attack_args() {
  local common=(-c "$CONNECTIONS" -r "$RATE" -p 3 -l "$DURATION")
  case "$1" in
    # headers trickle in, a line every 10 s: the proxies' header timeouts (10 s) are what should end it
    slowloris) echo "${common[*]} -H -i 10 -t GET -x 24 -u $2/index.html" ;;
    # an 8 KiB upload sent 10 bytes every 10 s, to a backend that waits for all of it
    slowbody) echo "${common[*]} -B -i 10 -t POST -s 8192 -x 10 -u $2/upload" ;;
    # 3 pipelined requests per connection, read 32 bytes every 5 s through a 512-1024 byte window
    slowread) echo "${common[*]} -X -w 512 -y 1024 -n 5 -z 32 -k 3 -u $2/index.html" ;;
    # the same for 1 MiB responses: a proxy that does not apply backpressure buffers them all
    slowread-big) echo "${common[*]} -X -w 512 -y 1024 -n 5 -z 32 -k 3 -u $2/big.bin" ;;
  esac
}

declare -A TARGET_PID UNWELL
start_target() {
  case "$1" in
    fulcrum) start_fulcrum "$RUN_DIR/fulcrum.json" "${PORT[fulcrum]}"; TARGET_PID[fulcrum]=$FULCRUM_PID
             # as in production: the attack meets a Fulcrum that has warmed up (readiness UP)
             wait_200 fulcrum "$FULCRUM_PID" "http://127.0.0.1:$FULCRUM_ADMIN_PORT/health/ready" 90 ;;
    haproxy) start_haproxy "$RUN_DIR/haproxy.cfg" "${PORT[haproxy]}"; TARGET_PID[haproxy]=$HAPROXY_PID ;;
  esac
}
restart_target() {
  stop_pid "${TARGET_PID[$1]}" "$1"
  forget_pid "${TARGET_PID[$1]}"
  mv "$RUN_DIR/logs/$1.log" "$RUN_DIR/logs/$1.log.$(date +%H%M%S)"
  start_target "$1"
}
normal_ok() {  # PORT TIMEOUT_S: one normal request answered 200 within the timeout
  [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time "$2" "http://127.0.0.1:$1/index.html" || true)" == 200 ]]
}

# probe_loop TARGET PREFIX: every PROBE_MS one normal request, one RSS sample and (Fulcrum) one /health/live,
# each request in the background so that a slow answer does not delay the next; stops when PREFIX.stop
# appears, and at the latest after DURATION + 60 s.
probe_loop() {
  local t=$1 out=$2 k=0 t0 wait_ms max=$(((DURATION + 60) * 1000 / PROBE_MS))
  t0=$(now_ms)
  while ((k < max)) && [[ ! -e "$out.stop" ]]; do
    { echo "$k $(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time "$PROBE_TIMEOUT" \
        "http://127.0.0.1:${PORT[$t]}/index.html" || true)" >>"$out.probes"; } &
    if [[ "$t" == fulcrum ]]; then
      { echo "$k $(curl -s -o /dev/null -w '%{http_code}' --max-time "$PROBE_TIMEOUT" \
          "http://127.0.0.1:$FULCRUM_ADMIN_PORT/health/live" || true)" >>"$out.live"; } &
    fi
    echo "$k $(rss_kb "${TARGET_PID[$t]}")" >>"$out.rss"
    k=$((k + 1))
    wait_ms=$((t0 + k * PROBE_MS - $(now_ms)))
    ((wait_ms > 0)) && sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"
  done
  wait
}

# run_attack TARGET ATTACK NOTE: one attack, its probes, and a row of results in $ROWS
ROWS="$RUN_DIR/rows.tsv"; : >"$ROWS"
run_attack() {
  local t=$1 a=$2 note=$3 raw="$RUN_DIR/raw/$1-$2" args pid probe_pid rss_before alive recovered ok total worst p99 code secs i
  : >"$raw.probes"; : >"$raw.rss"; : >"$raw.live"
  rss_before=$(rss_kb "${TARGET_PID[$t]}")
  read -r -a args <<<"$(attack_args "$a" "http://127.0.0.1:${PORT[$t]}")"
  log "$t: $a for ${DURATION}s: slowhttptest ${args[*]}"
  note="${note:+$note; }started $(date +%H:%M:%S)"
  # timeout: slowhttptest ends by itself after -l seconds; this is only in case it does not
  start_bg "slowhttptest-$t-$a" timeout -k 5 $((DURATION + 30)) slowhttptest "${args[@]}" -g -o "$raw"
  pid=$STARTED_PID
  probe_loop "$t" "$raw" &
  probe_pid=$!
  PIDS+=("$probe_pid"); PNAMES+=("probe")
  wait "$pid" || log "slowhttptest exited with status $?"
  forget_pid "$pid"
  touch "$raw.stop"
  if kill -0 "${TARGET_PID[$t]}" 2>/dev/null; then alive=yes; else alive=no; fi
  if [[ $alive == no ]]; then
    recovered="no (exited)"; note="$note; the process had exited by the end"
  else
    read -r code secs < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time "$RECOVER_TIMEOUT" \
      "http://127.0.0.1:${PORT[$t]}/index.html" || true)
    if [[ "$code" == 200 ]]; then
      recovered="yes ($(awk -v s="$secs" 'BEGIN{printf "%.0f", s * 1000}') ms)"
    else
      # not within the second: how long until it answers again, if it does (the next attack waits for that)
      recovered="no ($([[ "$code" == 000 ]] && echo "no answer within ${RECOVER_TIMEOUT} s" || echo "HTTP $code"))"
      for ((i = 1; i <= RESTART_AFTER; i++)); do sleep 1; normal_ok "${PORT[$t]}" 1 && break; done
      if ((i <= RESTART_AFTER)); then recovered="$recovered; answered again within $((i + 1)) s"
      else recovered="$recovered; still no answer after $((RESTART_AFTER + 1)) s"; UNWELL[$t]=1; fi
    fi
  fi
  wait "$probe_pid" || true
  forget_pid "$probe_pid"
  # slowhttptest's last word, without its colours: "Hit test time limit", "No open connections left", ...
  note="$note; slowhttptest: $(sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$RUN_DIR/logs/slowhttptest-$t-$a.log" | sed -n 's/^Exit status: *//p' | tail -n 1)"
  [[ -f "$raw.csv" ]] || : >"$raw.csv"
  # latencies sorted, for the worst and the 99th percentile (nearest rank)
  read -r ok total worst p99 < <(awk '{ print ($2 == 200), $3 * 1000 }' "$raw.probes" | sort -k2,2n \
    | awk '{ ok += $1; ms[NR] = $2 } END { r = int(NR * 0.99); if (r < NR * 0.99) r++; printf "%d %d %.0f %.0f\n", ok, NR, ms[NR], ms[r] }')
  # fields: target attack ok total worst_ms p99_ms live_ok live_total rss_before_kb rss_peak_kb conns_peak recovered note
  awk -v t="$t" -v a="$a" -v ok="$ok" -v n="$total" -v worst="$worst" -v p99="$p99" -v rb="$rss_before" -v rec="$recovered" -v note="$note" '
    FILENAME ~ /live$/ { ln++; if ($2 == 200) lok++ }
    FILENAME ~ /rss$/  { if ($2 > peak) peak = $2 }
    FILENAME ~ /csv$/  { if (FNR > 1 && $4 > conns) conns = $4 }
    END {
      if (rb > peak) peak = rb
      printf "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", t, a, ok, n, worst, p99, lok, ln, rb, peak, conns, rec, note
    }' FS='[ ,]' "$raw.live" "$raw.rss" "$raw.csv" >>"$ROWS"
  log "$t: $a: $(tail -n 1 "$ROWS" | awk -F'\t' '{printf "normal %d/%d ok, worst %s ms, p99 %s ms, live %s, RSS %.0f -> %.0f MB, peak %d attack connections, recovered %s", $3, $4, $5, $6, ($8 ? $7 "/" $8 : "-"), $9/1024, $10/1024, $11, $12}')"
}

# ---------------- run ----------------
start_backends
for t in $TARGETS; do start_target "$t"; done
# the attacks take turns between the proxies, so that a busy phase of this shared machine hits both alike
for a in $ATTACKS; do
  for t in $TARGETS; do
    note=""
    if ! kill -0 "${TARGET_PID[$t]}" 2>/dev/null; then
      log "$t has exited: restarting it"; restart_target "$t"; note="a new $t process (the last one had exited)"
    elif [[ -n "${UNWELL[$t]:-}" ]]; then
      log "$t still answered nothing $((RESTART_AFTER + 1))s after the last attack: restarting it"
      restart_target "$t"; note="a new $t process (the last one answered nothing after its attack)"
    fi
    UNWELL[$t]=""
    run_attack "$t" "$a" "$note"
    sleep 2  # the attack's sockets close and the backends' connections with them
  done
done

# A graceful stop, timed: one that does not finish has not let go of what the attacks left it.
declare -A STOPPED
for t in $TARGETS; do
  pid=${TARGET_PID[$t]}
  if ! kill -0 "$pid" 2>/dev/null; then STOPPED[$t]="had exited"; continue; fi
  t0=$(now_ms)
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_BUDGET * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    STOPPED[$t]="still running ${STOP_BUDGET} s after SIGTERM (then killed)"
  else
    STOPPED[$t]="exited $(awk -v ms=$(($(now_ms) - t0)) 'BEGIN{printf "%.1f", ms / 1000}') s after SIGTERM"
  fi
  stop_pid "$pid" "$t"; forget_pid "$pid"
  log "$t ${STOPPED[$t]}"
done
ELAPSED=$((SECONDS - RUN_T0))

# ---------------- report ----------------
# log_kinds NAME: every kind of line in a proxy's logs (numbers aside) once, with its count and first time
log_kinds() {
  cat "$RUN_DIR/logs/$1.log"* 2>/dev/null \
    | awk '{ line = $0; when = ""
             if (match(line, /^[0-9-]+ [0-9:.]+ +/)) { when = substr(line, 12, 8); line = substr(line, RLENGTH + 1) }
             key = line; gsub(/[0-9]+/, "N", key)
             if (!(key in count)) { first[key] = line; at[key] = when; order[++n] = key } count[key]++ }
           END { for (i = 1; i <= n && i <= 20; i++)
                   printf "- %dx%s `%s`\n", count[order[i]], (at[order[i]] != "" ? ", first at " at[order[i]] : ""), substr(first[order[i]], 1, 300)
                 if (n > 20) printf "- ... and %d other kinds of line\n", n - 20 }'
}
TABLE=$(
  echo "| target | attack | normal requests ok/total | worst ms | p99 ms | /health/live ok/total | RSS before MB | peak RSS MB | attack connections held (peak) | available throughout | recovered after | notes |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|"
  awk -F'\t' '{
    avail = ($3 == $4 && $4 > 0 && ($1 != "fulcrum" || ($7 == $8 && $8 > 0))) ? "yes" : "no"
    live = ($1 == "fulcrum") ? sprintf("%d/%d", $7, $8) : "-"
    printf "| %s | %s | %d/%d | %d | %d | %s | %.0f | %.0f | %d | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, live, $9/1024, $10/1024, $11, avail, $12, $13
  }' "$ROWS"
)
mkdir -p "$(dirname "$DOC")"
{
  echo "# Slow-client attacks: Fulcrum and HAProxy"
  echo
  echo "Written by \`scripts/attack.sh\` on $(date '+%Y-%m-%d %H:%M %Z') (the whole run: ${ELAPSED} s). Rerun it to replace this file;"
  echo "every figure below comes from that one run."
  echo
  machine_facts
  echo "- backends: one nginx, three server blocks on 127.0.0.1:${BACKEND_PORTS[0]}-${BACKEND_PORTS[2]}: index.html ($(wc -c <"$RUN_DIR/www/index.html") bytes), big.bin (1 MiB), /upload (reads the whole body, then answers)"
  echo "- Fulcrum config: its defaults (requestHeaderTimeout 10s, clientIdleTimeout 60s, requestTimeout 60s, maxConnections and maxBufferedBytes from the limits of the host), attacked once its warm-up is over"
  echo "- HAProxy: nbthread $(nproc) (its default), maxconn 8000, balance leastconn, timeout connect 5s, client 60s, server 60s, http-request 10s, health checks on"
  echo "- each attack: ${CONNECTIONS} connections at ${RATE}/s for ${DURATION} s, against one proxy at a time (the other idles)"
  echo
  echo "slowhttptest $(slowhttptest -h 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -n 1), as run (\`-g -o PREFIX\` added for its CSV of connection states; PORT 19140 for Fulcrum, 19130 for HAProxy):"
  echo
  echo '```'
  for a in $ATTACKS; do echo "slowhttptest $(attack_args "$a" "http://127.0.0.1:PORT")   # $a"; done
  echo '```'
  echo
  echo "$TABLE"
  echo
  echo "- **normal requests**: a GET /index.html every ${PROBE_MS} ms while the attack runs (curl, new connection each, ${PROBE_TIMEOUT} s timeout);"
  echo "  ok = a 200 within the timeout. Latencies are over all of them, a failed one counting the time it took."
  echo "- **/health/live**: Fulcrum's liveness endpoint on its admin port, asked at the same pace, ok = a 200 within ${PROBE_TIMEOUT} s."
  echo "- **RSS**: VmRSS from /proc (HAProxy: all its processes), sampled at each probe; RSS before is just before the attack,"
  echo "  after the earlier attacks (the proxies run through all of them unless restarted)."
  echo "- **attack connections held**: the most slowhttptest saw connected at once (its CSV); fewer than ${CONNECTIONS} means the"
  echo "  proxy closed them as fast as they came, or refused them."
  echo "- **available throughout**: every normal request ok, and for Fulcrum every /health/live too."
  echo "  **recovered after**: one normal request answered within ${RECOVER_TIMEOUT} s right after slowhttptest ended (its time);"
  echo "  if not, a request a second for ${RESTART_AFTER} s says when it answered again. A proxy that had exited, or still"
  echo "  did not answer, is restarted before its next attack (notes: a new process)."
  echo
  for t in $TARGETS; do
    echo "At the end, $t ${STOPPED[$t]}. Its log (each kind of line once, numbers aside):"
    echo
    kinds=$(log_kinds "$t")
    echo "${kinds:-- (empty)}"
    echo
  done
  echo "Raw samples, configs and logs of this run: \`$RUN_DIR/\` (not kept in the repository)."
} >"$DOC"

echo
echo "$TABLE"
echo
log "report written to $DOC; raw samples, configs and logs in $RUN_DIR (run took ${ELAPSED}s)"
