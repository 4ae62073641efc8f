# ciam as a container image.
#
#   docker build -t ciam:local .
#   docker run --rm -p 8080:8080 ciam:local                    # ciam serve (SQLite in /var/lib/ciam)
#   docker run --rm ciam:local ciam client create --name web --grant-type client_credentials
#
# There is no ENTRYPOINT: the command is the whole command line, and `ciam` is on PATH.
# That way `docker compose up` runs the default `ciam serve`, and
# `docker compose run ciam ciam client create ...` runs `ciam client create ...`
# (with ENTRYPOINT ["ciam"] the latter would become `ciam ciam client create ...`).
#
# tests/integration/compose.rs checks this file against docker-compose.yml.

# ---- builder ------------------------------------------------------------------------
# Same Debian release as the runtime stage, so libpq and libsqlite3 match.
FROM rust:1-bookworm AS builder

# diesel links libpq and libsqlite3.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# 1. Dependencies only: the manifests, the lock file and empty sources, so this layer is
#    rebuilt only when a manifest or Cargo.lock changes. Every crates/*/Cargo.toml must be
#    listed here, and every target they declare must name its path, since only src/ stubs
#    exist at this point (the compose test checks both).
COPY Cargo.toml Cargo.lock ./
COPY crates/contract/Cargo.toml crates/contract/Cargo.toml
COPY crates/crypto/Cargo.toml crates/crypto/Cargo.toml
COPY crates/denylist/Cargo.toml crates/denylist/Cargo.toml
COPY crates/domain/Cargo.toml crates/domain/Cargo.toml
COPY crates/http/Cargo.toml crates/http/Cargo.toml
COPY crates/mail/Cargo.toml crates/mail/Cargo.toml
COPY crates/notify/Cargo.toml crates/notify/Cargo.toml
COPY crates/resource/Cargo.toml crates/resource/Cargo.toml
COPY crates/store/Cargo.toml crates/store/Cargo.toml
COPY crates/testkit/Cargo.toml crates/testkit/Cargo.toml
RUN mkdir -p src \
    && echo 'fn main() {}' > src/main.rs && : > src/lib.rs \
    && for crate in crates/*/; do mkdir -p "${crate}src" && : > "${crate}src/lib.rs"; done \
    && cargo build --release --locked --bin ciam \
    && rm -rf src crates/*/src

# 2. The sources. The migrations are embedded at compile time (crates/store/src/migrate.rs).
#    COPY keeps the files' modification times, which may be older than the stub build
#    above: touch them so cargo rebuilds the workspace crates instead of reusing the stubs.
COPY src src
COPY crates crates
COPY migrations migrations
RUN find src crates -name '*.rs' -exec touch {} + \
    && cargo build --release --locked --bin ciam \
    && install -m 0755 target/release/ciam /usr/local/bin/ciam

# ---- runtime ------------------------------------------------------------------------
FROM debian:bookworm-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 libsqlite3-0 ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# A fixed, non-root uid/gid (numeric USER, so runAsNonRoot-style checks can verify it).
# Its home is the working directory: the default SQLite file ciam.db is written there.
RUN groupadd --system --gid 10001 ciam \
    && useradd --system --uid 10001 --gid ciam --home-dir /var/lib/ciam --create-home \
        --shell /usr/sbin/nologin ciam

COPY --from=builder /usr/local/bin/ciam /usr/local/bin/ciam

WORKDIR /var/lib/ciam
USER 10001:10001

ENV CIAM_LISTEN=0.0.0.0:8080
EXPOSE 8080

# Ready = store and denylist reachable (GET /readyz answers 200). No curl in the image:
# bash (always in Debian) opens the TCP connection itself through /dev/tcp, on the port
# of CIAM_LISTEN, so it stays right when CIAM_LISTEN is changed at `docker run`.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${CIAM_LISTEN##*:} && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

CMD ["ciam", "serve"]
