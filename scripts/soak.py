#!/usr/bin/env python3
"""Soak: mixed load on two ciam nodes, with a Redis and a Postgres restart in the middle
(NOT a test; CI never runs it).

    ./scripts/soak.py                       # 20 minutes, target/release/ciam (built if missing)
    SOAK_MINUTES=5 BENCH_BINARY=path ./scripts/soak.py

It starts a throwaway Postgres 15 cluster (fsync on), a redis-server without persistence
(a restart loses every key, as a crash of an unpersisted Redis does) and two `ciam serve`
nodes on them, all on loopback. Workers then issue client_credentials tokens, introspect
and revoke them, each on a node chosen at random. At one third of the run Redis is stopped
and started again empty; at two thirds Postgres is restarted (`pg_ctl restart -m fast`).

During the run every introspection of a token whose revocation had already answered 200
must say `"active":false` (counted as a violation otherwise). At the end, once the
reconcilers have rebuilt Redis, every token whose revocation got 200 is checked again: by
introspection on both nodes, and in Redis (`{prefix}:v2:revoked:jti:{jti}`), as a resource
server checks it.

Report: target/soak/report.md (and stdout): requests and answers per operation, 503s, the
violations, the final check, and each node's resident memory sampled every 30 s, with the
number of live revocations it holds.

Environment: SOAK_MINUTES (20), SOAK_WORKERS (6), SOAK_TOKEN_TTL (seconds; half the run),
BENCH_BINARY (a ciam binary).
"""

import base64
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_BIN = "/usr/lib/postgresql/15/bin"
MINUTES = float(os.environ.get("SOAK_MINUTES", "20"))
WORKERS = int(os.environ.get("SOAK_WORKERS", "6"))
# Half the run by default: revocations made in the first half expire before the end, so
# memory must level off at the live ones, and those of the second half are still live at
# the final check.
TOKEN_TTL = int(os.environ.get("SOAK_TOKEN_TTL", str(int(MINUTES * 30))))
OUT = os.path.join(ROOT, "target", "soak")
PREFIX = "ciam"
BINARY = None


def log(message):
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, ready, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if ready():
            return
        time.sleep(0.1)
    raise SystemExit(f"soak: {what} not ready within {seconds} s")


def as_pg(args, **kw):
    """Postgres refuses to run as root: as the postgres user then."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--"] + args
    return subprocess.run(args, check=True, cwd="/", **kw)


class Stack:
    def __init__(self, work, binary):
        self.work, self.binary = work, binary
        self.procs = []
        self.pg_data = os.path.join(work, "pg")
        self.pg_port, self.redis_port = free_port(), free_port()

    def start_postgres(self):
        os.makedirs(self.pg_data)
        if os.geteuid() == 0:
            shutil.chown(self.work, "postgres")
            shutil.chown(self.pg_data, "postgres")
        as_pg([f"{PG_BIN}/initdb", "-D", self.pg_data, "-U", "postgres", "--auth=trust"],
              stdout=subprocess.DEVNULL)
        self.pg_ctl("start")
        subprocess.run([f"{PG_BIN}/psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.pg_port),
                        "-U", "postgres", "-c", "CREATE DATABASE ciam"], check=True)

    def pg_ctl(self, action, *extra):
        as_pg([f"{PG_BIN}/pg_ctl", action, "-D", self.pg_data, "-w", "-t", "60",
               "-l", os.path.join(self.work, "pg.log"),
               "-o", f"-p {self.pg_port} -c listen_addresses=127.0.0.1 -k {self.work}", *extra],
              stdout=subprocess.DEVNULL)

    def start_redis(self):
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.work],
            stdout=subprocess.DEVNULL)
        wait_for("redis", lambda: self.redis_cli("PING") == "PONG")

    def stop_redis(self):
        self.redis.terminate()
        self.redis.wait(30)

    def redis_cli(self, *args, stdin=None):
        result = subprocess.run(["redis-cli", "-p", str(self.redis_port), *args], input=stdin,
                                capture_output=True, text=True)
        return result.stdout.strip()

    def env(self, port=None):
        # One issuer for both, as behind a load balancer: each node would otherwise default to
        # its own listen address, and refuse the other's tokens.
        env = dict(os.environ, RUST_LOG="warn", CIAM_ACCESS_TOKEN_TTL=str(TOKEN_TTL), CIAM_ISSUER="http://ciam.soak.test",
                   CIAM_DATABASE_URL=f"postgres://postgres@127.0.0.1:{self.pg_port}/ciam",
                   CIAM_REDIS_URL=f"redis://127.0.0.1:{self.redis_port}")
        if port:
            env["CIAM_LISTEN"] = f"127.0.0.1:{port}"
        return env

    def start_node(self, name):
        port = free_port()
        logfile = open(os.path.join(OUT, f"{name}.log"), "w")
        proc = subprocess.Popen([self.binary, "serve"], env=self.env(port), cwd=self.work,
                                stdout=logfile, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        wait_for(name, lambda: http_status(port, "GET", "/healthz") == 200)
        return Node(name, port, proc.pid)

    def create_client(self):
        out = subprocess.run([self.binary, "client", "create", "--name", "soak",
                              "--grant-type", "client_credentials"], env=self.env(),
                             cwd=self.work, check=True, capture_output=True, text=True).stdout
        client = json.loads(out)
        return client["client_id"], client["client_secret"]

    def stop(self):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        if getattr(self, "redis", None):
            self.redis.kill()
        try:
            self.pg_ctl("stop", "-m", "fast")
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


def http_status(port, method, path):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request(method, path)
        return conn.getresponse().status
    except OSError:
        return None


class Node:
    def __init__(self, name, port, pid):
        self.name, self.port, self.pid = name, port, pid

    def rss_mib(self):
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")


class Tally:
    """Counters shared by the workers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.live = []  # tokens not revoked
        self.revoked = {}  # token -> time its revocation answered 200
        self.revoked_list = []  # the same tokens, to pick from
        self.violations = []

    def count(self, op, status):
        with self.lock:
            key = (op, status)
            self.counts[key] = self.counts.get(key, 0) + 1


