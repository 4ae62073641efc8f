//! A throwaway `redis-server` on a free loopback port, without persistence.
//!
//! [`shared`] is one server for every test of a binary; tests isolate themselves with a key
//! prefix from [`unique_prefix`]. Tests that stop, restart or flush a server start their own
//! with [`TestRedis::spawn`], so that they disturb nobody.
//!
//! `TEST_REDIS_URL` (a server without a password) replaces the shared server; servers started
//! with `spawn` are always local. The harness speaks raw RESP over a `TcpStream`, so it needs
//! no Redis client crate.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::{free_port, on_path, spawn_with_watchdog};

const NOT_FOUND: &str = "redis-server not found: run scripts/test.sh, which installs it, \
                         or `apt-get install redis-server`";
/// How long a server may take to answer its first `PING`, or to go away.
const STARTUP: Duration = Duration::from_secs(10);
/// The bound on one raw command.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A Redis server for tests.
pub struct TestRedis {
    /// `redis://host:port`, for clients.
    pub url: String,
    host: String,
    port: u16,
    /// `None` for a server this harness did not start (`TEST_REDIS_URL`).
    local: Option<Local>,
}

/// What a server this harness started needs to be stopped and started again.
struct Local {
    port: u16,
    /// The server's working directory. Nothing is written there but by
    /// [`stop_saving`](TestRedis::stop_saving), as `dump-{port}.rdb`.
    dir: PathBuf,
    running: Mutex<Option<Running>>,
}

struct Running {
    /// The watchdog shell around the server.
    watchdog: Child,
    /// The server's own pid, from `INFO server`.
    pid: Option<u32>,
}

impl TestRedis {
    /// The server named by `TEST_REDIS_URL`, or else a new local one.
    pub fn start() -> TestRedis {
        match std::env::var("TEST_REDIS_URL") {
            Ok(url) if !url.trim().is_empty() => TestRedis::external(url.trim()),
            _ => TestRedis::spawn(),
        }
    }

