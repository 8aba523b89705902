#!/usr/bin/env bash
# Runs the whole benchmark of issue "Performance" and writes docs/benchmarks.md and docs/benchmarks.png:
# ceiling, Dispatch on memory, Dispatch on PostgreSQL and the peer, at 64, 256 and 1,024 workers (overlap 1) and at
# 256 workers with overlap 3; growth of claim latency with 1,000,000 tasks queued and with 1,000 open projects; an
# import of 1,000,000 tasks per system with the server's memory growth and, for Dispatch, a timed results export; and
# 10,000 workers long polling at once. Every crowd run warms up first, except one "cold" run per Dispatch mode (256
# workers, overlap 1, a freshly started server) whose cycles/s in its first 10 s of claiming the report sets beside
# the warm run's (section "Cold start"). Everything runs on 127.0.0.1 and is stopped at the end.
#
#   bench/run.sh                the full run (about 14 minutes on 2 cores)
#   bench/run.sh --quick        a tiny run that checks the script end to end (about 3 minutes); writes bench/out/quick-*
#   bench/run.sh --crowd-only   only the claim+submit runs (overlap 1 at each worker count, overlap 3, and the cold
#                               runs of Dispatch): no growth, import or long-poll runs
#   bench/run.sh --import-only  only the import runs of the selected systems
#
# Partial runs measure one comparison in a few minutes, for example
#   SYSTEMS="dispatch-memory peer" WORKERS=256 bench/run.sh --crowd-only
# SYSTEMS is a space-separated subset of "ceiling dispatch-memory dispatch-postgres peer" (default: all; growth and
# long polling run only with dispatch-memory), WORKERS the worker counts of the overlap-1 runs (default: "64 256 1024";
# the overlap-3 and cold runs stay at 256). A run with SYSTEMS, WORKERS, --crowd-only or --import-only is partial: it
# writes bench/out/partial-benchmarks.md and .png, never docs/benchmarks.md.
#
# The cold run of dispatch-memory and of dispatch-postgres (whichever SYSTEMS selects; none with --import-only) follows
# that system's overlap-1 runs. It is tagged "cold-start", so that the tables of warm runs do not count it, and sized
# to last at least COLD_SECONDS at the system's last measured (warm) rate, so that it outlasts its first 10 s.
#
# PROFILE=1 adds, after the overlap-1 runs of dispatch-memory and dispatch-postgres, one more run of each at 256
# workers that the tables do not count, during which `dotnet-trace collect-linux --profile cpu-sampling` samples the
# server's CPU for 8 s; the report lists the top frames under "Where a cycle's time goes". It installs dotnet-trace
# into bench/out/tools on first use and needs root (the kernel's perf events).
#
# Environment: TARGET_SECONDS (claim+submit phase per run, default 12), WARMUP_SECONDS (warm-up before each crowd run,
# default 10), DISPATCH_PG_BIN (PostgreSQL binaries), IMPORT_TASKS (default 1000000), WAIT_SECONDS (long-poll wait
# sent with each claim of the main runs, default 0), PROFILE (1 to profile, default 0), COLD_SECONDS (the cold run's
# length at the warm rate, default 15; 4 with --quick).
set -euo pipefail

ALL_SYSTEMS=(ceiling dispatch-memory dispatch-postgres peer)
QUICK=0
CROWD_ONLY=0
IMPORT_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --crowd-only) CROWD_ONLY=1 ;;
    --import-only) IMPORT_ONLY=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
(( CROWD_ONLY && IMPORT_ONLY )) && { echo "run.sh: --crowd-only and --import-only exclude each other" >&2; exit 2; }

