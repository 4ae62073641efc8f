//! Hostile clients against the built binary on the embedded default: they must neither
//! starve the server nor hold its connections (issue 13).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::server::Server;

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