    /// A new local `redis-server` (never `TEST_REDIS_URL`): one a test may stop, restart and
    /// flush. Panics, saying what to install, if `redis-server` is missing.
    pub fn spawn() -> TestRedis {
        if !on_path("redis-server") {
            panic!("{NOT_FOUND}");
        }
        // One directory for every server: a directory per server would outlive the shared
        // one (statics are never dropped), and nothing is written into it anyway.
        let dir = std::env::temp_dir().join("ciam-test-redis");
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        // A port found free may be taken before the server binds it: try a few.
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let server = TestRedis {
                url: format!("redis://127.0.0.1:{port}"),
                host: "127.0.0.1".into(),
                port,
                local: None,
            };
            match server.launch(&dir, false) {
                Ok(running) => {
                    return TestRedis {
                        local: Some(Local {
                            port,
                            dir,
                            running: Mutex::new(Some(running)),
                        }),
                        ..server
                    }
                }
                Err(e) => last_error = e,
            }
        }
        panic!("redis-server did not start: {last_error}");
    }

    fn external(url: &str) -> TestRedis {
        let (host, port) = host_and_port(url)
            .unwrap_or_else(|| panic!("TEST_REDIS_URL={url} is not redis://host:port[/db]"));
        let server = TestRedis {
            url: url.to_owned(),
            host,
            port,
            local: None,
        };
        server
            .wait_until_ready(None)
            .unwrap_or_else(|e| panic!("TEST_REDIS_URL={url} does not answer PING: {e}"));
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server answers `PING` right now.
    pub fn is_up(&self) -> bool {
        self.ping(Duration::from_millis(500))
            .is_ok_and(|reply| reply == "+PONG")
    }

    fn ping(&self, timeout: Duration) -> std::io::Result<String> {
        raw_command(&self.addr()?, &["PING"], timeout)
    }

    /// Sends one command and returns the first line of the reply (`+OK`, `:42`, `$5`,
    /// `-ERR …`): enough for status and integer replies.
    pub fn command(&self, args: &[&str]) -> std::io::Result<String> {
        raw_command(&self.addr()?, args, IO_TIMEOUT)
    }

    /// Deletes every key of every database.
    pub fn flushall(&self) {
        let reply = self
            .command(&["FLUSHALL", "SYNC"])
            .unwrap_or_else(|e| panic!("FLUSHALL on {}: {e}", self.url));
        assert_eq!(reply, "+OK", "FLUSHALL on {}", self.url);
    }

    /// Stops the server: when this returns, its port refuses connections. Its data is lost
    /// (there is no persistence). Idempotent.
    pub fn stop(&self) {
        let mut running = self.lock_local("stop");
        if let Some(mut server) = running.take() {
            self.shut_down(&mut server);
        }
    }

    /// Stops the server as `SHUTDOWN SAVE` would: its data is written to a dump first, for
    /// [`restart_from_dump`](TestRedis::restart_from_dump).
    pub fn stop_saving(&self) {
        let mut running = self.lock_local("stop_saving");
        if let Some(mut server) = running.take() {
            let reply = self
                .command(&["SAVE"])
                .unwrap_or_else(|e| panic!("SAVE on {}: {e}", self.url));
            assert_eq!(reply, "+OK", "SAVE on {}", self.url);
            self.shut_down(&mut server);
        }
    }

    /// Starts the server again on the same port with the data of its last
    /// [`stop_saving`](TestRedis::stop_saving), as a Redis with persistence restarts.
    pub fn restart_from_dump(&self) {
        self.relaunch("restart_from_dump", true);
    }

    /// Stops the server if it runs and starts it again on the same port, empty; returns once
    /// it answers `PING`.
    pub fn restart(&self) {
        self.relaunch("restart", false);
    }

    fn relaunch(&self, what: &str, keep_dump: bool) {
        let mut running = self.lock_local(what);
        if let Some(mut server) = running.take() {
            self.shut_down(&mut server);
        }
        let dir = match &self.local {
            Some(local) => local.dir.as_path(),
            None => unreachable_external("restart"),
        };
        let server = self
            .launch(dir, keep_dump)
            .unwrap_or_else(|e| panic!("redis-server did not restart on port {}: {e}", self.port));
        *running = Some(server);
    }

    /// Suspends the server (`SIGSTOP`): it keeps accepting connections, as the kernel does for
    /// it, but answers nothing, like a hung or partitioned server. Undo with [`thaw`].
    ///
    /// [`thaw`]: TestRedis::thaw
    pub fn freeze(&self) {
        self.signal("freeze", "-STOP");
    }

    /// Resumes a server stopped by [`freeze`](TestRedis::freeze), its data intact.
    pub fn thaw(&self) {
        self.signal("thaw", "-CONT");
    }

    fn signal(&self, what: &str, signal: &str) {
        let running = self.lock_local(what);
        let pid = running
            .as_ref()
            .and_then(|server| server.pid)
            .unwrap_or_else(|| {
                panic!("cannot {what} redis-server: not running, or its pid is unknown")
            });
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .unwrap_or_else(|e| panic!("cannot run kill: {e}"));
        assert!(status.success(), "kill {signal} {pid}: {status}");
    }

    fn lock_local(&self, what: &str) -> MutexGuard<'_, Option<Running>> {
        match &self.local {
            Some(local) => local
                .running
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
            None => unreachable_external(what),
        }
    }

    /// Starts `redis-server` on `self.port` and waits until it answers `PING`; it loads
    /// its dump only if `keep_dump` (a dump left by an earlier server on this port is not
    /// this one's).
    fn launch(&self, dir: &Path, keep_dump: bool) -> Result<Running, String> {
        let port = self.port.to_string();
        let dump = format!("dump-{port}.rdb");
        if !keep_dump {
            let _ = std::fs::remove_file(dir.join(&dump));
        }
        let dir = dir.to_str().ok_or("temporary directory is not UTF-8")?;
        let args = [
            "--port",
            &port,
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dbfilename",
            &dump,
            "--dir",
            dir,
        ];
        let mut watchdog = spawn_with_watchdog(None, "redis-server", &args);
        if let Err(e) = self.wait_until_ready(Some(&mut watchdog)) {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
            return Err(e);
        }
        let pid = self.server_pid();
        Ok(Running { watchdog, pid })
    }

    /// Waits (bounded) for `+PONG`; fails early if the watchdog shell exits, meaning the
    /// server did.
    fn wait_until_ready(&self, mut watchdog: Option<&mut Child>) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP;
        let mut last = String::from("no answer");
        while Instant::now() < deadline {
            match self.ping(Duration::from_millis(500)) {
                Ok(reply) if reply == "+PONG" => return Ok(()),
                Ok(reply) => last = format!("PING answered {reply:?}"),
                Err(e) => last = e.to_string(),
            }
            if let Some(child) = watchdog.as_deref_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(match status.code() {
                        Some(127) => NOT_FOUND.to_owned(),
                        _ => format!("redis-server exited ({status}) on port {}", self.port),
                    });
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "no PONG from {} within {STARTUP:?}: {last}",
            self.url
        ))
    }

    fn server_pid(&self) -> Option<u32> {
        let info = bulk_command(&self.addr().ok()?, &["INFO", "server"]).ok()?;
        info.lines()
            .find_map(|line| line.strip_prefix("process_id:"))
            .and_then(|pid| pid.trim().parse().ok())
    }

    fn shut_down(&self, server: &mut Running) {
        resume(server.pid);
        // No reply comes: the server closes the connection as it exits.
        let _ = self.command(&["SHUTDOWN", "NOSAVE"]);
        if !self.wait_until_refused(Duration::from_secs(5)) {
            if let Some(pid) = server.pid {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
            if !self.wait_until_refused(STARTUP) {
                panic!("redis-server on port {} does not stop", self.port);
            }
        }
        // The watchdog notices within half a second; no need to wait for it.
        let _ = server.watchdog.kill();
        let _ = server.watchdog.wait();
    }

    fn wait_until_refused(&self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            match self
                .addr()
                .and_then(|addr| TcpStream::connect_timeout(&addr, IO_TIMEOUT))
            {
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return true,
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        false
    }

    fn addr(&self) -> std::io::Result<SocketAddr> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("no address for {}", self.host),
                )
            })
    }
}

