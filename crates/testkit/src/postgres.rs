//! A throwaway Postgres cluster on a free loopback port.
//!
//! [`TestPostgres::shared`] starts one cluster per test process (`initdb` into a temp dir,
//! then `postgres` with durability off) and every test gets its own empty database from
//! [`TestPostgres::fresh_database`], so tests run in parallel without seeing each other.
//! [`TestPostgres::start`] starts a private cluster that a test may stop and start again
//! (same port, same data) to check how its clients behave during an outage.
//!
//! The server runs under [`spawn_with_watchdog`], so it dies with the test process. Its
//! directory (`$TMPDIR/ciam-testpg-*`: data, socket, `server.log`, about 100 MB) stays behind
//! when the process exits; the next cluster started on the machine removes it (and any such
//! dir idle for an hour) once the server is gone.
//!
//! With `TEST_DATABASE_URL=postgres://user[:password]@host:port/db` set, the shared instance
//! starts nothing and creates its fresh databases on that server instead (through `psql`, so
//! the user needs `CREATEDB`). Those databases (`ciam_<hint>_<pid>_<n>`) are not dropped.
//!
//! Everything goes through the Postgres command-line tools (`initdb`, `postgres`, `pg_ctl`,
//! `pg_isready`, `psql`); no client library is linked. As root, the server runs as the
//! `postgres` OS user, since `initdb` refuses to run as root. Every wait is bounded.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::{free_port, shell_quote, spawn_with_watchdog};

/// Where Debian's `postgresql-15` package installs the server binaries.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The env var naming an existing server to use instead of starting one.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

const MISSING_BINARIES: &str = "Postgres 15 server binaries not found at \
    /usr/lib/postgresql/15/bin: run scripts/test.sh, which installs them, or apt-get install \
    postgresql-15";
const DIR_PREFIX: &str = "ciam-testpg-";
const SUPERUSER: &str = "postgres";
/// The OS user the server runs as when the tests run as root.
const OS_USER: &str = "postgres";
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
const STALE_AFTER: Duration = Duration::from_secs(3600);
/// In a cluster's dir: the pid of the test process that started it.
const OWNER_FILE: &str = "owner.pid";

/// A Postgres server for tests: a local throwaway cluster, or the server of
/// `TEST_DATABASE_URL` (shared instance only).
pub struct TestPostgres {
    server: Server,
}

enum Server {
    Local(Cluster),
    External { url: String },
}

impl std::fmt::Debug for TestPostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.server {
            Server::Local(cluster) => f
                .debug_struct("TestPostgres")
                .field("port", &cluster.port)
                .field("dir", &cluster.root)
                .field("shared", &cluster.shared)
                .finish(),
            Server::External { url } => f
                .debug_struct("TestPostgres")
                .field("url", &redacted(url))
                .finish(),
        }
    }
}

/// A cluster this process started.
struct Cluster {
    /// Owned by the server's OS user: holds `data/`, the Unix socket and `server.log`.
    root: PathBuf,
    data: PathBuf,
    log: PathBuf,
    port: u16,
    run_as: Option<&'static str>,
    /// The watchdog of the running server; `None` while stopped.
    process: Mutex<Option<Child>>,
    /// The process-wide instance: never stopped, never removed by this process.
    shared: bool,
}

static SHARED: OnceLock<Result<TestPostgres, String>> = OnceLock::new();
static DATABASES: AtomicU64 = AtomicU64::new(0);

