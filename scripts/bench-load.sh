#!/usr/bin/env bash
# Load benchmark of the three hot endpoints (NOT a test; CI never runs it).
#
#   ./scripts/bench-load.sh                      # both backends, 10 s per phase
#   BENCH_SECONDS=30 BENCH_BACKENDS=full ./scripts/bench-load.sh
#
# For each backend, `embedded` (SQLite file in a temp dir on disk, in-process denylist) and
# `full` (a throwaway Postgres 15 cluster with fsync ON and the default synchronous_commit,
# plus a throwaway redis-server --save "" --appendonly no), it starts `ciam serve` on a free
# loopback port with RUST_LOG=warn (at `serve`'s default, info, every request also writes a
# formatted log line to stderr: work that is not the endpoint's, and that costs throughput
# when the CPU is the limit; docs/performance.md has the measured difference), creates a
# confidential client (client_credentials) with the CLI, and runs three wrk phases of
# BENCH_SECONDS each, 32 connections, 2 wrk threads:
#   a. token       POST /oauth2/token grant_type=client_credentials (client_secret_post);
#                  every issued access_token is appended to a per-thread file
#   b. introspect  POST /oauth2/introspect, cycling over a pool of those tokens
#   c. revoke      POST /oauth2/revoke, each request a distinct, fresh (never revoked)
#                  token: each wrk thread owns its own slice of the token list and stops
#                  when the slice runs out (reported as "exhausted", never reused)
# Before phase c, extra (unmeasured) token rounds run until there are BENCH_REVOKE_TOKENS
# tokens (default 12,000 per second of phase: 20 % above the 10,000 req/s target).
#
# Output: a summary table on stdout and in target/bench/summary.md; the raw wrk outputs,
# the server logs and the machine's state under target/bench/. Every process it starts
# (ciam, postgres, redis-server, wrk, perf) is stopped on exit; every wrk run is bounded
# by `timeout`. All traffic goes to 127.0.0.1.
#
# Environment:
#   BENCH_SECONDS=10          duration of each measured phase
#   BENCH_CONNECTIONS=32      wrk connections
#   BENCH_THREADS=2           wrk threads (= token slices for the revoke phase)
#   BENCH_BACKENDS="embedded full"
#   BENCH_WARMUP=2            seconds of unmeasured token requests before phase a
#   BENCH_REVOKE_TOKENS       fresh tokens to have before phase c (default 20000*SECONDS)
#   BENCH_SERVER_ENV          extra settings for ciam serve, e.g. "CIAM_CLIENT_CACHE_TTL=0
#                             CIAM_DATABASE_POOL_SIZE=8" or "RUST_LOG=info" (experiments;
#                             recorded in meta.txt; the server's log is target/bench/*-serve.log)
#   BENCH_BINARY=path         benchmark this ciam binary instead of building one (e.g. to
#                             compare two builds); by default: cargo build --release
#   BENCH_PERF=1              also profile each phase with perf (system-wide flat profile,
#                             and ciam's call graph); reports in target/bench/*.perf.txt.
#                             Profiling costs throughput: do not quote those runs' figures.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SECS=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
BACKENDS=${BENCH_BACKENDS:-embedded full}
WARMUP=${BENCH_WARMUP:-2}
NEED_TOKENS=${BENCH_REVOKE_TOKENS:-$((20000 * SECS))}
PERF=${BENCH_PERF:-0}
PG_BIN=/usr/lib/postgresql/15/bin
OUT=$ROOT/target/bench
# Each wrk run: the phase, plus time for init (loading the token slices) and shutdown.
WRK_LIMIT=$((SECS + 60))
# Access tokens outlive the whole run, so that a revoke or an introspection never meets
# an expired token (which would be cheap "nothing to do" work).
ACCESS_TTL=3600

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

case "$SECS" in '' | *[!0-9]*) die "BENCH_SECONDS must be a whole number of seconds" ;; esac
[ "$SECS" -ge 1 ] || die "BENCH_SECONDS must be at least 1"

