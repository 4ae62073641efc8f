//! The built `ciam` binary: CLI runs, and a server process on a free loopback port.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BINARY: &str = env!("CARGO_BIN_EXE_ciam");

/// POSTs a form to a server of these tests; returns the status and the body as JSON (`Null`
/// when empty). Panics on anything but an HTTP answer, or a body that is not JSON.
pub fn post_form(url: &str, pairs: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    let response = match agent.post(url).send_form(pairs) {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("{url}: {error}"),
    };
    let status = response.status();
    let body = response.into_string().expect("body");
    let json = if body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&body).expect("JSON body")
    };
    (status, json)
}

/// Runs `ciam args…` in `dir` with `env`, feeding `stdin`. Returns its output.
pub fn ciam(dir: &Path, env: &[(&str, &str)], args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BINARY)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ciam runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    child.wait_with_output().expect("ciam finishes")
}

/// Runs a `ciam` command that must succeed and print JSON (`client create`, `user create`),
/// and returns what it printed.
pub fn ciam_json(
    dir: &Path,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: &str,
) -> serde_json::Value {
    let output = ciam(dir, env, args, stdin);
    assert!(
        output.status.success(),
        "ciam {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("ciam prints JSON")
}

/// `ciam client create` of a confidential client that may use `client_credentials`: its id
/// and secret.
pub fn client_credentials_client(dir: &Path, env: &[(&str, &str)]) -> (String, String) {
    let client = ciam_json(
        dir,
        env,
        &[
            "client",
            "create",
            "--name",
            "rs",
            "--grant-type",
            "client_credentials",
        ],
        "",
    );
    let id = client["client_id"].as_str().expect("client_id");
    let secret = client["client_secret"].as_str().expect("client_secret");
    (id.to_owned(), secret.to_owned())
}

/// `ciam serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub base_url: String,
    pub dir: PathBuf,
}

impl Server {
    pub fn start(dir: &Path, env: &[(&str, &str)]) -> Server {
        let port = ciam_testkit::free_port();
        let listen = format!("127.0.0.1:{port}");
        let log = std::fs::File::create(dir.join("serve.log")).expect("log file");
        let child = Command::new(BINARY)
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CIAM_LISTEN", &listen)
            .envs(env.iter().copied())
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("ciam serve starts");
        let mut server = Server {
            child,
            base_url: format!("http://{listen}"),
            dir: dir.to_owned(),
        };
        server.wait_healthy();
        server
    }

    /// Waits until `/healthz` answers; panics with the server's log if it has not within
    /// 30 s, or as soon as the process has exited.
    fn wait_healthy(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        while Instant::now() < deadline {
            if agent
                .get(&format!("{}/healthz", self.base_url))
                .call()
                .is_ok()
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.dir.join("serve.log")).unwrap_or_default();
                panic!("ciam serve exited ({status}) instead of serving; its log:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(self.dir.join("serve.log")).unwrap_or_default();
        panic!("ciam serve did not become healthy within 30 s; its log:\n{log}");
    }

    /// Sends SIGTERM, as an orchestrator stopping the server does, and waits (at most
    /// `within`) for the process to exit. `None` if it did not.
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The server's process id, to read its resource use from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
