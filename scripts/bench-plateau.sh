#!/usr/bin/env bash
# Plateau benchmark (NOT a test; CI never runs it): under a steady rate of revocations, do
# the store's row count, the SQLite file and the server's memory level off? (issue 13,
# defect 8: expired revocations are pruned, so the store is the size of what is live.)
#
#   ./scripts/bench-plateau.sh                              # 300 s, ~500 revocations/s
#   BENCH_SECONDS=120 BENCH_RATE=300 ./scripts/bench-plateau.sh
#   BENCH_BINARY=/work/target-old/release/ciam BENCH_LABEL=pre-prune ./scripts/bench-plateau.sh
#
# Starts `ciam serve` (release binary) on the embedded default (SQLite file ciam.db in a temp
# dir, in-process denylist) with CIAM_ACCESS_TOKEN_TTL=30 and CIAM_PRUNE_INTERVAL=10 (rows are
# pruned 60 s after they expire, so a revocation lives in the store 90-100 s), RUST_LOG=warn,
# creates a confidential client with the CLI, and drives a steady loop with wrk: each request
# either revokes a token this wrk thread got earlier (POST /oauth2/revoke) or, when it has
# none, gets one (POST /oauth2/token, client_credentials): one token, one revocation. The rate
# is bounded by BENCH_CONNECTIONS connections, each pausing (wrk's delay()) so that together
# they send at most 2 * BENCH_RATE requests/s. wrk runs in back-to-back segments of
# BENCH_INTERVAL seconds; after each, the script samples: revocations so far (200 answers of
# /oauth2/revoke, counted by wrk), the size of ciam.db, ciam.db-wal and ciam.db-shm, the row
# count of revoked_access_tokens (sqlite3, read-only) and the server's VmRSS (/proc).
#
# Output: the series as a Markdown table on stdout and in target/bench/plateau-LABEL.md, the
# server's log in target/bench/plateau-LABEL-serve.log. Every process it starts (ciam, wrk)
# is stopped on exit; every wrk run is bounded by `timeout`. All traffic goes to 127.0.0.1.
#
# Environment:
#   BENCH_SECONDS=300     duration of the load
#   BENCH_RATE=500        target revocations/s (an upper bound; the measured rate is printed)
#   BENCH_CONNECTIONS=8   wrk connections (2 threads)
#   BENCH_INTERVAL=10     seconds between samples
#   BENCH_BINARY=path     this ciam binary instead of building one (cargo build --release)
#   BENCH_LABEL=current   names the output files
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

SECS=${BENCH_SECONDS:-300}
RATE=${BENCH_RATE:-500}
CONNS=${BENCH_CONNECTIONS:-8}
INTERVAL=${BENCH_INTERVAL:-10}
LABEL=${BENCH_LABEL:-current}
TTL=30
PRUNE=10
OUT=$ROOT/target/bench

log() { printf '[plateau %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
for v in SECS RATE CONNS INTERVAL; do
    case "${!v}" in '' | *[!0-9]*) die "$v must be a whole number" ;; esac
    [ "${!v}" -ge 1 ] || die "$v must be at least 1"
done

# shellcheck source=scripts/bench-common.sh
. "$ROOT/scripts/bench-common.sh"
command -v wrk >/dev/null 2>&1 || apt_install wrk
command -v curl >/dev/null 2>&1 || apt_install curl
command -v sqlite3 >/dev/null 2>&1 || apt_install sqlite3 || log "no sqlite3: row counts skipped"

ciam_binary

mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ciam-plateau-XXXXXX")
CIAM_PID=""
WRK_PID=""
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_pid "$WRK_PID"
    stop_pid "$CIAM_PID"
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the load: one token, then its revocation -----------------------------------------------
# delay() per request, in ms: CONNS connections at most 2 * RATE requests/s together.
DELAY_MS=$(awk -v c="$CONNS" -v r="$RATE" 'BEGIN{d = c * 1000 / (2 * r); printf "%d", (d < 1 ? 0 : d)}')
cat >"$WORK/plateau.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end