# --- tools ---------------------------------------------------------------------------------
# shellcheck source=scripts/bench-common.sh
. "$ROOT/scripts/bench-common.sh"
command -v wrk >/dev/null 2>&1 || apt_install wrk
command -v curl >/dev/null 2>&1 || apt_install curl
if [[ " $BACKENDS " == *" full "* ]]; then
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server
    [ -x "$PG_BIN/initdb" ] || apt_install postgresql-15
fi
if [ "$PERF" = 1 ]; then
    command -v perf >/dev/null 2>&1 || apt_install linux-perf
fi

ciam_binary

mkdir -p "$OUT"
rm -f "$OUT"/*.wrk.txt "$OUT"/*.perf.txt "$OUT"/*.perf.data "$OUT"/*.log "$OUT"/summary.md "$OUT"/meta.txt
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ciam-bench-XXXXXX")
chmod 755 "$WORK"

# --- cleanup: everything this script started, by pid -------------------------------------
CIAM_PID=""
REDIS_PID=""
PG_PID=""
PG_DATA=""
PG_PORT=""
PERF_PIDS=()
as_pg() { # a Postgres binary, as the postgres OS user when root (initdb refuses root)
    if [ "$(id -u)" -eq 0 ]; then (cd / && exec runuser -u postgres -- "$@"); else (cd / && exec "$@"); fi
}
stop_backend() {
    local p
    for p in "${PERF_PIDS[@]}"; do stop_pid "$p" 5; done
    PERF_PIDS=()
    stop_pid "$CIAM_PID"
    CIAM_PID=""
    stop_pid "$REDIS_PID"
    REDIS_PID=""
    if [ -n "$PG_PID" ]; then
        as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 30 >/dev/null 2>&1 || true
        stop_pid "$PG_PID"
        PG_PID=""
        PG_PORT=""
    fi
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_backend
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- helpers -------------------------------------------------------------------------------
cpu_ticks() { # utime+stime (clock ticks) of the given pids and all their descendants
    local pids total=0 t p
    pids=$(ps -e -o pid=,ppid= | awk -v roots="$*" '
        { parent[$1] = $2 }
        END {
            n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1
            do { grew = 0; for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; grew = 1 } } while (grew)
            for (p in keep) print p
        }')
    for p in $pids; do
        t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
        total=$((total + ${t:-0}))
    done
    echo "$total"
}
machine_ticks() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9, $5+$6}' /proc/stat; } # total idle

# --- Lua scripts for wrk -------------------------------------------------------------------
# Common: per-thread counters, read back in done() (which runs in the main Lua state).
cat >"$WORK/common.lua" <<'LUA'
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

client_id = os.getenv("BENCH_CLIENT_ID")
client_secret = os.getenv("BENCH_CLIENT_SECRET")
token_dir = os.getenv("BENCH_TOKEN_DIR")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

-- This thread's token slice, one token per line (nil when this thread got none).
function open_slice()
  return io.open(token_dir .. "/slice-" .. id .. ".txt", "r")
end

-- The first `limit` tokens of this thread's slice.
function read_slice(limit)
  local list = {}
  local f = open_slice()
  if not f then return list end
  for line in f:lines() do
    if line ~= "" then
      list[#list + 1] = line
      if #list >= limit then break end
    end
  end
  f:close()
  return list
end

function done(summary, latency, requests)
  local sum = { non200 = 0, inactive = 0, exhausted = 0, fillers = 0, filler_answers = 0,
                tokens = 0, slice = 0 }
  for _, t in ipairs(threads) do
    for k, _ in pairs(sum) do sum[k] = sum[k] + (tonumber(t:get(k)) or 0) end
  end
  local seconds = summary.duration / 1e6
  local counted = summary.requests - sum.filler_answers
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "non200=%d inactive=%d tokens=%d slice=%d exhausted=%d fillers=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    counted, seconds, counted / seconds, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, sum.non200, sum.inactive, sum.tokens, sum.slice,
    sum.exhausted, sum.fillers, e.connect, e.read, e.write, e.status, e.timeout))
end
LUA

# a. token: client_credentials; each issued access_token goes to this thread's file.
cat >"$WORK/token.lua" <<'LUA'
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
function init(args)
  non200, tokens = 0, 0
  out = assert(io.open(os.getenv("BENCH_TOKEN_OUT") .. "-" .. id .. ".txt", "a"))
  req = wrk.format(nil, "/oauth2/token", nil,
    "grant_type=client_credentials&client_id=" .. client_id .. "&client_secret=" .. client_secret)
end
function request() return req end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1; return end
  local token = string.match(body, '"access_token":"([^"]+)"')
  if token then
    out:write(token, "\n")
    tokens = tokens + 1
    if tokens % 1000 == 0 then out:flush() end
  end
end
LUA

# b. introspect: cycles over (at most 20,000 of) this thread's tokens; none is revoked yet,
# so every answer should be active.
cat >"$WORK/introspect.lua" <<'LUA'
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
function init(args)
  non200, inactive = 0, 0
  local list = read_slice(20000)
  slice = #list
  reqs = {}
  for i, token in ipairs(list) do
    reqs[i] = wrk.format(nil, "/oauth2/introspect", nil,
      "token=" .. token .. "&client_id=" .. client_id .. "&client_secret=" .. client_secret)
  end
  n, i = #reqs, 0
  if n == 0 then error("no tokens for thread " .. id) end
end
function request()
  i = i % n + 1
  return reqs[i]
end
function response(status, headers, body)
  if status ~= 200 then non200 = non200 + 1
  elseif not string.find(body, '"active":true', 1, true) then inactive = inactive + 1 end
end
LUA

# c. revoke: each request carries the next unused token of this thread's slice; a token is
# never sent twice. When the slice runs out the thread stops: the requests its connections
# still send before its loop ends are GET /healthz ("fillers"; their answers are subtracted
# from the count), and the thread sends nothing more while the phase's clock runs on, so
# the req/s of an exhausted run is a lower bound.
cat >"$WORK/revoke.lua" <<'LUA'
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
-- Tokens are read from the slice file one per request rather than held in a table: a table
-- of several hundred thousand JWTs made Lua's garbage collector pause this wrk thread, and the
-- pauses showed up as revoke p99 (28-36 ms, against 13-17 ms with a small slice; 2026-12-04).
function init(args)
  non200, exhausted, fillers, filler_answers = 0, 0, 0, 0
  token_file = open_slice()
  slice = 0
  if token_file then
    for line in token_file:lines() do
      if line ~= "" then slice = slice + 1 end
    end
    token_file:seek("set", 0)
  end
  auth = "&client_id=" .. client_id .. "&client_secret=" .. client_secret
  filler = wrk.format("GET", "/healthz", {}, nil)
end
function next_token()
  if not token_file then return nil end
  local line = token_file:read("*l")
  while line == "" do line = token_file:read("*l") end
  return line
end
function request()
  local token = exhausted == 0 and next_token() or nil
  if token == nil then
    if exhausted == 0 then exhausted = 1; wrk.thread:stop() end
    fillers = fillers + 1
    return filler
  end
  return wrk.format(nil, "/oauth2/revoke", nil, "token=" .. token .. "&token_type_hint=access_token" .. auth)
end
function response(status, headers, body)
  if exhausted == 1 and string.find(body, '"status":"ok"', 1, true) then
    filler_answers = filler_answers + 1
  elseif status ~= 200 then
    non200 = non200 + 1
  end
end
LUA

# --- one wrk phase -------------------------------------------------------------------------
# run_wrk NAME LUA SECONDS: writes $OUT/NAME.wrk.txt, and sets RESULT to its BENCH line.
run_wrk() {
    local name=$1 lua=$2 secs=$3 file="$OUT/$1.wrk.txt" t0 t1 m0 m1 c0 c1 s0 s1 p
    local start end
    m0=($(machine_ticks))
    c0=$(cpu_ticks "$CIAM_PID")
    s0=$(cpu_ticks "$PG_PID" "$REDIS_PID")
    start=$(date +%s.%N)
    if [ "$PERF" = 1 ] && [[ "$name" != *extra* && "$name" != *warmup* ]]; then
        # Starts with wrk; wrk's own init (loading token slices) takes a moment first.
        perf record -q -a -F 499 -o "$OUT/$name.system.perf.data" -- sleep "$secs" >/dev/null 2>&1 &
        PERF_PIDS+=($!)
        perf record -q -F 499 --call-graph dwarf,16384 -p "$CIAM_PID" \
            -o "$OUT/$name.ciam.perf.data" -- sleep "$secs" >/dev/null 2>&1 &
        PERF_PIDS+=($!)
        # Disk flushes, system-wide (SQLite in ciam, or the Postgres backends/walwriter).
        perf stat -a -x, -e syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync \
            -o "$OUT/$name.syncs.txt" -- sleep "$secs" >/dev/null 2>&1 &
        PERF_PIDS+=($!)
    fi
    local pg0 pg1
    pg0=$(pg_counters)
    local wrk_cpu
    wrk_cpu=$( { TIMEFORMAT='%U %S'; time timeout -k 5 "$WRK_LIMIT" \
        wrk -t "$THREADS" -c "$CONNS" -d "${secs}s" --timeout 10s --latency -s "$lua" \
        "$BASE_URL" >"$file" 2>&1; } 2>&1 ) || {
        log "wrk failed for $name; its output:"
        cat "$file" >&2
        return 1
    }
    end=$(date +%s.%N)
    m1=($(machine_ticks))
    c1=$(cpu_ticks "$CIAM_PID")
    s1=$(cpu_ticks "$PG_PID" "$REDIS_PID")
    for p in "${PERF_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    PERF_PIDS=()
    if [ -n "$pg0" ]; then
        # Backends publish their statistics within a second of going idle.
        sleep 1.5
        pg1=$(pg_counters)
        awk -v a="$pg0" -v b="$pg1" -v w="$secs" 'BEGIN{ split(a, x, "|"); split(b, y, "|");
            printf "PG commits/s=%.0f wal_records/s=%.0f wal_syncs/s=%.0f wal_writes/s=%.0f wal_bytes/s=%.0f redis_commands/s=%.0f (pg_stat_database, pg_stat_wal, Redis INFO stats; per second of phase)\n",
                (y[1]-x[1])/w, (y[2]-x[2])/w, (y[3]-x[3])/w, (y[4]-x[4])/w, (y[5]-x[5])/w, (y[6]-x[6])/w }' >>"$file"
    fi
    RESULT=$(grep '^BENCH ' "$file" | tail -1)
    [ -n "$RESULT" ] || { cat "$file" >&2; die "no result line from wrk for $name"; }
    # CPU use during the run, in % of one core: ciam; postgres + redis; wrk; whole machine.
    local hz wall total idle
    hz=$(getconf CLK_TCK)
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN{print b - a}')
    total=$((m1[0] - m0[0]))
    idle=$((m1[1] - m0[1]))
    CPU=$(awk -v hz="$hz" -v w="$wall" -v c=$((c1 - c0)) -v s=$((s1 - s0)) -v wc="$wrk_cpu" \
        -v t="$total" -v i="$idle" -v n="$(nproc)" 'BEGIN{
        split(wc, x, " ");
        ciam = 100*c/hz/w; db = 100*s/hz/w; wrk = 100*(x[1]+x[2])/w; busy = (t>0 ? 100*n*(t-i)/t : 0)
        printf "ciam=%.0f%% db+redis=%.0f%% wrk=%.0f%% other=%.0f%% machine=%.0f%%/%d00%%",
            ciam, db, wrk, busy - ciam - db - wrk, busy, n }')
    echo "CPU $CPU" >>"$file"
    if [ "$PERF" = 1 ] && [ -f "$OUT/$name.system.perf.data" ]; then
        {
            echo "### disk flushes during the phase, system-wide (perf stat, count per phase)"
            grep -v '^#' "$OUT/$name.syncs.txt" | grep -v '^$' | cut -d, -f1,3 || true
            echo "### system-wide, share of all samples by command"
            perf_top 15 -i "$OUT/$name.system.perf.data" --sort comm
            echo "### system-wide, by command and symbol (self time)"
            perf_top 50 -i "$OUT/$name.system.perf.data" --sort comm,dso,sym
            echo "### ciam only, inclusive time (children), call graphs by DWARF unwinding"
            perf_top 90 -i "$OUT/$name.ciam.perf.data" --children --sort sym -g none
        } >"$OUT/$name.perf.txt"
        rm -f "$OUT/$name.system.perf.data" "$OUT/$name.ciam.perf.data" "$OUT/$name.syncs.txt"
    fi
}

pg_counters() { # "commits|wal_records|wal_syncs|wal_writes|wal_bytes|redis_commands" of the full backend
    [ -n "$PG_PORT" ] || return 0
    printf '%s|%s\n' "$(pg_stat)" "$(redis_commands)"
}
redis_commands() { # commands Redis has processed since it started
    redis-cli -u "$REDIS_URL" INFO stats 2>/dev/null | sed -n 's/^total_commands_processed:\([0-9]*\).*/\1/p'
}
pg_stat() {
    [ -n "$PG_PORT" ] || return 0
    "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -d ciam -c \
        "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = 'ciam') || '|' || wal_records || '|' || wal_sync || '|' || wal_write || '|' || wal_bytes FROM pg_stat_wal" \
        2>/dev/null || true
}

