//! The browser harness on a real page: a sign-in form served over loopback by a
//! `TcpListener` (no web framework), filled and submitted in headless Chromium.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use ciam_testkit::browser::Browser;

const LOGIN_PAGE: &str = "<!doctype html><html><head><title>Sign in</title></head><body>\
    <h1>Sign in</h1>\
    <form method=\"post\" action=\"/login\">\
    <label>Username <input id=\"username\" name=\"username\" required></label>\
    <label>Password <input id=\"password\" name=\"password\" type=\"password\"></label>\
    <button type=\"submit\">Sign in</button>\
    </form></body></html>";

/// Serves `GET /login` (the form), `POST /login` (sets an `HttpOnly; SameSite=Lax` session
/// cookie holding the username and answers 303 to `/welcome`) and `GET /welcome` (greets
/// the cookie's user). Returns `http://127.0.0.1:{port}`.
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    base
}

fn answer(mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone the stream"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let (mut length, mut cookie) = (0, String::new());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap_or((&line, ""));
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().unwrap_or(0),
            "cookie" => cookie = value.trim().to_owned(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let mut words = request_line.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let response = match (method, path) {
        ("GET", "/login") => page(LOGIN_PAGE),
        ("POST", "/login") => {
            let user = form_field(&String::from_utf8_lossy(&body), "username");
            format!(
                "HTTP/1.1 303 See Other\r\nLocation: /welcome\r\n\
                 Set-Cookie: session={user}; Path=/; HttpOnly; SameSite=Lax\r\n\
                 Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
        }
        ("GET", "/welcome") => {
            let user = cookie
                .split("; ")
                .find_map(|pair| pair.strip_prefix("session="))
                .unwrap_or("nobody");
            page(&format!(
                "<!doctype html><html><head><title>Welcome</title></head><body>\
                 <h1 id=\"greeting\" data-user=\"{user}\">Welcome, {user}</h1>\
                 <a id=\"again\" href=\"/login\">Sign in again</a></body></html>"
            ))
        }
        _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
    };
    let _ = stream.write_all(response.as_bytes());
}

fn page(html: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{html}",
        html.len()
    )
}

/// The field `name` of an `application/x-www-form-urlencoded` body (ASCII only, enough for
/// this test's values).
fn form_field(body: &str, name: &str) -> String {
    let raw = body
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or("");
    let bytes = raw.replace('+', " ").into_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn panic_message(result: std::thread::Result<()>) -> String {
    let payload = result.expect_err("the call panics");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn a_form_is_filled_submitted_and_its_cookie_and_page_are_seen() {
    let started = Instant::now();
    let base = serve();
    let browser = Browser::start();
    eprintln!("browser started in {:?}", started.elapsed());

    browser.goto(&format!("{base}/login"));
    assert_eq!(browser.title(), "Sign in");
    assert_eq!(browser.current_url(), format!("{base}/login"));
    assert_eq!(
        browser.attribute("#password", "type").as_deref(),
        Some("password")
    );
    assert_eq!(browser.attribute("#password", "placeholder"), None);
    assert!(browser.exists("form") && !browser.exists("#greeting"));

    // Sign in with the button: the POST answers 303, the browser follows it.
    browser.fill("#username", "alice");
    browser.fill("#password", "correct horse battery");
    browser.click("button[type=submit]");
    assert_eq!(browser.current_url(), format!("{base}/welcome"));
    assert_eq!(browser.title(), "Welcome");
    assert_eq!(browser.text("#greeting"), "Welcome, alice");
    assert_eq!(
        browser.attribute("#greeting", "data-user").as_deref(),
        Some("alice")
    );
    assert!(browser.page_source().contains("Sign in again"));

    let session = browser.cookie("session").expect("the session cookie");
    assert_eq!(session.value, "alice");
    assert!(session.http_only, "{session:?}");
    assert_eq!(session.same_site.as_deref(), Some("Lax"), "{session:?}");
    assert_eq!(session.path, "/");
    assert!(!session.secure);
    assert_eq!(session.expiry, None, "a session cookie");

    // The screenshot is a PNG of the window.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shots/welcome.png");
    browser.screenshot(&path);
    let png = std::fs::read(&path).expect("the screenshot file");
    assert!(png.len() > 1000, "{} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    // A link, then the form submitted without its button; `fill` replaces what was typed.
    browser.click("#again");
    assert_eq!(browser.current_url(), format!("{base}/login"));
    browser.fill("#username", "someone else");
    browser.fill("#username", "bob");
    browser.submit_form("#username");
    assert_eq!(browser.text("h1"), "Welcome, bob");

    // A click that leads nowhere returns once the page is still complete.
    browser.click("h1");
    assert_eq!(browser.current_url(), format!("{base}/welcome"));

    // A missing element fails the test, saying where and what the page was.
    let message = panic_message(catch_unwind(AssertUnwindSafe(|| {
        browser.text("#no-such-thing");
    })));
    assert!(message.contains("#no-such-thing"), "{message}");
    assert!(message.contains(&format!("{base}/welcome")), "{message}");
    assert!(message.contains("Welcome, bob"), "{message}");

    // A submission the form's validation stops (a required field is empty) stays put.
    browser.goto(&format!("{base}/login"));
    browser.submit_form("form");
    assert_eq!(browser.current_url(), format!("{base}/login"));

    // Another browser has a profile of its own: no cookie of the first.
    let other = Browser::start();
    other.goto(&format!("{base}/welcome"));
    assert_eq!(other.text("h1"), "Welcome, nobody");
    assert!(other.cookies().is_empty());
    drop(other);

    browser.delete_all_cookies();
    assert!(browser.cookies().is_empty());
    browser.goto(&format!("{base}/welcome"));
    assert_eq!(browser.text("h1"), "Welcome, nobody");
    eprintln!("whole test in {:?}", started.elapsed());
}
