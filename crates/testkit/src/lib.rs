//! Real servers for tests: a throwaway Postgres cluster and `redis-server`, started on free
//! loopback ports, isolated per test, and stopped when the test process exits.
//!
//! `TEST_DATABASE_URL` / `TEST_REDIS_URL` point the tests at existing servers instead.
//! A server that cannot be started fails the test with a message saying what to install;
//! nothing is skipped.

pub mod postgres;
pub mod redis;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

/// A loopback port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

/// Starts `program args…` (optionally as another user) under a watchdog shell that kills it
/// when this test process exits, however it exits: statics are never dropped, so a server
/// shared by every test in a binary cannot be stopped by a destructor.
pub fn spawn_with_watchdog(run_as: Option<&str>, program: &str, args: &[&str]) -> Child {
    let quoted: Vec<String> = std::iter::once(program)
        .chain(args.iter().copied())
        .map(shell_quote)
        .collect();
    let command = quoted.join(" ");
    let command = match run_as {
        Some(user) => format!("runuser -u {} -- {command}", shell_quote(user)),
        None => command,
    };
    let parent = std::process::id();
    let script = format!(
        "{command} & child=$!; \
         while kill -0 {parent} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done; \
         kill -TERM $child 2>/dev/null; wait $child"
    );
    Command::new("bash")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"))
}

pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}
