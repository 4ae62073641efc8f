//! DirectoryMailer writes messages a mail parser reads back as sent.

use std::fs;

use ciam_domain::ports::Mailer;
use ciam_domain::{MailError, MailMessage};
use ciam_mail::DirectoryMailer;
use mailparse::MailHeaderMap;

fn message(to: &str, subject: &str, body: &str) -> MailMessage {
    MailMessage::new(to, subject, body).expect("a valid message")
}

#[test]
fn each_message_is_one_parseable_eml_file_with_crlf_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mailer = DirectoryMailer::new(dir.path().join("mail"), "ciam <no-reply@example.com>")
        .expect("mailer");
    let body = "Hello Ålice,\n\nreset your password: https://id.example.com/reset?t=abc\n";
    mailer
        .send(&message(
            "alice@example.com",
            "Réinitialiser le mot de passe",
            body,
        ))
        .expect("sent");
    mailer
        .send(&message("bob@example.org", "Second", "two"))
        .expect("sent");

    let mut names: Vec<String> = fs::read_dir(mailer.dir())
        .expect("listed")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names.iter().all(|name| name.ends_with(".eml")),
        "no temporary left: {names:?}"
    );

    let raw = fs::read(mailer.dir().join(&names[0])).expect("read");
    let text = String::from_utf8(raw.clone()).expect("ASCII on the wire");
    assert!(text.contains("\r\n"), "CRLF");
    assert!(!text.replace("\r\n", "").contains('\n'), "no bare LF");
    let parsed = mailparse::parse_mail(&raw).expect("parseable");
    let headers = parsed.get_headers();
    let header = |name: &str| headers.get_first_value(name).unwrap_or_default();
    assert_eq!(header("To"), "alice@example.com");
    assert_eq!(header("From"), "ciam <no-reply@example.com>");
    assert_eq!(header("Subject"), "Réinitialiser le mot de passe");
    let date = mailparse::dateparse(&header("Date")).expect("an RFC 5322 date");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    assert!((now - date).abs() < 60, "date {date} vs now {now}");
    let id = header("Message-ID");
    assert!(id.starts_with('<') && id.ends_with("@example.com>"), "{id}");
    assert_eq!(id.len(), "<@example.com>".len() + 32, "{id}");
    assert!(
        header("Content-Type").starts_with("text/plain"),
        "{}",
        header("Content-Type")
    );
    assert_eq!(parsed.get_body().expect("body").replace("\r\n", "\n"), body);

    let second = fs::read(mailer.dir().join(&names[1])).expect("read");
    let second = mailparse::parse_mail(&second).expect("parseable");
    assert_eq!(
        second.get_headers().get_first_value("To").as_deref(),
        Some("bob@example.org")
    );
    assert_ne!(
        second.get_headers().get_first_value("Message-ID"),
        Some(id),
        "unique ids"
    );
}

#[test]
fn a_directory_that_went_away_is_unavailable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("mail");
    let mailer = DirectoryMailer::new(&path, "no-reply@example.com").expect("mailer");
    fs::remove_dir(&path).expect("removed");
    fs::write(&path, "a file where the directory was").expect("written");
    let sent = mailer.send(&message("alice@example.com", "Hi", "body"));
    assert!(
        matches!(sent, Err(MailError::Unavailable { .. })),
        "{sent:?}"
    );
}

#[test]
fn a_bad_from_address_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(DirectoryMailer::new(dir.path(), "not an address").is_err());
}