perf_top() { # perf_top LINES perf-report-args…: the first LINES rows of a --stdio report
    local lines=$1
    shift
    { perf report --stdio --no-inline "$@" 2>/dev/null || true; } | grep -v -e '^#' -e '^$' | head -n "$lines" || true
}

field() { # field NAME "BENCH k=v …"
    sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"
}

SUMMARY_ROWS=()
record_row() { # backend endpoint result-line wrk-file
    local backend=$1 endpoint=$2 r=$3 file=$4 rps p50 p99 non200 wrk_non2xx sock notes
    rps=$(field rps "$r")
    p50=$(awk -v u="$(field p50_us "$r")" 'BEGIN{printf "%.2f", u/1000}')
    p99=$(awk -v u="$(field p99_us "$r")" 'BEGIN{printf "%.2f", u/1000}')
    non200=$(field non200 "$r")
    wrk_non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$file")
    sock=$(sed -n 's/^ *Socket errors: *\(.*\)$/\1/p' "$file" | tr -d ' ')
    notes="requests=$(field requests "$r")"
    [ "$endpoint" = introspect ] && notes+=" inactive=$(field inactive "$r")"
    [ "$endpoint" = token ] && notes+=" tokens_saved=$(field tokens "$r")"
    [ "$endpoint" = revoke ] && notes+=" fresh_tokens=$(field slice "$r")"
    [ "$(field exhausted "$r")" != 0 ] && notes+=" EXHAUSTED(fillers=$(field fillers "$r"),rate-is-a-lower-bound)"
    [ -n "$sock" ] && notes+=" socket_errors:$sock"
    notes+=" cpu:$(sed -n 's/^CPU //p' "$file")"
    local pg
    pg=$(sed -n 's/^PG \([^(]*\) (.*/\1/p' "$file")
    [ -n "$pg" ] && notes+=" pg:${pg// /,}"
    SUMMARY_ROWS+=("| $backend | $endpoint | $(printf '%.0f' "$rps") | $p50 | $p99 | $non200 | ${wrk_non2xx:-0} | $notes |")
}

