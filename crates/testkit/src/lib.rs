//! Real servers for tests: a throwaway Postgres cluster, `redis-server`, and a headless
//! Chromium driven through `chromedriver`, started on free loopback ports, isolated per test,
//! and stopped when the test process exits.
//!
//! `TEST_DATABASE_URL` / `TEST_REDIS_URL` point the tests at existing servers instead.
//! A server that cannot be started fails the test with a message saying what to install;
//! nothing is skipped.

pub mod browser;
pub mod postgres;
pub mod redis;
pub mod redis_cluster;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

/// This process's resident memory in KiB (`VmRSS`), or 0 where `/proc` does not say: what
/// the memory-per-entry examples measure before and after filling a structure.
pub fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

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
    watchdog(run_as, program, args, false)
}

/// [`spawn_with_watchdog`] for a program that starts processes of its own (`chromedriver`
/// starts Chromium and Chromium its renderers): the program leads a new process group
/// (`setsid`), and the watchdog signals the whole group when this test process exits or the
/// program does, so no child outlives it as an orphan.
pub fn spawn_group_with_watchdog(program: &str, args: &[&str]) -> Child {
    watchdog(None, program, args, true)
}

fn watchdog(run_as: Option<&str>, program: &str, args: &[&str], group: bool) -> Child {
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
    // A background job of a shell without job control is no group leader, so `setsid`
    // needs no fork: `$child` is the program's pid, its session id and its process group.
    let (command, target) = if group {
        (format!("setsid {command}"), "-- -$child")
    } else {
        (command, "$child")
    };
    let script = format!(
        "{command} & child=$!; \
         while kill -0 {parent} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done; \
         kill -TERM {target} 2>/dev/null; wait $child"
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

/// Whether `program` is a file in a directory of `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}
