//! Hostile clients against the built binary on the embedded default: they must neither
//! starve the server nor hold its connections (issue 13).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::server::{ciam_json, Server};

fn serve() -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), &[]);
    (server, dir)
}

fn address(server: &Server) -> String {
    server.base_url.trim_start_matches("http://").to_owned()
}

/// Sends the headers of a form POST declaring `declared` body bytes, and `sent` of them.
fn open_slow_body(server: &Server, declared: usize, sent: usize) -> TcpStream {
    let mut stream = TcpStream::connect(address(server)).expect("connect");
    let head = format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: ciam\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("headers");
    stream.write_all(&vec![b'a'; sent]).expect("body start");
    stream
}

/// Everything the server sends until it closes the connection, or `None` if it has not
/// closed it by `deadline`.
fn answer_until_closed(stream: &mut TcpStream, deadline: Instant) -> Option<String> {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        stream.set_read_timeout(Some(left)).expect("timeout");
        match stream.read(&mut buf) {
            Ok(0) => return Some(String::from_utf8_lossy(&answer).into_owned()),
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Some(String::from_utf8_lossy(&answer).into_owned())
            }
            Err(_) => return None,
        }
    }
}

/// A public client that may use the password grant, and a user `alice`, on a server.
fn serve_with_a_user() -> (Server, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let client = ciam_json(
        dir.path(),
        &[],
        &[
            "client",
            "create",
            "--name",
            "spa",
            "--public",
            "--grant-type",
            "password",
        ],
        "",
    );
    ciam_json(
        dir.path(),
        &[],
        &["user", "create", "--username", "alice", "--password-stdin"],
        "correct horse battery\n",
    );
    // Two hashing threads, as on this project's 2-core machines, whatever this machine
    // has: the memory bound below is two hashes' worth, not one per CPU.
    let server = Server::start(dir.path(), &[("CIAM_PASSWORD_HASH_CONCURRENCY", "2")]);
    let client_id = client["client_id"].as_str().expect("client_id").to_owned();
    (server, dir, client_id)
}

fn password_grant(server: &Server, client_id: &str, password: &str) -> (u16, Option<String>) {
    let response = ureq::post(&server.url("/oauth2/token"))
        .timeout(Duration::from_secs(30))
        .send_form(&[
            ("grant_type", "password"),
            ("client_id", client_id),
            ("username", "alice"),
            ("password", password),
        ]);
    match response {
        Ok(r) => (r.status(), None),
        Err(ureq::Error::Status(status, r)) => (status, r.header("retry-after").map(str::to_owned)),
        Err(e) => panic!("transport error: {e}"),
    }
}

/// The peak resident memory of a process, in KiB (`VmHWM`).
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// Issue 13, defect 4: 64 concurrent password grants took the server to 1 GiB.
#[test]
fn concurrent_password_grants_stay_within_bounded_memory() {
    const CONCURRENT: usize = 64;
    let (server, _dir, client_id) = serve_with_a_user();
    let server = std::sync::Arc::new(server);
    let before = peak_rss_kib(server.pid());
    let threads: Vec<_> = (0..CONCURRENT)
        .map(|_| {
            let (server, client_id) = (server.clone(), client_id.clone());
            std::thread::spawn(move || password_grant(&server, &client_id, "correct horse battery"))
        })
        .collect();
    let answers: Vec<(u16, Option<String>)> = threads
        .into_iter()
        .map(|t| t.join().expect("joined"))
        .collect();
    let peak_mib = peak_rss_kib(server.pid()) / 1024;
    let ok = answers.iter().filter(|(status, _)| *status == 200).count();
    eprintln!(
        "{CONCURRENT} concurrent password grants: {ok} answered 200; peak resident {peak_mib} MiB (from {} MiB)",
        before / 1024
    );
    assert!(
        answers
            .iter()
            .all(|(status, retry)| *status == 200 || (*status == 503 && retry.is_some())),
        "only 200, or 503 with Retry-After when hashing is saturated: {answers:?}"
    );
    assert!(
        ok >= CONCURRENT / 2,
        "most got through: {ok} of {CONCURRENT}"
    );
    assert!(
        peak_mib < 256,
        "peak resident memory {peak_mib} MiB (from {} MiB)",
        before / 1024
    );
}

/// Issue 13, defect 4: 200 wrong passwords in a row all got 400, unthrottled.
#[test]
fn repeated_wrong_passwords_are_throttled_with_429_and_retry_after() {
    let (server, _dir, client_id) = serve_with_a_user();
    let statuses: Vec<(u16, Option<String>)> = (0..8)
        .map(|_| password_grant(&server, &client_id, "a guess"))
        .collect();
    assert_eq!(
        statuses.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [400, 400, 400, 400, 400, 400, 429, 429],
        "five free failures, the sixth starts the back-off"
    );
    let retry_after: u64 = statuses[6]
        .1
        .as_deref()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(retry_after >= 1);
    assert_eq!(
        password_grant(&server, &client_id, "correct horse battery").0,
        429,
        "while blocked, even the right password waits"
    );
    std::thread::sleep(Duration::from_secs(retry_after + 1));
    assert_eq!(
        password_grant(&server, &client_id, "correct horse battery").0,
        200
    );
}

#[test]
fn a_body_that_never_completes_is_408_and_closed() {
    let (server, _dir) = serve();
    let started = Instant::now();
    let mut stream = open_slow_body(&server, 100, 20);
    let answer = answer_until_closed(&mut stream, started + Duration::from_secs(10))
        .expect("answered and closed within 10 s");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("invalid_request"), "{answer}");
    assert!(started.elapsed() >= ciam_http::BODY_DEADLINE);
}

#[test]
fn trickled_bodies_are_cut_off_and_the_server_keeps_answering() {
    const CONNECTIONS: usize = 200;
    let (server, _dir) = serve();
    let started = Instant::now();
    let mut streams: Vec<TcpStream> = (0..CONNECTIONS)
        .map(|_| open_slow_body(&server, 10_000, 1))
        .collect();
    // One more byte a second on every connection, as a slowloris client sends.
    let trickle_until = started + ciam_http::BODY_DEADLINE + Duration::from_secs(2);
    while Instant::now() < trickle_until {
        std::thread::sleep(Duration::from_secs(1));
        for stream in &mut streams {
            let _ = stream.write_all(b"a");
        }
        let health = ureq::get(&server.url("/healthz"))
            .timeout(Duration::from_secs(2))
            .call();
        assert!(health.is_ok(), "the server answers others meanwhile");
    }
    let deadline = started + ciam_http::BODY_DEADLINE + Duration::from_secs(5);
    for (i, stream) in streams.iter_mut().enumerate() {
        let answer = answer_until_closed(stream, deadline)
            .unwrap_or_else(|| panic!("connection {i} still open after {:?}", started.elapsed()));
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "connection {i}: {answer}"
        );
    }
}
