//! SmtpMailer against a real SMTP server on loopback: Debian's aiosmtpd (python3-aiosmtpd,
//! which scripts/test.sh installs), storing what it receives in a maildir with the envelope
//! as X-MailFrom and X-RcptTo headers. Plus a refused port and a server that never answers.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use ciam_domain::ports::Mailer;
use ciam_domain::{MailError, MailMessage};
use ciam_mail::{Security, SmtpConfig, SmtpMailer};
use mailparse::MailHeaderMap;

/// An aiosmtpd on a free loopback port, killed when dropped.
struct SmtpSink {
    child: Child,
    port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpSink {
    fn start() -> SmtpSink {
        let python = ["/usr/bin/python3", "python3"]
            .into_iter()
            .find(|python| {
                Command::new(python)
                    .args(["-c", "import aiosmtpd"])
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|status| status.success())
            })
            .expect("aiosmtpd: apt-get install python3-aiosmtpd (scripts/test.sh does)");
        let dir = tempfile::tempdir().expect("tempdir");
        let maildir = dir.path().join("maildir");
        let port = free_port();
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .spawn()
            .expect("aiosmtpd started");
        let sink = SmtpSink {
            child,
            port,
            maildir,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on {port}"
            );
            thread::sleep(Duration::from_millis(50));
        }
        sink
    }

    /// The messages delivered so far, waiting up to 5 s for `count` of them.
    fn received(&self, count: usize) -> Vec<Vec<u8>> {
        let new = self.maildir.join("new");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let files = files_in(&new);
            if files.len() >= count || Instant::now() > deadline {
                return files
                    .iter()
                    .map(|f| std::fs::read(f).expect("read"))
                    .collect();
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bound");
    listener.local_addr().expect("address").port()
}

fn config(url: &str, timeout: Duration) -> SmtpConfig {
    let mut config = SmtpConfig::from_url(url).expect("a valid URL");
    config.timeout = timeout;
    config
}

fn message() -> MailMessage {
    MailMessage::new(
        "alice@example.com",
        "Reset your password",
        "Follow https://id.example.com/reset?t=abc within the hour.\n",
    )
    .expect("valid")
}

#[test]
fn delivers_to_a_real_smtp_server_on_loopback() {
    let sink = SmtpSink::start();
    let url = format!("smtp://127.0.0.1:{}?tls=none", sink.port);
    let mailer = SmtpMailer::new(
        &config(&url, Duration::from_secs(5)),
        "ciam <no-reply@example.com>",
    )
    .expect("mailer");
    mailer.send(&message()).expect("accepted");

    let received = sink.received(1);
    assert_eq!(received.len(), 1);
    let parsed = mailparse::parse_mail(&received[0]).expect("parseable");
    let headers = parsed.get_headers();
    let header = |name: &str| headers.get_first_value(name).unwrap_or_default();
    // The envelope, as the server saw it (RFC 5321 MAIL FROM, RCPT TO).
    assert_eq!(header("X-MailFrom"), "no-reply@example.com");
    assert_eq!(header("X-RcptTo"), "alice@example.com");
    assert_eq!(header("To"), "alice@example.com");
    assert_eq!(header("From"), "ciam <no-reply@example.com>");
    assert_eq!(header("Subject"), "Reset your password");
    assert!(header("Message-ID").ends_with("@example.com>"));
    assert!(mailparse::dateparse(&header("Date")).is_ok());
    // Compared without trailing line breaks: the stored copy gains one at the end of DATA
    // (RFC 5321 §4.1.1.4's terminator), which no reader sees.
    assert_eq!(
        parsed.get_body().expect("body").trim_end(),
        "Follow https://id.example.com/reset?t=abc within the hour."
    );
}

#[test]
fn starttls_is_required_not_hoped_for() {
    // aiosmtpd here has no certificate, so offers no STARTTLS: a plain `smtp://` URL must
    // fail rather than send in the clear.
    let sink = SmtpSink::start();
    let url = format!("smtp://127.0.0.1:{}", sink.port);
    let config = config(&url, Duration::from_secs(5));
    assert_eq!(config.security, Security::StartTls);
    let mailer = SmtpMailer::new(&config, "no-reply@example.com").expect("mailer");
    let sent = mailer.send(&message());
    assert!(
        matches!(sent, Err(MailError::Unavailable { .. })),
        "{sent:?}"
    );
    thread::sleep(Duration::from_millis(200));
    assert!(sink.received(0).is_empty(), "nothing delivered");
}

#[test]
fn a_refused_connection_is_unavailable_at_once() {
    let port = free_port(); // bound and released: nobody listens there now
    let timeout = Duration::from_secs(3);
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let mailer = SmtpMailer::new(&config(&url, timeout), "no-reply@example.com").expect("mailer");
    let started = Instant::now();
    let sent = mailer.send(&message());
    assert!(
        matches!(sent, Err(MailError::Unavailable { .. })),
        "{sent:?}"
    );
    assert!(started.elapsed() < timeout, "{:?}", started.elapsed());
}

#[test]
fn a_server_that_never_answers_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bound");
    let port = listener.local_addr().expect("address").port();
    // Accepts and holds the connection, never greeting (RFC 5321 §4.5.3.2 has the client
    // give up; our bound is the configured timeout).
    thread::spawn(move || {
        let held: Vec<TcpStream> = listener.incoming().filter_map(Result::ok).collect();
        drop(held);
    });
    let timeout = Duration::from_millis(500);
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let mailer = SmtpMailer::new(&config(&url, timeout), "no-reply@example.com").expect("mailer");
    let started = Instant::now();
    let sent = mailer.send(&message());
    let elapsed = started.elapsed();
    assert!(
        matches!(sent, Err(MailError::Unavailable { .. })),
        "{sent:?}"
    );
    assert!(elapsed >= timeout && elapsed < timeout * 4, "{elapsed:?}");
}