impl TestPostgres {
    /// The server every test of this process shares, started on first use: the one of
    /// `TEST_DATABASE_URL` if set, else a throwaway cluster. Panics (in every caller) if it
    /// cannot be started.
    pub fn shared() -> &'static TestPostgres {
        let shared = SHARED.get_or_init(|| match std::env::var(TEST_DATABASE_URL) {
            Ok(url) if !url.trim().is_empty() => TestPostgres::external(url.trim()),
            _ => Cluster::start(true).map(|cluster| TestPostgres {
                server: Server::Local(cluster),
            }),
        });
        match shared {
            Ok(server) => server,
            Err(message) => panic!("{message}"),
        }
    }

    /// A private cluster (always local, whatever `TEST_DATABASE_URL` says), for tests that
    /// stop and restart the server. Dropping it stops the server and removes its directory.
    pub fn start() -> TestPostgres {
        match Cluster::start(false) {
            Ok(cluster) => TestPostgres {
                server: Server::Local(cluster),
            },
            Err(message) => panic!("{message}"),
        }
    }

    fn external(url: &str) -> Result<TestPostgres, String> {
        let server = TestPostgres {
            server: Server::External {
                url: url.to_owned(),
            },
        };
        server
            .psql("SELECT 1")
            .map_err(|e| format!("{TEST_DATABASE_URL}={} is not usable: {e}", redacted(url)))?;
        Ok(server)
    }

    /// The URL of a newly created, empty database on this server, named after `name_hint`
    /// (sanitized to `[a-z0-9_]`) and unique to this call.
    pub fn fresh_database(&self, name_hint: &str) -> String {
        // Copying template1's files takes half the time of WAL-logging them (the default)
        // when fsync is off; on someone else's server, leave the choice to Postgres.
        let strategy = match self.server {
            Server::Local(_) => " STRATEGY = FILE_COPY",
            Server::External { .. } => "",
        };
        let mut last_error = String::new();
        for _ in 0..10 {
            let name = database_name(name_hint);
            match self.psql(&format!("CREATE DATABASE \"{name}\"{strategy}")) {
                Ok(()) => return self.database_url(&name),
                // A database of an earlier run on an external server, same pid: next number.
                Err(e) if e.contains("already exists") => last_error = e,
                Err(e) => panic!("cannot create database {name}: {e}"),
            }
        }
        panic!("cannot create a fresh database for {name_hint:?}: {last_error}")
    }

    /// The URL of the server's maintenance database (`postgres` on a local cluster).
    pub fn admin_url(&self) -> String {
        match &self.server {
            Server::Local(cluster) => cluster.url("postgres"),
            Server::External { url } => url.clone(),
        }
    }

    /// The port of a local cluster; `None` for an external server.
    pub fn port(&self) -> Option<u16> {
        match &self.server {
            Server::Local(cluster) => Some(cluster.port),
            Server::External { .. } => None,
        }
    }

    /// The server log of a local cluster.
    pub fn log_file(&self) -> Option<&Path> {
        match &self.server {
            Server::Local(cluster) => Some(&cluster.log),
            Server::External { .. } => None,
        }
    }

    /// Stops the server (fast shutdown: open connections are cut) and waits until it is
    /// gone. Only for instances from [`TestPostgres::start`]. A no-op if already stopped.
    pub fn stop(&self) {
        let cluster = self.private_cluster("stop");
        let mut process = cluster.lock();
        if let Err(e) = cluster.stop(&mut process) {
            panic!("{e}");
        }
    }

    /// Starts a stopped server again on the same port and data, and waits until it accepts
    /// connections. A no-op if it is running.
    pub fn start_again(&self) {
        let cluster = self.private_cluster("start_again");
        let mut process = cluster.lock();
        if let Some(child) = process.as_mut() {
            if matches!(child.try_wait(), Ok(None)) {
                return;
            }
        }
        *process = None;
        if let Err(e) = cluster.launch(&mut process) {
            panic!("{e}");
        }
    }

    /// [`stop`](Self::stop), then [`start_again`](Self::start_again).
    pub fn restart(&self) {
        self.stop();
        self.start_again();
    }

    fn private_cluster(&self, what: &str) -> &Cluster {
        match &self.server {
            Server::Local(cluster) if !cluster.shared => cluster,
            _ => panic!(
                "TestPostgres::{what} is only for a private server from TestPostgres::start(): \
                 the shared one serves every other test"
            ),
        }
    }

    fn database_url(&self, name: &str) -> String {
        match &self.server {
            Server::Local(cluster) => cluster.url(name),
            Server::External { url } => with_database(url, name),
        }
    }

    /// Runs `sql` in the database at `database_url` (one of [`fresh_database`]'s): for tests
    /// that set up more rows than the service's own calls could write quickly.
    ///
    /// [`fresh_database`]: TestPostgres::fresh_database
    pub fn execute(&self, database_url: &str, sql: &str) {
        let mut command = Command::new(psql_program());
        command
            .args([
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                database_url,
                "-c",
                sql,
            ])
            .env("PGCONNECT_TIMEOUT", "10");
        match run(&mut command, COMMAND_TIMEOUT) {
            Ok(output) if output.status.success() => {}
            Ok(output) => panic!("psql -c {sql:?} failed: {}", describe(&output)),
            Err(e) => panic!("psql -c {sql:?}: {e}"),
        }
    }

    /// Runs one SQL statement as the superuser (or the `TEST_DATABASE_URL` user).
    fn psql(&self, sql: &str) -> Result<(), String> {
        let mut command = Command::new(psql_program());
        command
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .env("PGCONNECT_TIMEOUT", "10");
        match &self.server {
            Server::Local(cluster) => {
                let port = cluster.port.to_string();
                command.args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port,
                    "-U",
                    SUPERUSER,
                    "-d",
                    "postgres",
                ]);
            }
            Server::External { url } => {
                command.args(["-d", url]);
            }
        }
        command.args(["-c", sql]);
        let output = run(&mut command, COMMAND_TIMEOUT)?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!("psql -c {sql:?} failed: {}", describe(&output)))
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let Server::Local(cluster) = &self.server else {
            return;
        };
        if cluster.shared {
            return;
        }
        let mut process = cluster.lock();
        // Best effort: a panic in drop would abort a test that is already unwinding.
        let _ = cluster.stop(&mut process);
        if let Some(mut child) = process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        drop(process);
        let _ = std::fs::remove_dir_all(&cluster.root);
    }
}