def post(conn, path, form):
    body = urllib.parse.urlencode(form)
    conn.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    return response.status, response.read()


def worker(nodes, client, tally, deadline, seed):
    rng = random.Random(seed)
    conns = {n.name: http.client.HTTPConnection("127.0.0.1", n.port, timeout=10) for n in nodes}
    creds = {"client_id": client[0], "client_secret": client[1]}
    while time.time() < deadline:
        node = rng.choice(nodes)
        conn = conns[node.name]
        roll = rng.random()
        try:
            if roll < 0.3 or len(tally.live) < 50:
                op = "token"
                status, body = post(conn, "/oauth2/token", {"grant_type": "client_credentials", **creds})
                if status == 200:
                    token = json.loads(body)["access_token"]
                    with tally.lock:
                        tally.live.append(token)
                        # Bounded: the oldest are simply never revoked.
                        if len(tally.live) > 20000:
                            del tally.live[:5000]
            elif roll < 0.8:
                op = "introspect"
                with tally.lock:
                    pool = tally.live if rng.random() < 0.7 or not tally.revoked_list else tally.revoked_list
                    token = pool[rng.randrange(max(0, len(pool) - 2000), len(pool))] if pool else None
                if token is None:
                    continue
                sent = time.time()
                status, body = post(conn, "/oauth2/introspect", {"token": token, **creds})
                if status == 200 and json.loads(body).get("active"):
                    with tally.lock:
                        revoked_at = tally.revoked.get(token)
                    if revoked_at is not None and revoked_at < sent:
                        with tally.lock:
                            tally.violations.append((node.name, token[-12:], sent - revoked_at))
            else:
                op = "revoke"
                with tally.lock:
                    token = tally.live.pop(rng.randrange(len(tally.live))) if tally.live else None
                if token is None:
                    continue
                status, _ = post(conn, "/oauth2/revoke", {"token": token, **creds})
                with tally.lock:
                    if status == 200:
                        tally.revoked[token] = time.time()
                        tally.revoked_list.append(token)
                    else:
                        # Not revoked for sure: it may be tried again later.
                        tally.live.append(token)
            tally.count(op, status)
        except (OSError, http.client.HTTPException) as error:
            tally.count("connection", type(error).__name__)
            conn.close()
            conns[node.name] = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)


def claims_of(token):
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def jti_of(token):
    return claims_of(token)["jti"]


def final_check(stack, nodes, client, tally):
    # Expired tokens are refused whatever the denylist says, and Redis drops their keys at
    # `exp`: the check is of the tokens still live, with a margin for the check itself. Redis
    # first (one pipelined pass, seconds), then introspection on each node, which takes
    # minutes: a token that expires before its turn there is left out of that node's count.
    horizon = time.time() + 60
    tokens = [t for t in tally.revoked if claims_of(t)["exp"] > horizon]
    log(f"final check of the {len(tokens)} live revocations (of {len(tally.revoked)}) that answered 200")
    commands = "".join(f"EXISTS {PREFIX}:v2:revoked:jti:{jti_of(t)}\n" for t in tokens)
    in_redis = sum(1 for line in stack.redis_cli(stdin=commands).splitlines() if line.strip() == "1")
    inactive = {n.name: 0 for n in nodes}
    checked = {n.name: 0 for n in nodes}
    for node in nodes:
        conn = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)
        for token in tokens:
            if claims_of(token)["exp"] <= time.time() + 1:
                continue
            checked[node.name] += 1
            status, body = post(conn, "/oauth2/introspect",
                                {"token": token, "client_id": client[0], "client_secret": client[1]})
            if status == 200 and not json.loads(body).get("active"):
                inactive[node.name] += 1
    return len(tokens), {n: (inactive[n], checked[n]) for n in inactive}, in_redis