# --- backends ------------------------------------------------------------------------------
start_postgres() {
    local dir=$WORK/pg port i
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    port=$(free_port)
    PG_DATA=$dir/data
    # fsync, synchronous_commit and full_page_writes at their defaults (on): a 200 from
    # revoke means the WAL record is flushed to disk.
    as_pg "$PG_BIN/postgres" -D "$dir/data" -p "$port" -k "$dir" \
        -c listen_addresses=127.0.0.1 >"$dir/server.log" 2>&1 &
    PG_PID=$!
    for ((i = 0; i < 300; i++)); do
        "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -t 1 && break
        kill -0 "$PG_PID" 2>/dev/null || { cat "$dir/server.log" >&2; die "postgres exited"; }
        sleep 0.1
    done
    "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE ciam" \
        || die "cannot create the database"
    "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$port" -U postgres -d ciam -c \
        "SELECT name || '=' || setting FROM pg_settings WHERE name IN ('fsync','synchronous_commit','full_page_writes','wal_sync_method','commit_delay','max_connections','shared_buffers') ORDER BY name" \
        | sed 's/^/postgres: /' >>"$OUT/meta.txt"
    PG_PORT=$port
    DATABASE_URL="postgres://postgres@127.0.0.1:$port/ciam"
}

start_redis() {
    local port i
    port=$(free_port)
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
        --dir "$WORK" --logfile "$WORK/redis.log" >/dev/null 2>&1 &
    REDIS_PID=$!
    for ((i = 0; i < 100; i++)); do
        [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && break
        kill -0 "$REDIS_PID" 2>/dev/null || die "redis-server exited"
        sleep 0.1
    done
    REDIS_URL="redis://127.0.0.1:$port"
}

run_backend() {
    local backend=$1 dir=$WORK/$1 port i r have round extra_secs rps
    mkdir -p "$dir"
    local env=(RUST_LOG=warn "CIAM_ACCESS_TOKEN_TTL=$ACCESS_TTL")
    local extra
    for extra in ${BENCH_SERVER_ENV:-}; do
        [[ "$extra" == CIAM_*=* || "$extra" == RUST_LOG=* ]] ||
            die "BENCH_SERVER_ENV: $extra is not CIAM_NAME=value or RUST_LOG=value"
        env+=("$extra")
    done
    case $backend in
        embedded) env+=("CIAM_DATABASE_URL=$dir/ciam.db") ;;
        full)
            start_postgres
            start_redis
            env+=("CIAM_DATABASE_URL=$DATABASE_URL" "CIAM_REDIS_URL=$REDIS_URL")
            ;;
        *) die "unknown backend $backend (embedded or full)" ;;
    esac
    port=$(free_port)
    BASE_URL="http://127.0.0.1:$port"
    env+=("CIAM_LISTEN=127.0.0.1:$port")
    log "$backend: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "$backend: load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/meta.txt"
    (cd "$dir" && exec env "${env[@]}" "$CIAM" serve) >"$OUT/$backend-serve.log" 2>&1 &
    CIAM_PID=$!
    for ((i = 0; i < 300; i++)); do
        curl -fsS -o /dev/null "$BASE_URL/readyz" 2>/dev/null && break
        kill -0 "$CIAM_PID" 2>/dev/null || { cat "$OUT/$backend-serve.log" >&2; die "ciam serve exited"; }
        sleep 0.1
    done
    curl -fsS -o /dev/null "$BASE_URL/readyz" || die "ciam serve not ready after 30 s"

    local client
    client=$(cd "$dir" && env "${env[@]}" "$CIAM" client create --name bench --grant-type client_credentials)
    export BENCH_CLIENT_ID BENCH_CLIENT_SECRET BENCH_LUA_DIR=$WORK
    BENCH_CLIENT_ID=$(sed -n 's/.*"client_id": *"\([^"]*\)".*/\1/p' <<<"$client")
    BENCH_CLIENT_SECRET=$(sed -n 's/.*"client_secret": *"\([^"]*\)".*/\1/p' <<<"$client")
    [ -n "$BENCH_CLIENT_ID" ] && [ -n "$BENCH_CLIENT_SECRET" ] || die "client create printed no credentials"
    export BENCH_TOKEN_DIR=$dir/tokens
    mkdir -p "$BENCH_TOKEN_DIR"

    if [ "$WARMUP" -gt 0 ]; then
        log "$backend: warm-up, ${WARMUP}s of token requests (not measured)"
        BENCH_TOKEN_OUT=$BENCH_TOKEN_DIR/raw-warmup run_wrk "$backend-warmup" "$WORK/token.lua" "$WARMUP"
    fi

    log "$backend: a. token (client_credentials), ${SECS}s"
    BENCH_TOKEN_OUT=$BENCH_TOKEN_DIR/raw-token run_wrk "$backend-token" "$WORK/token.lua" "$SECS"
    record_row "$backend" token "$RESULT" "$OUT/$backend-token.wrk.txt"
    rps=$(field rps "$RESULT")

    # Enough fresh tokens for phase c: extra unmeasured rounds, at most three.
    have=$(cat "$BENCH_TOKEN_DIR"/raw-* | sort -u | wc -l)
    for round in 1 2 3; do
        [ "$have" -ge "$NEED_TOKENS" ] && break
        extra_secs=$(awk -v need=$((NEED_TOKENS - have)) -v r="$rps" -v max=$((3 * SECS + 10)) \
            'BEGIN{s = int(need / (r > 100 ? r : 100) * 1.2) + 2; print (s > max ? max : s)}')
        log "$backend: $have tokens, $NEED_TOKENS wanted for revoke: extra round $round, ${extra_secs}s"
        BENCH_TOKEN_OUT=$BENCH_TOKEN_DIR/raw-extra$round \
            run_wrk "$backend-tokens-extra$round" "$WORK/token.lua" "$extra_secs"
        have=$(cat "$BENCH_TOKEN_DIR"/raw-* | sort -u | wc -l)
    done
    [ "$have" -ge "$NEED_TOKENS" ] || log "$backend: only $have fresh tokens (wanted $NEED_TOKENS): revoke may run out (reported)"
    # Distinct tokens, dealt round-robin into one slice per wrk thread.
    cat "$BENCH_TOKEN_DIR"/raw-* | sort -u |
        awk -v n="$THREADS" -v d="$BENCH_TOKEN_DIR" '{print > (d "/slice-" (NR - 1) % n ".txt")}'
    echo "$backend: fresh tokens before revoke: $have" >>"$OUT/meta.txt"

    log "$backend: b. introspect, ${SECS}s"
    run_wrk "$backend-introspect" "$WORK/introspect.lua" "$SECS"
    record_row "$backend" introspect "$RESULT" "$OUT/$backend-introspect.wrk.txt"

    log "$backend: c. revoke (distinct fresh access tokens), ${SECS}s"
    run_wrk "$backend-revoke" "$WORK/revoke.lua" "$SECS"
    record_row "$backend" revoke "$RESULT" "$OUT/$backend-revoke.wrk.txt"
    [ "$(field exhausted "$RESULT")" = 0 ] || log "$backend: revoke ran out of fresh tokens (see summary)"

    stop_backend
    rm -rf "$dir"
}