impl Cluster {
    fn start(shared: bool) -> Result<Cluster, String> {
        for program in ["initdb", "postgres", "pg_ctl", "pg_isready", "psql"] {
            if !Path::new(PG_BIN).join(program).is_file() {
                return Err(MISSING_BINARIES.to_owned());
            }
        }
        sweep_stale_dirs();
        let run_as = if is_root() { Some(OS_USER) } else { None };
        let root = tempfile::Builder::new()
            .prefix(DIR_PREFIX)
            .tempdir()
            .map_err(|e| format!("cannot create a temp dir for Postgres: {e}"))?
            .keep();
        let mut cluster = Cluster {
            data: root.join("data"),
            log: root.join("server.log"),
            root,
            port: 0,
            run_as,
            process: Mutex::new(None),
            shared,
        };
        let started = std::fs::write(
            cluster.root.join(OWNER_FILE),
            std::process::id().to_string(),
        )
        .map_err(|e| format!("cannot write in {}: {e}", cluster.root.display()))
        .and_then(|()| cluster.init())
        .and_then(|()| cluster.launch_on_a_free_port());
        if let Err(e) = started {
            let _ = std::fs::remove_dir_all(&cluster.root);
            return Err(e);
        }
        Ok(cluster)
    }

    fn init(&self) -> Result<(), String> {
        if let Some(user) = self.run_as {
            let output = run(
                Command::new("chown").arg(user).arg(&self.root),
                COMMAND_TIMEOUT,
            )?;
            if !output.status.success() {
                return Err(format!(
                    "cannot chown {} to {user}: {}",
                    self.root.display(),
                    describe(&output)
                ));
            }
        }
        let data = path_str(&self.data)?;
        let output = run(
            &mut self.command(
                "initdb",
                &[
                    "-D",
                    data,
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    // Byte order for text, as SQLite; and no dependence on the host's locales.
                    "--locale=C",
                    "--no-sync",
                    "--no-instructions",
                ],
            ),
            COMMAND_TIMEOUT,
        )?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!("initdb -D {data} failed: {}", describe(&output)))
        }
    }

    /// The first start: a free port can be taken by someone else before the server binds
    /// it, so a bind failure is retried on another one.
    fn launch_on_a_free_port(&mut self) -> Result<(), String> {
        let mut last_error = String::new();
        for _ in 0..5 {
            self.port = free_port();
            let mut process = self.lock();
            match self.launch(&mut process) {
                Ok(()) => return Ok(()),
                Err(e) if e.contains("Address already in use") => last_error = e,
                Err(e) => return Err(e),
            }
        }
        Err(last_error)
    }

    /// Starts the server under the watchdog and waits until it accepts connections.
    fn launch(&self, process: &mut Option<Child>) -> Result<(), String> {
        let data = path_str(&self.data)?;
        let socket_dir = path_str(&self.root)?;
        let postgres = format!("{PG_BIN}/postgres");
        let port = self.port.to_string();
        // `exec` so that the watchdog's TERM reaches the postmaster itself.
        let script = format!("exec \"$@\" >>{} 2>&1", shell_quote(path_str(&self.log)?));
        let log_start = std::fs::metadata(&self.log).map(|m| m.len()).unwrap_or(0);
        #[rustfmt::skip]
        let args = [
            "-c", script.as_str(), "bash", postgres.as_str(),
            "-D", data, "-p", port.as_str(), "-k", socket_dir,
            "-c", "listen_addresses=127.0.0.1",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        ];
        let mut child = spawn_with_watchdog(self.run_as, "bash", &args);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "Postgres on port {port} exited during startup ({status}); its log ({}):\n{}",
                    self.log.display(),
                    read_from(&self.log, log_start)
                ));
            }
            if self.is_ready() && self.pid_file_says_ready() {
                *process = Some(child);
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = self.pg_ctl_stop();
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "Postgres on port {port} not ready after {READY_TIMEOUT:?}; its log ({}):\n{}",
                    self.log.display(),
                    read_from(&self.log, log_start)
                ));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn is_ready(&self) -> bool {
        let port = self.port.to_string();
        let mut command = Command::new(format!("{PG_BIN}/pg_isready"));
        command.args([
            "-q",
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            SUPERUSER,
            "-d",
            "postgres",
            "-t",
            "2",
        ]);
        run(&mut command, Duration::from_secs(5)).is_ok_and(|output| output.status.success())
    }

    /// Whether this cluster's postmaster (not one of another test process that took the port
    /// first) accepts connections on this port.
    fn pid_file_says_ready(&self) -> bool {
        let Ok(pid_file) = std::fs::read_to_string(self.data.join("postmaster.pid")) else {
            return false;
        };
        let lines: Vec<&str> = pid_file.lines().map(str::trim).collect();
        lines.get(3) == Some(&self.port.to_string().as_str()) && lines.get(7) == Some(&"ready")
    }

    fn stop(&self, process: &mut Option<Child>) -> Result<(), String> {
        let Some(mut child) = process.take() else {
            return Ok(());
        };
        if matches!(child.try_wait(), Ok(Some(_))) {
            return Ok(());
        }
        let stopped = self.pg_ctl_stop();
        // The watchdog ends with the server.
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        if matches!(child.try_wait(), Ok(None)) {
            let _ = child.kill();
            let _ = child.wait();
        }
        stopped
    }

    fn pg_ctl_stop(&self) -> Result<(), String> {
        let data = path_str(&self.data)?;
        let timeout = STOP_TIMEOUT.as_secs().to_string();
        let output = run(
            &mut self.command(
                "pg_ctl",
                &["stop", "-D", data, "-m", "fast", "-w", "-t", &timeout],
            ),
            STOP_TIMEOUT + Duration::from_secs(5),
        )?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "pg_ctl stop -D {data} failed: {}",
                describe(&output)
            ))
        }
    }

    /// A server binary, run as the server's OS user.
    fn command(&self, program: &str, args: &[&str]) -> Command {
        let program = format!("{PG_BIN}/{program}");
        let mut command = match self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--", &program]);
                command
            }
            None => Command::new(&program),
        };
        // The test's working directory may be closed to the server's user.
        command.args(args).current_dir(&self.root);
        command
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    fn lock(&self) -> MutexGuard<'_, Option<Child>> {
        // A test that panicked while holding the lock leaves a usable handle behind.
        self.process
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// `ciam_<hint>_<pid>_<n>`: at most 57 bytes, within Postgres' 63.
fn database_name(hint: &str) -> String {
    let hint: String = hint
        .chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '_'
            }
        })
        .take(30)
        .collect();
    let n = DATABASES.fetch_add(1, Ordering::Relaxed);
    format!("ciam_{hint}_{}_{n}", std::process::id())
}

