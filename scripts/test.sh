#!/usr/bin/env bash
# Every check CI runs, on a fresh Debian machine of this project's kind: installs what is
# missing (Debian's redis-server, Postgres 15, the C libraries diesel links, Chromium and its
# chromedriver, aiosmtpd, the rustfmt and clippy components), then formatting, lints, and the whole
# workspace's tests against real Postgres and Redis servers and a headless Chromium that the
# test harness starts on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
dpkg -s libpq-dev >/dev/null 2>&1 || missing+=(libpq-dev)
dpkg -s libsqlite3-dev >/dev/null 2>&1 || missing+=(libsqlite3-dev)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium chromium-driver)
# The SMTP server ciam-mail's tests deliver to (crates/mail/tests/smtp.rs).
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
# The login page's screenshots in docs/ are taken with these fonts.
dpkg -s fonts-liberation >/dev/null 2>&1 || missing+=(fonts-liberation)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