def sha256_of(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    global BINARY
    binary = os.environ.get("BENCH_BINARY") or os.path.join(ROOT, "target", "release", "ciam")
    if not os.environ.get("BENCH_BINARY"):
        subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "ciam"], cwd=ROOT, check=True)
    binary = BINARY = os.path.realpath(binary)
    os.makedirs(OUT, exist_ok=True)
    work = tempfile.mkdtemp(prefix="ciam-soak-")
    os.chmod(work, 0o755)
    stack = Stack(work, binary)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        stack.start_postgres()
        stack.start_redis()
        client = stack.create_client()
        nodes = [stack.start_node("node-a"), stack.start_node("node-b")]
        tally = Tally()
        seconds = MINUTES * 60
        started = time.time()
        deadline = started + seconds
        threads = [threading.Thread(target=worker, args=(nodes, client, tally, deadline, i), daemon=True)
                   for i in range(WORKERS)]
        for thread in threads:
            thread.start()
        samples, events = [], []
        redis_restarted = postgres_restarted = False
        while time.time() < deadline:
            time.sleep(min(30, max(0.1, deadline - time.time())))
            elapsed = time.time() - started
            if not redis_restarted and elapsed >= seconds / 3:
                log("stopping Redis (no persistence: every key is lost) and starting it again")
                stack.stop_redis()
                time.sleep(2)
                stack.start_redis()
                events.append(f"{elapsed:.0f} s: Redis stopped for 2 s, restarted empty")
                redis_restarted = True
            if not postgres_restarted and elapsed >= 2 * seconds / 3:
                log("restarting Postgres")
                t0 = time.time()
                stack.pg_ctl("restart", "-m", "fast")
                events.append(f"{elapsed:.0f} s: Postgres restarted (-m fast) in {time.time() - t0:.1f} s")
                postgres_restarted = True
            with tally.lock:
                done = sum(tally.counts.values())
                live_revocations = len(tally.revoked)
            sample = (elapsed, [round(n.rss_mib(), 1) for n in nodes], done, live_revocations)
            samples.append(sample)
            log(f"{elapsed:5.0f} s: rss {sample[1]} MiB, {done} requests, {live_revocations} revoked")
        for thread in threads:
            thread.join(30)
        wait_for("the completeness marker", lambda: stack.redis_cli("EXISTS", f"{PREFIX}:v2:complete") == "1", 120)
        total, inactive, in_redis = final_check(stack, nodes, client, tally)
        report(tally, samples, events, total, inactive, in_redis, nodes, stack)
        ok = not tally.violations and all(n == c for n, c in inactive.values()) and in_redis == total
        return 0 if ok else 1
    finally:
        stack.stop()
        shutil.rmtree(work, ignore_errors=True)


def report(tally, samples, events, total, inactive, in_redis, nodes, stack):
    lines = [f"# Soak report ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})", "",
             f"{MINUTES:g} minutes, {WORKERS} workers, two nodes; binary `{BINARY}` (sha256 "
             f"`{sha256_of(BINARY)[:12]}`).", "", "## Events", ""]
    lines += [f"- {e}" for e in events]
    lines += ["", "## Answers", "", "| operation | status | count |", "|---|---|---:|"]
    for (op, status), count in sorted(tally.counts.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        lines.append(f"| {op} | {status} | {count} |")
    lines += ["", "## Revocations", "",
              f"- revocations answered 200: **{len(tally.revoked)}**, of which **{total}** still "
              f"live at the final check (access tokens live {TOKEN_TTL} s)",
              f"- introspected as active after their 200, during the run: **{len(tally.violations)}**"]
    lines += [f"- live ones inactive on {name} at the end: **{n}** of {checked} still live at their turn"
              for name, (n, checked) in inactive.items()]
    lines += [f"- live ones in Redis at the end (`{PREFIX}:v2:revoked:jti:*`): **{in_redis}** of {total}", "",
              "## Memory (resident, MiB)", "", "| elapsed s | " + " | ".join(n.name for n in nodes)
              + " | requests so far | revocations so far |", "|---:|" + "---:|" * (len(nodes) + 2)]
    for elapsed, rss, done, revoked in samples:
        lines.append(f"| {elapsed:.0f} | " + " | ".join(f"{r:.1f}" for r in rss) + f" | {done} | {revoked} |")
    lines += ["", f"Redis used_memory at the end: "
              + next((line.split(":")[1] for line in stack.redis_cli("INFO", "memory").splitlines()
                      if line.startswith("used_memory_human:")), "?")]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(OUT, "report.md"), "w") as out:
        out.write(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
