//! Benchmark (not a test; CI never runs it): how long Redis's denylist can be incomplete, and
//! whether its completeness marker ever says otherwise, when Redis loses entries under the
//! REAL `ciam serve` binary (issue 13, "Tests and figures").
//!
//! It starts a throwaway Postgres and redis-server on loopback (ciam-testkit), creates a
//! client with the CLI (which also migrates), seeds SEED live revocations (default 100,000)
//! straight into Postgres, and starts `ciam serve` with `CIAM_RECONCILE_INTERVAL=3600`, so
//! that only the every-second "incomplete" check can repair Redis. It waits for the start-up
//! rebuild to set `ciam:v1:complete`, then replays, RUNS times each (default 3):
//!
//! (a) FLUSHALL: a poller reads, every 10 ms and atomically (MULTI / EXISTS marker / EXISTS
//!     300 sampled seed keys / EXEC), whether the marker is set and how many of a fixed random
//!     sample of 300 seeded revocation keys exist. Reported: the longest continuous time the
//!     marker was set while a sample was missing (goal 0), and the time from the FLUSHALL until
//!     the marker is back with every sample present.
//! (b) Redis restarted from its dump: get N tokens (default 20) with client_credentials, stop
//!     Redis with a SAVE, revoke 5 of them (each answers 503 and is committed to Postgres),
//!     restart Redis from the dump (it comes back with the marker, without the 5), and poll
//!     the marker and the 5 `ciam:v1:revoked:jti:<jti>` keys every 10 ms. Reported: the time
//!     from Redis answering again until all 5 are present (goal <= 1 s), and the longest
//!     marker-set-while-missing window (expected > 0 here: docs/redis-denylist.md says ciam
//!     does not close this window, it repairs it within about a second).
//!
//! The store keeps the SEED live revocations during (b), so each repair is a full rebuild of
//! that many. A lying window is measured from the first poll that saw it to the first poll
//! that did not (an upper bound at 10 ms resolution). Output: a Markdown table on stdout; the
//! server's log is copied to target/bench/denylist_loss_window.serve.log.
//!
//!     cargo build --release --bin ciam --examples
//!     cargo run --release --example denylist_loss_window [-- SEED [RUNS [N]]]
//!
//! The server binary is `$CIAM_BIN`, else `$CARGO_TARGET_DIR/release/ciam`, else
//! `target/release/ciam`: build it first.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciam_testkit::postgres::TestPostgres;
use ciam_testkit::redis::TestRedis;

const PREFIX: &str = "ciam";
const SAMPLE: usize = 300;
const REVOKED: usize = 5;
const POLL: Duration = Duration::from_millis(10);
/// How long the poller goes on after everything is back, to catch a late lie.
const AFTER: Duration = Duration::from_secs(1);
/// Bound on each wait for recovery.
const RECOVERY_LIMIT: Duration = Duration::from_secs(60);