# --- run -----------------------------------------------------------------------------------
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown) (plus uncommitted changes: $(git status --porcelain 2>/dev/null | wc -l) files)"
    echo "nproc: $(nproc)"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p')"
    echo "kernel: $(uname -r)"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "binary: $CIAM ($(stat -c '%y' "$CIAM" | cut -d. -f1), sha256 $(sha256sum "$CIAM" | cut -c1-12))"
    [ -n "${BENCH_SERVER_ENV:-}" ] && echo "server env: $BENCH_SERVER_ENV"
    echo "command: BENCH_SECONDS=$SECS BENCH_CONNECTIONS=$CONNS BENCH_THREADS=$THREADS BENCH_BACKENDS=\"$BACKENDS\" ./scripts/bench-load.sh"
} >"$OUT/meta.txt"

for backend in $BACKENDS; do
    run_backend "$backend"
done

{
    echo "# ciam load benchmark"
    echo
    echo '```'
    cat "$OUT/meta.txt"
    echo '```'
    echo
    echo "$CONNS connections, $THREADS wrk threads, ${SECS}s per phase, RUST_LOG=warn (unless the server env above says otherwise), wrk on the same machine."
    echo "cpu: % of one core during the phase (ciam; postgres+redis; wrk; other = the rest of the machine's busy time: other processes, kernel threads)."
    echo
    echo "| backend | endpoint | req/s | p50 ms | p99 ms | non-200 (Lua) | Non-2xx (wrk) | notes |"
    echo "|---|---|---:|---:|---:|---:|---:|---|"
    printf '%s\n' "${SUMMARY_ROWS[@]}"
} >"$OUT/summary.md"
cat "$OUT/summary.md"
log "raw outputs in $OUT"
