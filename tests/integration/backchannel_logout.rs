//! OpenID Connect Back-Channel Logout 1.0 through the real app and the real HTTP notifier:
//! signing out of ciam POSTs a signed logout token to each client of the session that
//! registered a back-channel logout URI, retried when the client does not answer 2xx.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use ciam_domain::{GrantType, NewClient, Redirects, Scope, SessionId};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};

use crate::on_every_backend;
use crate::support::app::{Kind, TestApp, ISSUER};

/// A client's back-channel endpoint on loopback: answers with `statuses` in turn (then 200)
/// and sends each request's body down the channel.
fn receiver(statuses: Vec<u16>) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let uri = format!(
        "http://{}/backchannel",
        listener.local_addr().expect("address")
    );
    let (bodies, received) = mpsc::channel();
    std::thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let status = statuses.next().unwrap_or(200);
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = bodies.send(String::from_utf8_lossy(&body).into_owned());
        }
    });
    (uri, received)
}

/// A session of alice, and a grant of the client `backchannel` born in it.
fn session_with_a_grant(app: &TestApp, backchannel: &str) -> (String, SessionId) {
    let (client, _) = app
        .services
        .clients
        .create_client(NewClient {
            name: "rp".into(),
            grant_types: vec![GrantType::AuthorizationCode],
            scope: Scope::parse("openid").expect("scope"),
            public: false,
            redirects: Redirects {
                redirect_uris: vec!["https://rp.example/cb".into()],
                backchannel_logout_uri: Some(backchannel.into()),
                ..Redirects::default()
            },
        })
        .expect("client");
    let user = app
        .services
        .accounts
        .create_user("alice", &ciam_domain::Secret::new("correct horse battery"))
        .expect("user");
    let (_, session) = app.services.sessions.start(&user, None).expect("session");
    let request = app
        .services
        .authorization
        .check(&ciam_domain::authorization::model::AuthorizationParams {
            response_type: Some("code".into()),
            client_id: Some(client.id.to_string()),
            redirect_uri: Some("https://rp.example/cb".into()),
            scope: Some("openid".into()),
            ..Default::default()
        })
        .expect("trusted");
    let code = app
        .services
        .authorization
        .issue_code(&request, &session)
        .expect("code");
    app.services
        .tokens
        .issue(
            &client,
            ciam_domain::GrantRequest::AuthorizationCode {
                code,
                redirect_uri: Some("https://rp.example/cb".into()),
                code_verifier: None,
            },
        )
        .expect("tokens");
    let session_id = session.id.clone();
    app.services
        .sessions
        .end(&session, &ciam_domain::Initiator::system())
        .expect("logout");
    (client.id.to_string(), session_id)
}

async fn a_logout_token_reaches_the_client_and_verifies(kind: Kind) {
    let app = TestApp::new(kind);
    let (uri, received) = receiver(vec![]);
    let (client_id, session_id) = session_with_a_grant(&app, &uri);
    let body = received
        .recv_timeout(Duration::from_secs(10))
        .expect("a logout token within seconds");
    let form: Vec<(String, String)> = serde_urlencoded::from_str(&body).expect("a form");
    let token = &form
        .iter()
        .find(|(name, _)| name == "logout_token")
        .expect("logout_token")
        .1;

    let header = decode_header(token).expect("a JWS");
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    let jwks: JwkSet = serde_json::from_value(app.get("/oauth2/jwks").await.json()).expect("JWKS");
    let jwk = jwks
        .find(header.kid.as_deref().expect("kid"))
        .expect("signed by a published key");
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[&client_id]);
    let claims: serde_json::Value = decode(
        token,
        &DecodingKey::from_jwk(jwk).expect("key"),
        &validation,
    )
    .expect("the signature, iss, aud and exp verify")
    .claims;
    assert_eq!(claims["sid"], session_id.as_str());
    assert!(claims["sub"].is_string() && claims["jti"].is_string());
    assert_eq!(
        claims["events"],
        serde_json::json!({ "http://schemas.openid.net/event/backchannel-logout": {} })
    );
    assert!(
        claims.get("nonce").is_none(),
        "§2.4: a logout token MUST NOT have a nonce"
    );
}

async fn a_client_that_fails_is_tried_again(kind: Kind) {
    let app = TestApp::new(kind);
    let (uri, received) = receiver(vec![503]);
    session_with_a_grant(&app, &uri);
    let first = received
        .recv_timeout(Duration::from_secs(10))
        .expect("first try");
    let second = received
        .recv_timeout(Duration::from_secs(10))
        .expect("a retry after the 503");
    assert_eq!(first, second, "the same token again");
}

on_every_backend!(
    a_logout_token_reaches_the_client_and_verifies,
    a_client_that_fails_is_tried_again,
);