fn main() {
    let mut args = std::env::args().skip(1);
    let mut arg = |default: usize| args.next().and_then(|n| n.parse().ok()).unwrap_or(default);
    let seed = arg(100_000);
    let runs = arg(3);
    let tokens = arg(20).max(REVOKED);
    let binary = ciam_binary();
    eprintln!("ciam binary: {}", binary.display());

    let postgres = TestPostgres::start();
    let redis = TestRedis::spawn();
    let database_url = postgres.fresh_database("loss_window");
    let dir = tempfile::tempdir().expect("temp dir");
    let env: Vec<(&str, String)> = vec![
        ("CIAM_DATABASE_URL", database_url.clone()),
        ("CIAM_REDIS_URL", redis.url.clone()),
        ("CIAM_RECONCILE_INTERVAL", "3600".into()),
        ("RUST_LOG", "info".into()),
    ];

    // The CLI migrates the database, so the seed has its table.
    let created = Command::new(&binary)
        .current_dir(dir.path())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .args([
            "client",
            "create",
            "--name",
            "load",
            "--grant-type",
            "client_credentials",
        ])
        .output()
        .expect("ciam client create runs");
    assert!(
        created.status.success(),
        "ciam client create: {}",
        String::from_utf8_lossy(&created.stderr)
    );
    let client: serde_json::Value =
        serde_json::from_slice(&created.stdout).expect("client create prints JSON");
    let client_id = client["client_id"].as_str().expect("client_id").to_owned();
    let secret = client["client_secret"]
        .as_str()
        .expect("client_secret")
        .to_owned();

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    let seeding = Instant::now();
    postgres.execute(
        &database_url,
        &format!(
            "INSERT INTO revoked_access_tokens (jti, client_id, expires_at, revoked_at) \
             SELECT 'seed-' || i, 'seed', {}, {now} FROM generate_series(1, {seed}) i",
            now + 3600
        ),
    );
    eprintln!(
        "seeded {seed} live revocations into Postgres in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    let redis_addr = SocketAddr::from(([127, 0, 0, 1], redis.port()));
    let marker = format!("{PREFIX}:v1:complete");
    let log_path = dir.path().join("serve.log");
    let started = Instant::now();
    let server = Server::start(&binary, dir.path(), &env, &log_path);
    let startup_rebuild = wait_for(RECOVERY_LIMIT, || {
        Resp::connect(redis_addr)
            .and_then(|mut r| r.exists(&[marker.as_str()]))
            .is_ok_and(|n| n == 1)
    })
    .map(|_| started.elapsed())
    .unwrap_or_else(|| server.fail("the start-up rebuild did not set the marker"));
    eprintln!(
        "ciam serve up; marker set {:.2} s after spawn (start-up rebuild of {seed})",
        startup_rebuild.as_secs_f64()
    );

    let mut rows = Vec::new();

    // (a) FLUSHALL with SEED live revocations.
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let sample: Vec<String> = (0..SAMPLE.min(seed))
        .map(|_| format!("{PREFIX}:v1:revoked:jti:seed-{}", 1 + rng.below(seed)))
        .collect();
    for run in 1..=runs {
        let poller = Poller::start(redis_addr, marker.clone(), sample.clone());
        std::thread::sleep(Duration::from_millis(200));
        let flushing = Instant::now();
        redis.flushall();
        // A poll that began before FLUSHALL SYNC returned may have run before it: only
        // polls begun after it count as "back"; the time is measured from `flushing`.
        let flushed = Instant::now();
        let back = wait_for(RECOVERY_LIMIT, || poller.complete_since(flushed));
        if back.is_none() {
            eprintln!("(a) run {run}: not back within {RECOVERY_LIMIT:?}");
        }
        std::thread::sleep(AFTER);
        let samples = poller.stop();
        let mut report = Report::of(&samples, flushed, sample.len(), true);
        report.back_after = report.back_after.map(|d| d + (flushed - flushing));
        rows.push(report.row("a. FLUSHALL", run, seed, "FLUSHALL"));
    }

    // (b) Redis restarted from a dump older than 5 revocations.
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    for run in 1..=runs {
        let issued: Vec<String> = (0..tokens)
            .map(|_| token(&agent, &server.base_url, &client_id, &secret))
            .collect();
        let revoked = &issued[..REVOKED];
        let keys: Vec<String> = revoked
            .iter()
            .map(|t| format!("{PREFIX}:v1:revoked:jti:{}", jti(t)))
            .collect();
        redis.stop_saving();
        let statuses: Vec<u16> = revoked
            .iter()
            .map(|t| revoke(&agent, &server.base_url, &client_id, &secret, t))
            .collect();
        let poller = Poller::start(redis_addr, marker.clone(), keys.clone());
        let restarting = Instant::now();
        redis.restart_from_dump();
        let restarted = Instant::now();
        // Redis answering again: the first poll that got an answer, or the restart's return.
        let up = wait_for(Duration::from_secs(2), || {
            poller.first_answer_since(restarting).is_some()
        })
        .and_then(|_| poller.first_answer_since(restarting))
        .map_or(restarted, |t| t.min(restarted));
        let back = wait_for(RECOVERY_LIMIT, || poller.all_present_since(up));
        if back.is_none() {
            eprintln!("(b) run {run}: the 5 keys not back within {RECOVERY_LIMIT:?}");
        }
        std::thread::sleep(AFTER);
        let samples = poller.stop();
        let report = Report::of(&samples, up, keys.len(), false);
        let note = format!("revoke answered {statuses:?} while Redis was down");
        rows.push(report.row("b. restart from dump", run, seed, &note));
    }

    println!(
        "\n{seed} live revocations in Postgres; start-up rebuild: marker set {:.2} s after \
         spawn; CIAM_RECONCILE_INTERVAL=3600; poll every 10 ms.\n",
        startup_rebuild.as_secs_f64()
    );
    println!(
        "| scenario | run | live revocations | longest marker-set-while-missing (polls) | \
         back after | polls | notes |"
    );
    println!("|---|---|---:|---:|---:|---:|---|");
    for row in &rows {
        println!("{row}");
    }
    println!(
        "\n(a) \"back after\": from sending FLUSHALL SYNC to the first poll (begun after it \
         returned) with the marker and all {} samples. (b): from Redis answering again (PING, \
         or a poll, whichever first) to the first poll with all {REVOKED} revoked jti keys. \
         Lie windows: first lying poll to the first poll that did not lie.",
        sample.len()
    );

    let out = Path::new("target/bench");
    if std::fs::create_dir_all(out).is_ok() {
        let _ = std::fs::copy(&log_path, out.join("denylist_loss_window.serve.log"));
    }
    drop(server);
}

fn ciam_binary() -> PathBuf {
    let path = match std::env::var_os("CIAM_BIN") {
        Some(path) => PathBuf::from(path),
        None => std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| PathBuf::from("target"), PathBuf::from)
            .join("release/ciam"),
    };
    assert!(
        path.is_file(),
        "{} not found: build it first (cargo build --release --bin ciam) or set CIAM_BIN",
        path.display()
    );
    path
}

