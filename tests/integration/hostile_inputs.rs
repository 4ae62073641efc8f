//! Arbitrary strings and bytes in every field of every endpoint, on both backends (issue 9):
//! never a 5xx, the server stays ready, and a live token stays live. A NUL in a `client_id`
//! or a username used to reach Postgres, which refuses such text, and came back as 503.
//!
//! Cases are drawn with proptest's generators (a new seed each run, so runs explore further
//! over time); each failure prints the request that caused it.

use actix_web::http::header;
use actix_web::test::TestRequest;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use crate::support::{Kind, TestApp, TestClient};

/// Requests per endpoint and backend.
const CASES: usize = 96;

/// Strings made to hurt: any Unicode, the characters behind past bugs (NUL, bidi override,
/// BOM, CR/LF), form metacharacters, and long runs.
fn hostile_string() -> impl Strategy<Value = String> {
    let nasty = prop_oneof![
        Just('\0'),
        Just('\u{202e}'),
        Just('\u{feff}'),
        Just('\r'),
        Just('\n'),
        Just('%'),
        Just('&'),
        Just('='),
        Just('+'),
        Just(':'),
        any::<char>(),
    ];
    prop_oneof![
        any::<String>(),
        vec(nasty, 0..40).prop_map(|chars| chars.into_iter().collect()),
        (any::<char>(), 0..6_000usize).prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
    ]
}

/// A field that is sometimes the real value (so deeper code runs), sometimes hostile,
/// sometimes absent.
fn field(real: Option<String>) -> impl Strategy<Value = Option<String>> {
    let real = Just(real);
    prop_oneof![
        2 => real,
        3 => hostile_string().prop_map(Some),
        1 => Just(None),
    ]
}

#[derive(Debug)]
struct Case {
    path: &'static str,
    pairs: Vec<(&'static str, String)>,
    /// An `Authorization` header value, as bytes.
    authorization: Option<Vec<u8>>,
    /// When set, sent instead of the form: arbitrary bytes as the body.
    raw_body: Option<Vec<u8>>,
}

/// The parameters of an authorization request (RFC 6749 §4.1.1, OpenID Connect Core
/// §3.1.2.1), sent to the authorization endpoint and carried by the login form.
const AUTHORIZATION_PARAMS: [&str; 11] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
    "max_age",
    "login_hint",
];

/// `expendable` is a real token the cases may revoke; `web` a client with a redirect URI.
fn case(
    path: &'static str,
    client: &TestClient,
    web: &TestClient,
    expendable: &str,
) -> impl Strategy<Value = Case> {
    let names: Vec<&'static str> = match path {
        "/oauth2/token" => vec![
            "grant_type",
            "client_id",
            "client_secret",
            "username",
            "password",
            "refresh_token",
            "scope",
            "code",
            "redirect_uri",
            "code_verifier",
        ],
        "/oauth2/authorize" => AUTHORIZATION_PARAMS.to_vec(),
        "/oauth2/login" => {
            let mut names = AUTHORIZATION_PARAMS.to_vec();
            names.extend(["username", "password", "csrf"]);
            names
        }
        "/oauth2/logout" => vec![
            "client_id",
            "post_logout_redirect_uri",
            "state",
            "id_token_hint",
            "csrf",
        ],
        "/oauth2/userinfo" => vec![],
        _ => vec!["token", "token_type_hint", "client_id", "client_secret"],
    };
    let signs_in = matches!(
        path,
        "/oauth2/authorize" | "/oauth2/login" | "/oauth2/logout"
    );
    let real = |name: &str| -> Option<String> {
        match name {
            "client_id" if signs_in => Some(web.id.clone()),
            "client_id" => Some(client.id.clone()),
            "client_secret" => client.secret.clone(),
            "grant_type" => Some("password".into()),
            "username" => Some("alice".into()),
            "token" => Some(expendable.to_owned()),
            "response_type" => Some("code".into()),
            "redirect_uri" => Some(WEB_REDIRECT.into()),
            "code_challenge" => Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            "code_challenge_method" => Some("S256".into()),
            _ => None,
        }
    };
    let fields: Vec<_> = names.iter().map(|name| field(real(name))).collect();
    // UserInfo takes a Bearer token; the others a client's Basic credentials.
    let scheme = if path == "/oauth2/userinfo" {
        "Bearer"
    } else {
        "Basic"
    };
    let basic = prop_oneof![
        3 => Just(None),
        1 => vec(any::<u8>(), 0..80).prop_map(move |bytes| Some(
            format!("{scheme} {}", STANDARD.encode(bytes)).into_bytes()
        )),
        1 => hostile_string().prop_map(move |s| Some(format!("{scheme} {s}").into_bytes())),
    ];
    let raw = prop_oneof![4 => Just(None), 1 => vec(any::<u8>(), 0..2_000).prop_map(Some)];
    (fields, basic, raw).prop_map(move |(values, authorization, raw_body)| Case {
        path,
        pairs: names
            .iter()
            .zip(values)
            .filter_map(|(name, value)| value.map(|v| (*name, v)))
            .collect(),
        authorization,
        raw_body,
    })
}