/// `url` with its database replaced by `name`, keeping user, host, port and parameters.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority = before_query
        .split_once('/')
        .map_or(before_query, |(authority, _)| authority);
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

/// `url` without its password, for messages.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

fn psql_program() -> String {
    let bundled = format!("{PG_BIN}/psql");
    if Path::new(&bundled).is_file() {
        bundled
    } else {
        "psql".to_owned()
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// Removes the `ciam-testpg-*` dirs of test processes that ended (their watchdog stopped the
/// server; a static is never dropped, so nobody removed the dir): those whose server is not
/// running and whose owner process is gone, or that have been idle for an hour.
fn sweep_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(DIR_PREFIX) {
            continue;
        }
        let path = entry.path();
        let idle = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .is_some_and(|idle| idle > STALE_AFTER);
        let owner_gone = std::fs::read_to_string(path.join(OWNER_FILE))
            .ok()
            .and_then(|pid| pid.trim().parse::<u32>().ok())
            .is_some_and(|pid| !process_exists(pid));
        if (owner_gone || idle) && !server_running(&path.join("data")) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

fn server_running(data: &Path) -> bool {
    let Ok(pid_file) = std::fs::read_to_string(data.join("postmaster.pid")) else {
        return false;
    };
    pid_file
        .lines()
        .next()
        .and_then(|pid| pid.trim().parse::<u32>().ok())
        .is_some_and(process_exists)
}

fn process_exists(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Runs `command` to completion, killing it after `limit`.
fn run(command: &mut Command, limit: Duration) -> Result<Output, String> {
    let name = format!("{:?}", command.get_program());
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {name}: {e}"))?;
    // Drain the pipes while waiting, so a chatty command cannot block on a full pipe.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{name} did not finish within {limit:?}"));
            }
            Err(e) => return Err(format!("cannot wait for {name}: {e}")),
        }
    };
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut buf);
        }
        buf
    })
}

fn describe(output: &Output) -> String {
    format!(
        "{}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn read_from(path: &Path, offset: u64) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let start = usize::try_from(offset).unwrap_or(0).min(text.len());
    String::from_utf8_lossy(&text[start..]).into_owned()
}

fn path_str(path: &Path) -> Result<&str, String> {
    path.to_str()
        .ok_or_else(|| format!("not UTF-8: {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_sanitized_and_unique() {
        let a = database_name("Rotation race: 8 threads!");
        let b = database_name("Rotation race: 8 threads!");
        assert_ne!(a, b);
        assert!(a.starts_with("ciam_rotation_race__8_threads__"), "{a}");
        assert!(a
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
        assert!(database_name(&"x".repeat(200)).len() <= 63);
    }

    #[test]
    fn external_urls_keep_everything_but_the_database() {
        assert_eq!(
            with_database("postgres://u@h:5432/db", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "t1"),
            "postgresql://u:p@h/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h?x=1", "t1"),
            "postgres://u@h/t1?x=1"
        );
    }

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redacted("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redacted("postgres://u@h/db"), "postgres://u@h/db");
    }
}