/// Calls `done` every 10 ms until it is true (`Some(when)`) or `limit` passes (`None`).
fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> Option<Instant> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return Some(Instant::now());
        }
        std::thread::sleep(POLL);
    }
    None
}

fn token(agent: &ureq::Agent, base: &str, client_id: &str, secret: &str) -> String {
    let response = agent
        .post(&format!("{base}/oauth2/token"))
        .send_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ])
        .expect("token issued");
    let body: serde_json::Value =
        serde_json::from_str(&response.into_string().expect("token body")).expect("token JSON");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

fn revoke(agent: &ureq::Agent, base: &str, client_id: &str, secret: &str, token: &str) -> u16 {
    match agent.post(&format!("{base}/oauth2/revoke")).send_form(&[
        ("token", token),
        ("client_id", client_id),
        ("client_secret", secret),
    ]) {
        Ok(response) => response.status(),
        Err(ureq::Error::Status(status, _)) => status,
        Err(error) => panic!("revoke: transport error {error}"),
    }
}

fn jti(token: &str) -> String {
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let json = URL_SAFE_NO_PAD.decode(payload).expect("base64url payload");
    let claims: serde_json::Value = serde_json::from_slice(&json).expect("JSON claims");
    claims["jti"].as_str().expect("jti claim").to_owned()
}

/// `ciam serve`, killed when dropped.
struct Server {
    child: Child,
    base_url: String,
    log: PathBuf,
}