async fn send(app: &TestApp, case: &Case) -> Option<u16> {
    let mut request = TestRequest::post()
        .uri(case.path)
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"));
    if let Some(value) = &case.authorization {
        // A value no client could send as a header (CR, LF, NUL) is not a request at all.
        let value = header::HeaderValue::from_bytes(value).ok()?;
        request = request.insert_header((header::AUTHORIZATION, value));
    }
    request = match &case.raw_body {
        Some(bytes) => request.set_payload(bytes.clone()),
        None => request.set_payload(
            serde_urlencoded::to_string(&case.pairs).expect("any string form-encodes"),
        ),
    };
    Some(app.request(request).await.status)
}

async fn nothing_hostile_answers_5xx(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    app.user("alice", "correct horse battery");
    let live = app.cc_token(&client).await;
    let expendable = app.cc_token(&client).await;
    let mut runner = TestRunner::default();
    let web = web_client(&app);
    let mut sent = 0;
    let paths = [
        "/oauth2/token",
        "/oauth2/revoke",
        "/oauth2/introspect",
        "/oauth2/authorize",
        "/oauth2/login",
        "/oauth2/logout",
        "/oauth2/userinfo",
    ];
    for path in paths {
        let strategy = case(path, &client, &web, &expendable);
        for _ in 0..CASES {
            let case = strategy.new_tree(&mut runner).expect("a case").current();
            let Some(status) = send(&app, &case).await else {
                continue;
            };
            sent += 1;
            assert!(
                (200..500).contains(&status),
                "{kind:?}: {status} for {case:?}"
            );
        }
    }
    assert!(
        sent >= paths.len() * CASES / 2,
        "most cases were sendable: {sent}"
    );
    assert_eq!(app.get("/readyz").await.status, 200, "still ready");
    assert!(
        app.is_active(&client, &live).await,
        "a live token stayed live"
    );
}

const WEB_REDIRECT: &str = "https://app.example/callback";

/// A public client of the authorization code grant, for the sign-in endpoints' real values.
fn web_client(app: &TestApp) -> TestClient {
    let (client, _) = app
        .services
        .clients
        .create_client(ciam_domain::NewClient {
            name: "web".into(),
            grant_types: vec![ciam_domain::GrantType::AuthorizationCode],
            scope: ciam_domain::Scope::parse("openid").expect("scope"),
            public: true,
            redirects: ciam_domain::Redirects {
                redirect_uris: vec![WEB_REDIRECT.into()],
                ..Default::default()
            },
        })
        .expect("client");
    TestClient {
        id: client.id.to_string(),
        secret: None,
    }
}

crate::on_every_backend!(nothing_hostile_answers_5xx);
