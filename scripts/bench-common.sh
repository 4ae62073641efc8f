# Helpers shared by the benchmark scripts (bench-load.sh, bench-plateau.sh); sourced, not run.
# The sourcing script defines log() and die() first, and sets ROOT.

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_updated=0
apt_install() { # Debian packages, with one `apt-get update` per run
    if [ "$apt_updated" -eq 0 ]; then
        $sudo apt-get update -qq
        apt_updated=1
    fi
    log "installing: $*"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ciam_binary() { # sets CIAM: BENCH_BINARY, or a fresh release build
    if [ -n "${BENCH_BINARY:-}" ]; then
        CIAM=$(realpath "$BENCH_BINARY")
        [ -x "$CIAM" ] || die "BENCH_BINARY=$BENCH_BINARY is not an executable"
    else
        log "building: cargo build --release --bin ciam"
        cargo build --release --bin ciam
        CIAM=${CARGO_TARGET_DIR:-$ROOT/target}/release/ciam
    fi
}

stop_pid() { # pid [seconds]: TERM, wait, then KILL
    local pid=$1 wait=${2:-10} i
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < wait * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

free_port() { # a loopback port nobody listens on, below the ephemeral range
    local port i
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free port found"
}