impl Server {
    fn start(binary: &Path, dir: &Path, env: &[(&str, String)], log: &Path) -> Server {
        let listen = format!("127.0.0.1:{}", ciam_testkit::free_port());
        let child = Command::new(binary)
            .current_dir(dir)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("CIAM_LISTEN", &listen)
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("log file"))
            .spawn()
            .expect("ciam serve starts");
        let server = Server {
            child,
            base_url: format!("http://{listen}"),
            log: log.to_owned(),
        };
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        let healthy = wait_for(Duration::from_secs(120), || {
            agent
                .get(&format!("{}/healthz", server.base_url))
                .call()
                .is_ok()
        });
        if healthy.is_none() {
            server.fail("ciam serve not healthy within 120 s");
        }
        server
    }

    fn fail(&self, what: &str) -> ! {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        panic!("{what}; the server's log:\n{log}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One poll: when, and (marker set, how many of the keys exist), or `None` if Redis did not
/// answer.
#[derive(Clone, Copy)]
struct Sample {
    at: Instant,
    state: Option<(bool, usize)>,
}

/// A thread that polls every 10 ms until stopped.
struct Poller {
    stop: Arc<AtomicBool>,
    samples: Arc<std::sync::Mutex<Vec<Sample>>>,
    keys: usize,
    handle: JoinHandle<()>,
}

impl Poller {
    fn start(addr: SocketAddr, marker: String, keys: Vec<String>) -> Poller {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(std::sync::Mutex::new(Vec::with_capacity(8192)));
        let count = keys.len();
        let handle = {
            let stop = Arc::clone(&stop);
            let samples = Arc::clone(&samples);
            std::thread::spawn(move || {
                let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
                let mut conn: Option<Resp> = None;
                let mut next = Instant::now();
                while !stop.load(Ordering::SeqCst) {
                    let at = Instant::now();
                    if conn.is_none() {
                        conn = Resp::connect(addr).ok();
                    }
                    let state = conn
                        .as_mut()
                        .and_then(|c| c.marker_and(&marker, &keys).ok());
                    if state.is_none() {
                        conn = None;
                    }
                    samples
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(Sample { at, state });
                    next += POLL;
                    let now = Instant::now();
                    if next > now {
                        std::thread::sleep(next - now);
                    } else {
                        next = now;
                    }
                }
            })
        };
        Poller {
            stop,
            samples,
            keys: count,
            handle,
        }
    }

    fn find(&self, since: Instant, ok: impl Fn(bool, usize) -> bool) -> Option<Instant> {
        self.samples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|s| s.at >= since)
            .find(|s| s.state.is_some_and(|(m, n)| ok(m, n)))
            .map(|s| s.at)
    }

    fn complete_since(&self, since: Instant) -> bool {
        let keys = self.keys;
        self.find(since, |m, n| m && n == keys).is_some()
    }

    fn all_present_since(&self, since: Instant) -> bool {
        let keys = self.keys;
        self.find(since, |_, n| n == keys).is_some()
    }

    fn first_answer_since(&self, since: Instant) -> Option<Instant> {
        self.find(since, |_, _| true)
    }

    fn stop(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().expect("poller thread");
        let samples = self.samples.lock().unwrap_or_else(|p| p.into_inner());
        samples.clone()
    }
}

struct Report {
    longest_lie: Duration,
    lie_polls: usize,
    back_after: Option<Duration>,
    polls: usize,
    unanswered: usize,
}

impl Report {
    /// `with_marker`: whether "back" needs the marker too (a), or only every key (b).
    fn of(samples: &[Sample], from: Instant, keys: usize, with_marker: bool) -> Report {
        let mut longest_lie = Duration::ZERO;
        let mut lie_polls = 0;
        let mut lie_since: Option<Instant> = None;
        for s in samples {
            let lying = s.state.is_some_and(|(m, n)| m && n < keys);
            if lying {
                lie_polls += 1;
                lie_since.get_or_insert(s.at);
            } else if let Some(start) = lie_since.take() {
                longest_lie = longest_lie.max(s.at - start);
            }
        }
        if let (Some(start), Some(last)) = (lie_since, samples.last()) {
            longest_lie = longest_lie.max(last.at - start);
        }
        let back_after = samples
            .iter()
            .filter(|s| s.at >= from)
            .find(|s| {
                s.state
                    .is_some_and(|(m, n)| n == keys && (m || !with_marker))
            })
            .map(|s| s.at - from);
        Report {
            longest_lie,
            lie_polls,
            back_after,
            polls: samples.len(),
            unanswered: samples.iter().filter(|s| s.state.is_none()).count(),
        }
    }

    fn row(&self, scenario: &str, run: usize, live: usize, note: &str) -> String {
        let back = self
            .back_after
            .map_or("NOT BACK".to_owned(), |d| format!("{} ms", d.as_millis()));
        format!(
            "| {scenario} | {run} | {live} | {} ms ({}) | {back} | {} ({} unanswered) | {note} |",
            self.longest_lie.as_millis(),
            self.lie_polls,
            self.polls,
            self.unanswered,
        )
    }
}

/// A fixed pseudo-random sequence (xorshift64), so every run samples the same keys.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Just enough of RESP over one TCP connection for `EXISTS` and `MULTI`/`EXEC`.
struct Resp {
    reader: BufReader<TcpStream>,
}

enum Reply {
    Simple,
    Int(i64),
    Array(Vec<Reply>),
}

impl Resp {
    fn connect(addr: SocketAddr) -> std::io::Result<Resp> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_millis(200))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.set_write_timeout(Some(Duration::from_secs(2)))?;
        stream.set_nodelay(true)?;
        Ok(Resp {
            reader: BufReader::new(stream),
        })
    }

    fn encode(out: &mut Vec<u8>, args: &[&str]) {
        out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
        for arg in args {
            out.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
        }
    }

    fn exists(&mut self, keys: &[&str]) -> std::io::Result<i64> {
        let mut args = vec!["EXISTS"];
        args.extend_from_slice(keys);
        let mut out = Vec::new();
        Resp::encode(&mut out, &args);
        self.reader.get_mut().write_all(&out)?;
        match self.read()? {
            Reply::Int(n) => Ok(n),
            _ => Err(invalid("EXISTS did not answer an integer")),
        }
    }

    /// The marker and how many of `keys` exist, read in one transaction: no write of
    /// another client falls between the two.
    fn marker_and(&mut self, marker: &str, keys: &[&str]) -> std::io::Result<(bool, usize)> {
        let mut out = Vec::new();
        Resp::encode(&mut out, &["MULTI"]);
        Resp::encode(&mut out, &["EXISTS", marker]);
        let mut args = vec!["EXISTS"];
        args.extend_from_slice(keys);
        Resp::encode(&mut out, &args);
        Resp::encode(&mut out, &["EXEC"]);
        self.reader.get_mut().write_all(&out)?;
        for _ in 0..3 {
            self.read()?; // +OK, +QUEUED, +QUEUED
        }
        match self.read()? {
            Reply::Array(items) => match items.as_slice() {
                [Reply::Int(m), Reply::Int(n)] => Ok((*m == 1, usize::try_from(*n).unwrap_or(0))),
                _ => Err(invalid("EXEC answered something else")),
            },
            _ => Err(invalid("EXEC did not answer an array")),
        }
    }

    fn read(&mut self) -> std::io::Result<Reply> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end();
        let (kind, rest) = line.split_at(1.min(line.len()));
        match kind {
            "+" => Ok(Reply::Simple),
            ":" => rest
                .parse()
                .map(Reply::Int)
                .map_err(|_| invalid("bad integer")),
            "*" => {
                let n: i64 = rest.parse().map_err(|_| invalid("bad array length"))?;
                let mut items = Vec::new();
                for _ in 0..n.max(0) {
                    items.push(self.read()?);
                }
                Ok(Reply::Array(items))
            }
            "$" => {
                let n: i64 = rest.parse().map_err(|_| invalid("bad bulk length"))?;
                if n >= 0 {
                    let mut buf = vec![0; usize::try_from(n).unwrap_or(0) + 2];
                    self.reader.read_exact(&mut buf)?;
                }
                Ok(Reply::Simple)
            }
            _ => Err(invalid(&format!("Redis answered {line:?}"))),
        }
    }
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what)
}