impl Drop for Local {
    /// Stops the server early (the watchdog would at process exit anyway). Statics, like
    /// [`shared`], are never dropped.
    fn drop(&mut self) {
        let running = self
            .running
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if running.is_some() {
            let _ = raw_command(
                &SocketAddr::from(([127, 0, 0, 1], self.port)),
                &["SHUTDOWN", "NOSAVE"],
                IO_TIMEOUT,
            );
        }
    }
}

/// Undoes a `freeze`, if any: a stopped process ignores `SHUTDOWN` and the watchdog's
/// `SIGTERM` until it is continued.
fn resume(pid: Option<u32>) {
    if let Some(pid) = pid {
        let _ = Command::new("kill")
            .args(["-CONT", &pid.to_string()])
            .status();
    }
}

fn unreachable_external(what: &str) -> ! {
    panic!(
        "cannot {what} a server this harness did not start (TEST_REDIS_URL); use TestRedis::spawn"
    )
}

/// The server every test of this process shares. Isolate tests with [`unique_prefix`].
pub fn shared() -> &'static TestRedis {
    static SHARED: OnceLock<TestRedis> = OnceLock::new();
    SHARED.get_or_init(TestRedis::start)
}

/// A key prefix no other test (of this or another process) uses: `test-{name}-{pid}-{n}`.
pub fn unique_prefix(name: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("test-{name}-{}-{n}", std::process::id())
}

/// `redis://[user:password@]host[:port][/db]` → host and port.
fn host_and_port(url: &str) -> Option<(String, u16)> {
    let rest = url.strip_prefix("redis://")?;
    let authority = rest.split('/').next()?;
    let host_port = authority.rsplit('@').next()?;
    match host_port.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), port.parse().ok()?)),
        None => Some((host_port.to_owned(), 6379)),
    }
}

fn connect(
    addr: &SocketAddr,
    args: &[&str],
    timeout: Duration,
) -> std::io::Result<BufReader<TcpStream>> {
    let mut stream = TcpStream::connect_timeout(addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes())?;
    Ok(BufReader::new(stream))
}

fn read_line(reader: &mut BufReader<TcpStream>) -> std::io::Result<String> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub(crate) fn raw_command(
    addr: &SocketAddr,
    args: &[&str],
    timeout: Duration,
) -> std::io::Result<String> {
    read_line(&mut connect(addr, args, timeout)?)
}

/// A command whose reply is one bulk string.
pub(crate) fn bulk_command(addr: &SocketAddr, args: &[&str]) -> std::io::Result<String> {
    use std::io::Read;
    let mut reader = connect(addr, args, IO_TIMEOUT)?;
    let header = read_line(&mut reader)?;
    let len: usize = header
        .strip_prefix('$')
        .and_then(|len| len.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not a bulk reply: {header}")))?;
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        assert_eq!(
            host_and_port("redis://127.0.0.1:6380"),
            Some(("127.0.0.1".into(), 6380))
        );
        assert_eq!(
            host_and_port("redis://localhost/2"),
            Some(("localhost".into(), 6379))
        );
        assert_eq!(host_and_port("redis://:pw@h:1/0"), Some(("h".into(), 1)));
        assert_eq!(host_and_port("http://h"), None);
    }

    #[test]
    fn a_spawned_server_stops_and_restarts_on_its_port() {
        let redis = TestRedis::spawn();
        assert!(redis.is_up());
        assert_eq!(redis.command(&["SET", "k", "v"]).expect("SET"), "+OK");
        redis.freeze();
        assert!(!redis.is_up(), "a frozen server does not answer");
        redis.thaw();
        assert!(redis.is_up());
        redis.freeze();
        redis.stop();
        assert!(!redis.is_up());
        redis.stop();
        redis.restart();
        assert!(redis.is_up());
        assert_eq!(
            redis.command(&["EXISTS", "k"]).expect("EXISTS"),
            ":0",
            "data survived"
        );
        redis.flushall();
    }

    #[test]
    fn prefixes_are_unique() {
        assert_ne!(unique_prefix("a"), unique_prefix("a"));
    }
}