PARTIAL=0
[[ -v SYSTEMS || -v WORKERS || $CROWD_ONLY == 1 || $IMPORT_ONLY == 1 ]] && PARTIAL=1
read -r -a SELECTED <<< "${SYSTEMS-${ALL_SYSTEMS[*]}}"
(( ${#SELECTED[@]} > 0 )) || { echo "run.sh: SYSTEMS names no system" >&2; exit 2; }
for system in "${SELECTED[@]}"; do
  [[ " ${ALL_SYSTEMS[*]} " == *" $system "* ]] || { echo "run.sh: unknown system '$system' in SYSTEMS (one of: ${ALL_SYSTEMS[*]})" >&2; exit 2; }
done
selected() { [[ " ${SELECTED[*]} " == *" $1 "* ]]; }
if [[ -v WORKERS ]]; then
  read -r -a CHOSEN_WORKERS <<< "$WORKERS"
  (( ${#CHOSEN_WORKERS[@]} > 0 )) || { echo "run.sh: WORKERS names no worker count" >&2; exit 2; }
  for workers in "${CHOSEN_WORKERS[@]}"; do
    [[ $workers =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: WORKERS holds '$workers', not a positive whole number" >&2; exit 2; }
  done
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
RESULTS="$OUT/results.jsonl"
LOG="$OUT/run.log"
: > "$RESULTS"
: > "$LOG"
ADMIN_KEY="bench-admin-key-$(date +%s)-0123456789"
CONFIGURATION=Release

PROFILE=${PROFILE:-0}
DOTNET_TRACE_VERSION=10.0.750501
PROFILE_DELAY=2

if [[ $QUICK == 1 ]]; then
  WORKER_COUNTS=(32)
  OVERLAP3_WORKERS=32
  TARGET_SECONDS=${TARGET_SECONDS:-2}
  WARMUP_SECONDS=${WARMUP_SECONDS:-1}
  IMPORT_TASKS=${IMPORT_TASKS:-10000}
  MIN_TASKS=300
  GROWTH_SECONDS=2
  GROWTH_QUEUED=(1000 10000)
  GROWTH_PROJECTS=100
  THEN_CYCLES=2000
  EXPORT_PAGES=2
  LONG_POLL_WORKERS=1000
  LONG_POLL_WAIT=6
  LONG_POLL_WINDOW=2
  PROFILE_SECONDS=3
  COLD_SECONDS=${COLD_SECONDS:-4}
  REPORT_MD="$OUT/quick-benchmarks.md"
  REPORT_PNG="$OUT/quick-benchmarks.png"
else
  WORKER_COUNTS=(64 256 1024)
  OVERLAP3_WORKERS=256
  TARGET_SECONDS=${TARGET_SECONDS:-12}
  WARMUP_SECONDS=${WARMUP_SECONDS:-10}
  IMPORT_TASKS=${IMPORT_TASKS:-1000000}
  MIN_TASKS=5000
  GROWTH_SECONDS=12
  GROWTH_QUEUED=(10000 1000000)
  GROWTH_PROJECTS=1000
  THEN_CYCLES=20000
  EXPORT_PAGES=20
  LONG_POLL_WORKERS=10000
  LONG_POLL_WAIT=20
  LONG_POLL_WINDOW=10
  PROFILE_SECONDS=8
  COLD_SECONDS=${COLD_SECONDS:-15}
  REPORT_MD="$ROOT/docs/benchmarks.md"
  REPORT_PNG="$ROOT/docs/benchmarks.png"
fi

if [[ -v WORKERS ]]; then
  WORKER_COUNTS=("${CHOSEN_WORKERS[@]}")
fi
# docs/benchmarks.md is the record of a whole run; a partial one must never overwrite it.
if [[ $PARTIAL == 1 ]]; then
  REPORT_MD="$OUT/partial-benchmarks.md"
  REPORT_PNG="$OUT/partial-benchmarks.png"
fi

WAIT_SECONDS=${WAIT_SECONDS:-0}

# First guesses of claim+submit cycles/s per system at 64 workers, on the low side of what they measured, because a run
# sized too long costs more than one run again; each run's measured rate sizes that system's next run (and its
# warm-up), and a first run much shorter than TARGET_SECONDS is run again at the measured rate.
declare -A RATE=([ceiling]=16000 [dispatch-memory]=2000 [dispatch-postgres]=500 [peer]=300)

log() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$LOG"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---------------------------------------------------------------------------------------------------------- build
START_SECONDS=$SECONDS
log "Building in $CONFIGURATION ..."
for project in Silo/Silo.csproj bench/Dispatch.Bench/Dispatch.Bench.csproj bench/Ceiling/Ceiling.csproj bench/Peer/Peer.csproj; do
  dotnet build "$ROOT/$project" -c "$CONFIGURATION" -nologo -v q >> "$LOG" 2>&1 || { echo "build of $project failed; see $LOG" >&2; tail -30 "$LOG" >&2; exit 1; }
done
SILO_DLL="$ROOT/Silo/bin/$CONFIGURATION/net10.0/Dispatch.Silo.dll"
BENCH_DLL="$ROOT/bench/Dispatch.Bench/bin/$CONFIGURATION/net10.0/Dispatch.Bench.dll"
CEILING_DLL="$ROOT/bench/Ceiling/bin/$CONFIGURATION/net10.0/Dispatch.Bench.Ceiling.dll"
PEER_DLL="$ROOT/bench/Peer/bin/$CONFIGURATION/net10.0/Dispatch.Bench.Peer.dll"

TRACE_TOOL="$OUT/tools/dotnet-trace"
rm -f "$OUT"/profile-*
if [[ $PROFILE == 1 ]]; then
  # collect-linux, because collect's EventPipe sampler takes every thread's stack, waiting or not: its top frames
  # are the waits of idle threads, not where the CPU went.
  if [[ "$(id -u)" != 0 ]]; then
    log "warning: PROFILE=1 needs root (dotnet-trace collect-linux samples through the kernel's perf events); no profiles"
    PROFILE=0
  elif [[ ! -x "$TRACE_TOOL" ]]; then
    log "Installing dotnet-trace $DOTNET_TRACE_VERSION into $OUT/tools ..."
    dotnet tool install dotnet-trace --version "$DOTNET_TRACE_VERSION" --tool-path "$OUT/tools" >> "$LOG" 2>&1 \
      || { log "warning: dotnet-trace did not install (see $LOG); no profiles"; PROFILE=0; }
  fi
fi

# ------------------------------------------------------------------------------------------------- PostgreSQL 15
PG_BIN="${DISPATCH_PG_BIN:-/usr/lib/postgresql/15/bin}"
if [[ ! -x "$PG_BIN/initdb" ]]; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
fi
[[ -x "$PG_BIN/initdb" ]] || { echo "PostgreSQL is needed (apt-get install postgresql-15, or set DISPATCH_PG_BIN)" >&2; exit 1; }

PG_ROOT="$(mktemp -d /tmp/dispatch-bench-pg-XXXXXX)"
PG_DATA="$PG_ROOT/data"
PG_PORT="$(free_port)"
AS_PG=()
if [[ "$(id -u)" == 0 ]]; then
  chown -R postgres "$PG_ROOT"
  AS_PG=(runuser -u postgres --)
fi

SERVER_PID=""
cleanup() {
  set +e
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; fi
  if [[ -f "$PG_DATA/postmaster.pid" ]]; then "${AS_PG[@]}" "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m immediate -w -t 60 >/dev/null 2>&1; fi
  rm -rf "$PG_ROOT"
}
trap cleanup EXIT

log "Starting PostgreSQL ($PG_BIN) on 127.0.0.1:$PG_PORT ..."
"${AS_PG[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C >> "$LOG" 2>&1
cat >> "$PG_DATA/postgresql.conf" <<CONF

# bench/run.sh: local only; default durability (fsync and synchronous_commit on).
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_ROOT'
max_connections = 200
fsync = on
synchronous_commit = on
CONF
"${AS_PG[@]}" "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_ROOT/server.log" -w -t 60 >> "$LOG" 2>&1
PG_PID="$(head -1 "$PG_DATA/postmaster.pid")"
PG_VERSION="$("$PG_BIN/postgres" --version)"

DB_COUNTER=0
new_database() {
  DB_COUNTER=$((DB_COUNTER + 1))
  local name="bench_${1//-/_}_$DB_COUNTER"
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -q -c "CREATE DATABASE $name" >> "$LOG" 2>&1
  echo "Host=127.0.0.1;Port=$PG_PORT;Database=$name;Username=postgres;Maximum Pool Size=30"
}

# ---------------------------------------------------------------------------------------------------- servers
# start_server SYSTEM: starts a fresh server (and database) for SYSTEM; sets SERVER_PID, SERVER_URL, EXTRA_PIDS.
start_server() {
  local system="$1" port
  port="$(free_port)"
  SERVER_URL="http://127.0.0.1:$port"
  EXTRA_PIDS=()
  local command
  case "$system" in
    ceiling)
      command=(dotnet "$CEILING_DLL" --urls "$SERVER_URL") ;;
    dispatch-memory)
      command=(dotnet "$SILO_DLL" --urls "$SERVER_URL" --Dispatch:AdminKey "$ADMIN_KEY" --Dispatch:RateLimits:Enabled false
               --Orleans:SiloPort "$(free_port)" --Orleans:GatewayPort "$(free_port)") ;;
    dispatch-postgres)
      command=(dotnet "$SILO_DLL" --urls "$SERVER_URL" --Dispatch:AdminKey "$ADMIN_KEY" --Dispatch:RateLimits:Enabled false
               --Orleans:SiloPort "$(free_port)" --Orleans:GatewayPort "$(free_port)"
               --Dispatch:Storage postgres --ConnectionStrings:Dispatch "$(new_database dispatch)")
      EXTRA_PIDS=(--pid "postgres=$PG_PID") ;;
    peer)
      command=(dotnet "$PEER_DLL" --urls "$SERVER_URL" --Peer:AdminKey "$ADMIN_KEY" --ConnectionStrings:Peer "$(new_database peer)")
      EXTRA_PIDS=(--pid "postgres=$PG_PID") ;;
  esac
  "${command[@]}" >> "$OUT/$system.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 240); do
    if curl -fs -o /dev/null "$SERVER_URL/health/ready"; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then echo "$system exited at start; see $OUT/$system.log" >&2; tail -20 "$OUT/$system.log" >&2; exit 1; fi
    sleep 0.25
  done
  echo "$system was not ready within 60 s; see $OUT/$system.log" >&2
  exit 1
}

stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

# simulate SYSTEM ARGS...: one simulator run against a fresh server; appends its JSON line to $RESULTS.
# With TRACE_TO set, the server's CPU is also sampled into that file during the measured phase.
simulate() {
  local system="$1"; shift
  start_server "$system"
  local mode=api
  [[ $system == ceiling ]] && mode=ceiling
  local tracer=""
  if [[ -n "${TRACE_TO:-}" ]]; then
    rm -f "$OUT/measured"
    trace_measured_phase "$SERVER_PID" "$TRACE_TO" &
    tracer=$!
    set -- "$@" --started-file "$OUT/measured"
  fi
  local status=0
  dotnet "$BENCH_DLL" --url "$SERVER_URL" --mode "$mode" --system "$system" --admin-key "$ADMIN_KEY" \
    --pid "server=$SERVER_PID" "${EXTRA_PIDS[@]}" --json-out "$RESULTS" "$@" > "$OUT/simulator.out" 2>&1 || status=$?
  grep -v '^{' "$OUT/simulator.out" | tee -a "$LOG" || true
  if [[ -n "$tracer" ]]; then
    # A simulator that never reached its measured phase leaves the tracer waiting; one that did, tracing.
    if [[ -e "$OUT/measured" ]]; then
      wait "$tracer" || log "warning: dotnet-trace failed for $system; see $LOG"
    else
      kill "$tracer" 2>/dev/null || true
      wait "$tracer" 2>/dev/null || true
    fi
    rm -f "$OUT/measured"
  fi
  stop_server
  [[ $status == 0 ]] || log "warning: the simulator exited with $status for $system $*"
}

# trace_measured_phase PID FILE: waits for the simulator's sign that its measured crowd has started, lets the crowd
# settle for PROFILE_DELAY seconds, then samples PID's CPU for PROFILE_SECONDS.
trace_measured_phase() {
  while [[ ! -e "$OUT/measured" ]]; do sleep 0.1; done
  sleep "$PROFILE_DELAY"
  "$TRACE_TOOL" collect-linux -p "$1" --profile cpu-sampling --duration "$(printf '00:00:%02d' "$PROFILE_SECONDS")" -o "$2" >> "$LOG" 2>&1
}

# profile SYSTEM: one more run of SYSTEM at the target worker count, overlap 1, sized to outlast the trace at its last
# measured rate and left out of the tables (tag "profile"), so that the sampler's cost does not touch their numbers;
# its top frames go to bench/out/profile-SYSTEM.txt for the report.
PROFILE_ARGS=()
profile() {
  local system="$1"
  local tasks=$(( ${RATE[$system]%.*} * (PROFILE_DELAY + PROFILE_SECONDS + 3) ))
  local trace="$OUT/profile-$system.nettrace"
  log "== $system: $OVERLAP3_WORKERS workers, overlap 1, $tasks tasks, the server's CPU sampled for $PROFILE_SECONDS s"
  TRACE_TO="$trace" simulate "$system" --tag profile --workers "$OVERLAP3_WORKERS" --tasks "$tasks" --overlap 1 \
    --wait-seconds "$WAIT_SECONDS" --warmup-tasks "$(warmup_for "$system" 1)" --skip-verify
  if [[ -s "$trace" ]]; then
    "$TRACE_TOOL" report "$trace" topN -n 100 --inclusive > "$OUT/profile-$system.txt" 2>> "$LOG" \
      || log "warning: dotnet-trace report failed for $system; see $LOG"
  fi
  PROFILE_ARGS+=(--profile "$system=$OUT/profile-$system.txt")
}

# tasks_for SYSTEM OVERLAP [SECONDS]: tasks that keep SYSTEM busy for about SECONDS (default TARGET_SECONDS) at its
# last measured rate.
tasks_for() {
  local rate="${RATE[$1]}"
  local n=$(( ${rate%.*} * ${3:-$TARGET_SECONDS} / $2 ))
  (( n < MIN_TASKS )) && n=$MIN_TASKS
  echo "$n"
}

# warmup_for SYSTEM OVERLAP: warm-up tasks for about WARMUP_SECONDS at SYSTEM's last measured rate (0 turns it off).
warmup_for() {
  local n=$(( ${RATE[$1]%.*} * WARMUP_SECONDS / $2 ))
  (( WARMUP_SECONDS > 0 && n < 100 )) && n=100
  echo "$n"
}

remember_rate() {
  local rate
  rate="$(tail -1 "$RESULTS" | jq -r '.cyclesPerSec // empty')"
  [[ -n "$rate" ]] && RATE[$1]="$rate"
  return 0
}

# ------------------------------------------------------------------------------------------------------- runs
if [[ $IMPORT_ONLY == 0 ]]; then
  for system in "${ALL_SYSTEMS[@]}"; do
    selected "$system" || continue
    first=1
    for workers in "${WORKER_COUNTS[@]}"; do
      tasks="$(tasks_for "$system" 1)"
      log "== $system: $workers workers, overlap 1, $tasks tasks"
      simulate "$system" --workers "$workers" --tasks "$tasks" --overlap 1 --wait-seconds "$WAIT_SECONDS" --warmup-tasks "$(warmup_for "$system" 1)"
      remember_rate "$system"
      seconds="$(tail -1 "$RESULTS" | jq -r '.cycleSeconds // 0')"
      if [[ $first == 1 ]] && jq -e --argjson t "$TARGET_SECONDS" '(.cycleSeconds // $t) < $t / 2' <<< "$(tail -1 "$RESULTS")" > /dev/null; then
        sed -i '$ d' "$RESULTS"
        tasks="$(tasks_for "$system" 1)"
        log "== $system: that run took only $seconds s; again with $tasks tasks"
        simulate "$system" --workers "$workers" --tasks "$tasks" --overlap 1 --wait-seconds "$WAIT_SECONDS" --warmup-tasks "$(warmup_for "$system" 1)"
        remember_rate "$system"
      fi
      first=0
    done
    if [[ $PROFILE == 1 && $system == dispatch-* ]]; then
      profile "$system"
    fi
    if [[ $system == dispatch-* ]]; then
      # Sized at the warm rate, which a cold server should not beat, so that it outlasts its first 10 s; its own rate
      # is not remembered, so that it does not size the runs after it.
      tasks="$(tasks_for "$system" 1 "$COLD_SECONDS")"
      log "== $system: cold start, $OVERLAP3_WORKERS workers, overlap 1, $tasks tasks, no warm-up"
      simulate "$system" --tag cold-start --workers "$OVERLAP3_WORKERS" --tasks "$tasks" --overlap 1 --wait-seconds "$WAIT_SECONDS" --warmup-tasks 0
    fi
    tasks="$(tasks_for "$system" 3)"
    log "== $system: $OVERLAP3_WORKERS workers, overlap 3, $tasks tasks"
    simulate "$system" --workers "$OVERLAP3_WORKERS" --tasks "$tasks" --overlap 3 --wait-seconds "$WAIT_SECONDS" --warmup-tasks "$(warmup_for "$system" 3)"
  done
fi

if [[ $CROWD_ONLY == 0 && $IMPORT_ONLY == 0 ]] && selected dispatch-memory; then
  # Growth on dispatch-memory: the same crowd and the same number of cycles in both runs of a pair, so that only the
  # queue length, or the number of open projects, differs.
  GROWTH_CYCLES=$(( ${RATE[dispatch-memory]%.*} * GROWTH_SECONDS ))
  (( GROWTH_CYCLES < MIN_TASKS )) && GROWTH_CYCLES=$MIN_TASKS
  (( GROWTH_CYCLES < GROWTH_PROJECTS )) && GROWTH_CYCLES=$GROWTH_PROJECTS
  for queued in "${GROWTH_QUEUED[@]}"; do
    log "== dispatch-memory: growth, $OVERLAP3_WORKERS workers, about $queued tasks kept queued, $GROWTH_CYCLES cycles"
    simulate dispatch-memory --tag growth-queued --workers "$OVERLAP3_WORKERS" --keep-queued "$queued" --cycles "$GROWTH_CYCLES" \
      --warmup-tasks "$(warmup_for dispatch-memory 1)"
  done
  for projects in 1 "$GROWTH_PROJECTS"; do
    log "== dispatch-memory: growth, $OVERLAP3_WORKERS workers, $GROWTH_CYCLES tasks in $projects open project(s)"
    simulate dispatch-memory --tag growth-projects --workers "$OVERLAP3_WORKERS" --projects "$projects" --tasks "$GROWTH_CYCLES" \
      --warmup-tasks "$(warmup_for dispatch-memory 1)"
  done
fi

if [[ $CROWD_ONLY == 0 ]]; then
  # Imports; Dispatch then completes THEN_CYCLES of the imported tasks and pages through their results export. The peer
  # has no results export, and the ceiling nothing to import into.
  for system in dispatch-memory dispatch-postgres peer; do
    selected "$system" || continue
    log "== $system: import of $IMPORT_TASKS tasks with 200-byte payloads"
    if [[ $system == peer ]]; then
      simulate "$system" --import-only --workers 1 --tasks "$IMPORT_TASKS" --payload-bytes 200 --warmup-tasks "$(warmup_for "$system" 1)"
    else
      simulate "$system" --import-only --workers "$OVERLAP3_WORKERS" --tasks "$IMPORT_TASKS" --payload-bytes 200 \
        --then-cycles "$THEN_CYCLES" --export-pages "$EXPORT_PAGES" --warmup-tasks "$(warmup_for "$system" 1)"
    fi
  done
fi

if [[ $CROWD_ONLY == 0 && $IMPORT_ONLY == 0 ]] && selected dispatch-memory; then
  # Long polling: every worker waits for work that never comes, and the server's CPU is read over an idle window. No
  # warm-up: a warm-up crowd would end with every worker waiting out a whole long poll.
  if (( $(ulimit -n) < LONG_POLL_WORKERS + 1000 )); then
    log "warning: ulimit -n is $(ulimit -n); $LONG_POLL_WORKERS waiting workers need more open files than that"
  fi
  log "== dispatch-memory: long polling, $LONG_POLL_WORKERS workers waiting up to $LONG_POLL_WAIT s, idle window $LONG_POLL_WINDOW s"
  simulate dispatch-memory --tag long-poll --workers "$LONG_POLL_WORKERS" --tasks 1 --wait-seconds "$LONG_POLL_WAIT" --idle-window "$LONG_POLL_WINDOW"
fi

# ----------------------------------------------------------------------------------------------------- report
ELAPSED=$((SECONDS - START_SECONDS))
CPU_MODEL="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
MEMORY="$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
COMMAND="bench/run.sh $*"
REPORT_EXTRA=("${PROFILE_ARGS[@]}")
if (( ${#PROFILE_ARGS[@]} > 0 )); then
  REPORT_EXTRA+=(--meta "Profiles=dotnet-trace $DOTNET_TRACE_VERSION, \`collect-linux --profile cpu-sampling\` for $PROFILE_SECONDS s from $PROFILE_DELAY s after the measured phase of the sampled run began")
fi
if [[ $PARTIAL == 1 ]]; then
  COMMAND="${WORKERS+WORKERS=\"$WORKERS\" }$COMMAND"
  COMMAND="${SYSTEMS+SYSTEMS=\"$SYSTEMS\" }$COMMAND"
  SCOPE="systems ${SELECTED[*]}"
  [[ $IMPORT_ONLY == 0 ]] && SCOPE+="; overlap 1 at ${WORKER_COUNTS[*]} workers, overlap 3 at $OVERLAP3_WORKERS"
  [[ $IMPORT_ONLY == 0 ]] && (selected dispatch-memory || selected dispatch-postgres) && SCOPE+=", a cold start of Dispatch at $OVERLAP3_WORKERS"
  [[ $CROWD_ONLY == 1 ]] && SCOPE+="; claim+submit runs only (no growth, import or long polling)"
  [[ $IMPORT_ONLY == 1 ]] && SCOPE+="; import runs only"
  REPORT_EXTRA+=(--meta "Scope=a partial run: $SCOPE")
fi
dotnet "$BENCH_DLL" report --results "$RESULTS" --out "$REPORT_MD" --chart "$REPORT_PNG" --target-workers "$OVERLAP3_WORKERS" \
  --warmup-seconds "$WARMUP_SECONDS" \
  --meta "Date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --meta "Command=\`$COMMAND\` (${ELAPSED} s in all; claim+submit phase sized to about $TARGET_SECONDS s per run, after a warm-up of about $WARMUP_SECONDS s)" \
  --meta "Machine=$(nproc) cores ($CPU_MODEL), $MEMORY memory, $(uname -sr)" \
  --meta "Software=.NET $(dotnet --version), $PG_VERSION, Dispatch at commit $COMMIT" \
  --meta "Simulator=one process on the same machine: one HttpClient (SocketsHttpHandler, MaxConnectionsPerServer = workers), claims without projectId, each server fresh for each run" \
  "${REPORT_EXTRA[@]}" | tee -a "$LOG"
log "Done in ${ELAPSED} s: $REPORT_MD, $REPORT_PNG, raw results in $RESULTS"