local client_id = os.getenv("BENCH_CLIENT_ID")
local client_secret = os.getenv("BENCH_CLIENT_SECRET")
local pause = tonumber(os.getenv("BENCH_DELAY_MS"))
local auth = "&client_id=" .. client_id .. "&client_secret=" .. client_secret
local token_body = "grant_type=client_credentials" .. auth
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

-- Tokens this thread got and has not revoked yet; responses are told apart by their body.
local queue = {}
tokens, revokes, errors = 0, 0, 0

function request()
  local t = table.remove(queue)
  if t then
    return wrk.format("POST", "/oauth2/revoke", nil, "token=" .. t .. auth)
  end
  return wrk.format("POST", "/oauth2/token", nil, token_body)
end

function response(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    return
  end
  local t = body:match('"access_token"%s*:%s*"([^"]+)"')
  if t then
    tokens = tokens + 1
    table.insert(queue, t)
  else
    revokes = revokes + 1
  end
end

function delay() return pause end

function done(summary, latency, requests)
  local t, r, e = 0, 0, 0
  for _, thread in ipairs(threads) do
    t = t + thread:get("tokens")
    r = r + thread:get("revokes")
    e = e + thread:get("errors")
  end
  io.write(string.format("PLATEAU tokens=%d revokes=%d errors=%d\n", t, r, e))
end
LUA

# --- the server -----------------------------------------------------------------------------
PORT=$(free_port)
BASE_URL="http://127.0.0.1:$PORT"
DB=$WORK/ciam.db
ENV=(RUST_LOG=warn "CIAM_DATABASE_URL=$DB" "CIAM_LISTEN=127.0.0.1:$PORT"
    "CIAM_ACCESS_TOKEN_TTL=$TTL" "CIAM_PRUNE_INTERVAL=$PRUNE")
SERVE_LOG=$OUT/plateau-$LABEL-serve.log
(cd "$WORK" && exec env "${ENV[@]}" "$CIAM" serve) >"$SERVE_LOG" 2>&1 &
CIAM_PID=$!
for ((i = 0; i < 300; i++)); do
    curl -fsS -o /dev/null "$BASE_URL/readyz" 2>/dev/null && break
    kill -0 "$CIAM_PID" 2>/dev/null || { cat "$SERVE_LOG" >&2; die "ciam serve exited"; }
    sleep 0.1
done
curl -fsS -o /dev/null "$BASE_URL/readyz" || die "ciam serve not ready after 30 s"
client=$(cd "$WORK" && env "${ENV[@]}" "$CIAM" client create --name plateau --grant-type client_credentials)
export BENCH_CLIENT_ID BENCH_CLIENT_SECRET BENCH_DELAY_MS=$DELAY_MS
BENCH_CLIENT_ID=$(sed -n 's/.*"client_id": *"\([^"]*\)".*/\1/p' <<<"$client")
BENCH_CLIENT_SECRET=$(sed -n 's/.*"client_secret": *"\([^"]*\)".*/\1/p' <<<"$client")
[ -n "$BENCH_CLIENT_ID" ] && [ -n "$BENCH_CLIENT_SECRET" ] || die "client create printed no credentials"

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
rows() {
    command -v sqlite3 >/dev/null 2>&1 || { echo "-"; return; }
    sqlite3 -readonly -cmd ".timeout 5000" "$DB" "SELECT count(*) FROM revoked_access_tokens" 2>/dev/null || echo "?"
}
rss_kib() { awk '/^VmRSS:/{print $2}' "/proc/$CIAM_PID/status" 2>/dev/null || echo "?"; }
mib() { awk -v b="$1" 'BEGIN{printf "%.1f", b / 1048576}'; }

ROWS_OUT=()
sample() { # elapsed total interval-revokes interval-seconds errors
    local db wal shm
    db=$(size_of "$DB")
    wal=$(size_of "$DB-wal")
    shm=$(size_of "$DB-shm")
    ROWS_OUT+=("| $1 | $2 | $(awk -v n="$3" -v s="$4" 'BEGIN{printf "%.0f", (s > 0 ? n / s : 0)}') | $(mib "$db") | $(mib "$wal") | $(mib "$shm") | $(mib $((db + wal + shm))) | $(rows) | $(awk -v k="$(rss_kib)" 'BEGIN{printf "%.1f", k / 1024}') | $5 |")
    log "${ROWS_OUT[-1]}"
}

log "$LABEL: $CIAM on $BASE_URL, ${SECS}s at <= $RATE revocations/s ($CONNS connections, delay ${DELAY_MS} ms)"
TOTAL=0
ERRORS=0
START=$(date +%s.%N)
sample 0 0 0 0 0
while :; do
    now=$(date +%s.%N)
    left=$(awk -v s="$START" -v n="$now" -v d="$SECS" 'BEGIN{printf "%d", d - (n - s) + 0.5}')
    [ "$left" -ge 1 ] || break
    seg=$((left < INTERVAL ? left : INTERVAL))
    seg_start=$(date +%s.%N)
    timeout $((seg + 30)) wrk -t2 -c"$CONNS" -d"${seg}s" --timeout 5s -s "$WORK/plateau.lua" "$BASE_URL" \
        >"$WORK/wrk.txt" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || { cat "$WORK/wrk.txt" >&2; die "wrk failed"; }
    WRK_PID=""
    seg_secs=$(awk -v a="$seg_start" -v b="$(date +%s.%N)" 'BEGIN{print b - a}')
    line=$(grep '^PLATEAU ' "$WORK/wrk.txt" | tail -1)
    [ -n "$line" ] || { cat "$WORK/wrk.txt" >&2; die "no result line from wrk"; }
    r=$(sed -n 's/.*revokes=\([0-9]*\).*/\1/p' <<<"$line")
    e=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$line")
    TOTAL=$((TOTAL + r))
    ERRORS=$((ERRORS + e))
    kill -0 "$CIAM_PID" 2>/dev/null || die "ciam serve died"
    sample "$(awk -v s="$START" -v n="$(date +%s.%N)" 'BEGIN{printf "%.0f", n - s}')" "$TOTAL" "$r" "$seg_secs" "$ERRORS"
done

{
    echo "# ciam store plateau ($LABEL)"
    echo
    echo '```'
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown) (uncommitted files: $(git status --porcelain 2>/dev/null | wc -l))"
    echo "binary: $CIAM ($(stat -c '%y' "$CIAM" | cut -d. -f1), sha256 $(sha256sum "$CIAM" | cut -c1-12))"
    echo "nproc: $(nproc); cpu: $(lscpu | sed -n 's/^Model name: *//p')"
    echo "command: BENCH_SECONDS=$SECS BENCH_RATE=$RATE BENCH_CONNECTIONS=$CONNS BENCH_INTERVAL=$INTERVAL BENCH_LABEL=$LABEL${BENCH_BINARY:+ BENCH_BINARY=$BENCH_BINARY} ./scripts/bench-plateau.sh"
    echo "server: CIAM_ACCESS_TOKEN_TTL=$TTL CIAM_PRUNE_INTERVAL=$PRUNE RUST_LOG=warn, SQLite $DB"
    echo '```'
    echo
    echo "| t (s) | revocations so far | rev/s in interval | ciam.db MiB | -wal MiB | -shm MiB | total MiB | revoked_access_tokens rows | VmRSS MiB | non-200 so far |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS_OUT[@]}"
} >"$OUT/plateau-$LABEL.md"
cat "$OUT/plateau-$LABEL.md"
log "saved $OUT/plateau-$LABEL.md"
