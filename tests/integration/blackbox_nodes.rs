//! Several `ciam serve` processes, as a newcomer starts them: on one empty Postgres database
//! they all come up together (the migrations take turns); on the embedded SQLite file the
//! second is refused, saying why, while the first goes on serving.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use ciam_testkit::postgres::TestPostgres;

use crate::support::server::{ciam, Server, BINARY};

fn readyz(server: &Server) -> u16 {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    match agent.get(&server.url("/readyz")).call() {
        Ok(response) => response.status(),
        Err(ureq::Error::Status(status, _)) => status,
        Err(error) => panic!("{}: {error}", server.url("/readyz")),
    }
}

#[test]
fn nodes_started_together_on_an_empty_postgres_database_all_come_up() {
    const NODES: usize = 4;
    let url = TestPostgres::shared().fresh_database("nodes_together");
    let start = Arc::new(Barrier::new(NODES));
    let nodes: Vec<_> = (0..NODES)
        .map(|_| {
            let (url, start) = (url.clone(), Arc::clone(&start));
            thread::spawn(move || {
                let dir = tempfile::tempdir().expect("temp dir");
                start.wait();
                // Panics, with the node's log, unless it is healthy within 30 s.
                let server = Server::start(dir.path(), &[("CIAM_DATABASE_URL", url.as_str())]);
                (server, dir)
            })
        })
        .collect();
    let servers: Vec<_> = nodes
        .into_iter()
        .map(|node| {
            node.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
        .collect();
    for (server, _dir) in &servers {
        let log = std::fs::read_to_string(server.dir.join("serve.log")).unwrap_or_default();
        assert_eq!(readyz(server), 200, "{}: its log:\n{log}", server.base_url);
        assert!(
            !log.contains("could not migrate"),
            "{}: its log:\n{log}",
            server.base_url
        );
    }
}

#[test]
fn a_second_server_on_the_same_sqlite_file_is_refused_and_the_first_keeps_serving() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut first = Server::start(dir.path(), &[]);

    let listen = format!("127.0.0.1:{}", ciam_testkit::free_port());
    let mut second = Command::new(BINARY)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CIAM_LISTEN", &listen)
        .arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the second ciam serve starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = second.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = second.kill();
            let _ = second.wait();
            panic!("a second ciam serve on the same SQLite file was still running after 30 s");
        }
        thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    second
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr read");
    assert!(!status.success(), "{status}: {stderr}");
    for expected in [
        "ciam.db",
        "ciam.db.lock",
        "already served",
        &format!("process {}", first.pid()),
        "Postgres",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in: {stderr}");
    }

    assert_eq!(readyz(&first), 200, "the first server goes on serving");
    // Short-lived commands still work beside the server.
    let created = ciam(
        dir.path(),
        &[],
        &["user", "create", "--username", "alice", "--password-stdin"],
        "correct horse battery\n",
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );

    // Once the first has stopped, the file may be served again.
    assert!(
        first.terminate(Duration::from_secs(30)).is_some(),
        "the first server did not stop"
    );
    let next = Server::start(dir.path(), &[]);
    assert_eq!(readyz(&next), 200);
}
