//! Arbitrary strings and bytes in every field of every endpoint, on both backends (issue 9):
//! never a 5xx, the server stays ready, and a live token stays live. A NUL in a `client_id`
//! or a username used to reach Postgres, which refuses such text, and came back as 503.
//!
//! The self-service endpoints (`/oauth2/password`, `/oauth2/password/reset`,
//! `/oauth2/password/reset/confirm`, `PATCH /oauth2/userinfo`) get hostile fields, bodies and
//! Bearer tokens, with alice's real token often enough to reach the domain.
//!
//! The admin API (`/admin/v1`) gets hostile ids in its paths, hostile list parameters,
//! hostile Bearer tokens, any method and any body (hostile JSON for the user and client
//! endpoints and key rotation), with a real admin token often enough to reach the domain.
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

/// `expendable` is a real token the cases may revoke; `web` a client with a redirect URI;
/// `user_token` alice's access token, which the password change may use (and end).
fn case(
    path: &'static str,
    client: &TestClient,
    web: &TestClient,
    expendable: &str,
    user_token: &str,
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
        "/oauth2/password" => vec!["current_password", "new_password", "keep_current_session"],
        "/oauth2/password/reset" => vec!["username"],
        "/oauth2/password/reset/confirm" => vec!["code", "new_password"],
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
            "current_password" => Some("correct horse battery".into()),
            "new_password" => Some("a brand new passphrase".into()),
            "keep_current_session" => Some("true".into()),
            _ => None,
        }
    };
    let fields: Vec<_> = names.iter().map(|name| field(real(name))).collect();
    // UserInfo and the password change take a Bearer token; the others a client's Basic
    // credentials (the reset endpoints none, which they ignore).
    let bearer = matches!(path, "/oauth2/userinfo" | "/oauth2/password");
    let scheme = if bearer { "Bearer" } else { "Basic" };
    let real_bearer = bearer.then(|| format!("Bearer {user_token}").into_bytes());
    let basic = prop_oneof![
        2 => Just(None),
        1 => Just(real_bearer),
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

/// The real ids the admin cases may use in place of a hostile one.
struct AdminIds {
    user_id: String,
    client_id: String,
    session_id: String,
    grant_id: String,
}

/// A request to the admin API: `path` already percent-encoded, so any string fits in it.
#[derive(Debug)]
struct AdminCase {
    method: &'static str,
    path: String,
    authorization: Option<Vec<u8>>,
    content_type: Option<&'static str>,
    body: Vec<u8>,
}

/// The admin API's paths with a hostile (or real) id, any method, a real admin token or a
/// hostile one or none, and any body.
fn admin_case(token: &str, ids: &AdminIds) -> impl Strategy<Value = AdminCase> {
    let AdminIds {
        user_id,
        client_id,
        session_id,
        grant_id,
    } = ids;
    // (what comes before the id, what comes after it, the real id).
    let t = |prefix: &str, suffix: &'static str, real: &str| {
        Just((prefix.to_owned(), suffix, real.to_owned()))
    };
    let sessions = format!("/admin/v1/users/{user_id}/sessions");
    let grants = format!("/admin/v1/users/{user_id}/grants");
    let templates = prop_oneof![
        t("/admin/v1/users/", "/revoke", user_id),
        t("/admin/v1/clients/", "/revoke", client_id),
        t("/admin/v1/users/", "", user_id),
        t("/admin/v1/users/", "/disable", user_id),
        t("/admin/v1/users/", "/enable", user_id),
        t("/admin/v1/users", "", ""),
        // The list's parameters, each hostile in turn.
        t("/admin/v1/users?q=", "&limit=3", "vic"),
        t("/admin/v1/users?after=", "", user_id),
        t("/admin/v1/users?limit=", "", "200"),
        // The audit trail's parameters, each hostile in turn.
        t("/admin/v1/audit?kind=", "", "revoke"),
        t("/admin/v1/audit?user=", "&limit=5", user_id),
        t("/admin/v1/audit?client=", "", client_id),
        t("/admin/v1/audit?since=", "&until=1", "0"),
        t("/admin/v1/audit?after=", "", "1"),
        t("/admin/v1/audit?limit=", "", "1000"),
        // Client management and key rotation.
        t("/admin/v1/clients/", "", client_id),
        t("/admin/v1/clients/", "/secret", client_id),
        t("/admin/v1/clients", "", ""),
        t("/admin/v1/clients?after=", "&limit=2", client_id),
        t("/admin/v1/clients?limit=", "", "200"),
        t("/admin/v1/keys/rotate", "", ""),
        // A user's sessions and grants: a hostile user, session or grant id, or parameter.
        t("/admin/v1/users/", "/sessions", user_id),
        t("/admin/v1/users/", "/grants", user_id),
        t(&format!("{sessions}/"), "", session_id),
        t(&format!("{grants}/"), "", grant_id),
        t("/admin/v1/users/", "/sessions/x", user_id),
        t("/admin/v1/users/", "/grants/x", user_id),
        t(&format!("{sessions}?after="), "", session_id),
        t(&format!("{grants}?limit="), "", "1000"),
    ];
    let method = prop_oneof![
        3 => Just("POST"),
        3 => Just("GET"),
        1 => Just("HEAD"),
        1 => Just("PUT"),
        1 => Just("PATCH"),
        1 => Just("DELETE"),
    ];
    let bearer = prop_oneof![
        3 => Just(Some(format!("Bearer {token}").into_bytes())),
        1 => Just(None),
        1 => hostile_string().prop_map(|s| Some(format!("Bearer {s}").into_bytes())),
        1 => vec(any::<u8>(), 0..80).prop_map(|b| Some([b"Bearer ".to_vec(), b].concat())),
    ];
    // Bodies the user endpoints read: JSON objects with hostile members, JSON of other
    // shapes, and bytes.
    let json_body = (hostile_string(), hostile_string()).prop_flat_map(|(a, b)| {
        prop_oneof![
            Just(serde_json::json!({"username": a, "password": b}).to_string()),
            Just(
                serde_json::json!({"username": a, "password": "correct horse battery", "email": b})
                    .to_string()
            ),
            Just(serde_json::json!({"name": a, "email": b, "email_verified": true}).to_string()),
            Just(serde_json::json!({"name": null, "email_verified": a}).to_string()),
            Just(
                serde_json::json!({"name": a, "grant_types": [b], "scope": a, "redirect_uris": [b]})
                    .to_string()
            ),
            Just(
                serde_json::json!({"name": "x", "grant_types": ["authorization_code"], "redirect_uris": [a, b], "backchannel_logout_uri": b})
                    .to_string()
            ),
            Just(serde_json::json!({"redirect_uris": [a, b]}).to_string()),
            Just(serde_json::json!({"alg": a}).to_string()),
            Just(serde_json::json!([a, b]).to_string()),
            Just(format!("{{\"username\": {a:?}")),
        ]
        .prop_map(String::into_bytes)
    });
    let body = prop_oneof![
        3 => Just(Vec::new()),
        2 => json_body,
        1 => vec(any::<u8>(), 0..2_000),
        1 => Just(vec![b'x'; 20_000]),
    ];
    let content_type = prop_oneof![
        2 => Just(Some("application/json")),
        1 => Just(Some("application/json; charset=utf-8")),
        1 => Just(Some("text/plain")),
        1 => Just(None),
    ];
    (
        templates,
        hostile_string(),
        any::<bool>(),
        method,
        bearer,
        (content_type, body),
    )
        .prop_map(
            |(
                (prefix, suffix, real),
                hostile,
                use_real,
                method,
                authorization,
                (content_type, body),
            )| {
                let id = if use_real { real } else { hostile };
                let encoded = serde_urlencoded::to_string([("v", id)]).expect("any string encodes");
                AdminCase {
                    method,
                    path: format!("{prefix}{}{suffix}", encoded.trim_start_matches("v=")),
                    authorization,
                    content_type,
                    body,
                }
            },
        )
}

async fn send_admin(app: &TestApp, case: &AdminCase) -> Option<u16> {
    // A URI over the `http` crate's 64 KiB is refused by actix before any route: not ours.
    actix_web::http::Uri::try_from(case.path.as_str()).ok()?;
    let mut request = TestRequest::default()
        .method(case.method.parse().expect("a method"))
        .uri(&case.path)
        .set_payload(case.body.clone());
    if let Some(value) = &case.authorization {
        let value = header::HeaderValue::from_bytes(value).ok()?;
        request = request.insert_header((header::AUTHORIZATION, value));
    }
    if let Some(content_type) = case.content_type {
        request = request.insert_header((header::CONTENT_TYPE, content_type));
    }
    Some(app.request(request).await.status)
}

/// The admin API's cases on `app`: never a 5xx. Returns how many were sendable.
async fn admin_api_answers_no_5xx(app: &TestApp, kind: Kind, runner: &mut TestRunner) -> usize {
    let admin = app
        .services
        .clients
        .create_client(ciam_domain::NewClient {
            name: "admin".into(),
            grant_types: vec![ciam_domain::GrantType::ClientCredentials],
            scope: ciam_domain::Scope::parse(ciam_domain::ADMIN_SCOPE).expect("scope"),
            public: false,
            redirects: Default::default(),
        })
        .expect("client");
    let admin = TestClient {
        id: admin.0.id.to_string(),
        secret: admin.1.map(|s| s.expose().to_owned()),
    };
    let token = app.cc_token(&admin).await;
    // Real targets the cases may revoke: never the client whose live token is checked.
    let victim = app.confidential();
    app.user("victim", "correct horse battery");
    let victim_user = app
        .services
        .accounts
        .find_user_by_username("victim")
        .expect("read")
        .expect("victim")
        .id
        .to_string();
    // A session and a grant of the victim, for the cases to list and end.
    let victim_record = app
        .services
        .accounts
        .find_user_by_username("victim")
        .expect("read")
        .expect("victim");
    let (_, session) = app
        .services
        .sessions
        .start(&victim_record, None)
        .expect("session");
    let tokens = app
        .post(
            "/oauth2/token",
            crate::support::http::Auth::Post(&victim),
            &[
                ("grant_type", "password"),
                ("username", "victim"),
                ("password", "correct horse battery"),
            ],
        )
        .await
        .json();
    let access = tokens["access_token"].as_str().expect("access token");
    let claims = access.split('.').nth(1).expect("a JWT");
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, claims)
            .expect("base64url"),
    )
    .expect("JSON");
    let ids = AdminIds {
        user_id: victim_user,
        client_id: victim.id.clone(),
        session_id: session.id.to_string(),
        grant_id: claims["gid"].as_str().expect("a grant").to_owned(),
    };
    let strategy = admin_case(&token, &ids);
    let mut sent = 0;
    for _ in 0..CASES {
        let case = strategy.new_tree(runner).expect("a case").current();
        let Some(status) = send_admin(app, &case).await else {
            continue;
        };
        sent += 1;
        assert!(
            (200..500).contains(&status),
            "{kind:?}: {status} for {case:?}"
        );
    }
    sent
}

/// `PATCH /oauth2/userinfo` with hostile JSON (or bytes) and a real `profile:write` token
/// or a hostile one: never a 5xx. Returns how many were sendable.
async fn profile_patch_answers_no_5xx(app: &TestApp, kind: Kind, runner: &mut TestRunner) -> usize {
    let writer = app
        .services
        .clients
        .create_client(ciam_domain::NewClient {
            name: "profile".into(),
            grant_types: vec![ciam_domain::GrantType::Password],
            scope: ciam_domain::Scope::parse("profile:write").expect("scope"),
            public: false,
            redirects: Default::default(),
        })
        .expect("client");
    let writer = TestClient {
        id: writer.0.id.to_string(),
        secret: writer.1.map(|s| s.expose().to_owned()),
    };
    app.user("patcher", "correct horse battery");
    let response = app
        .post(
            "/oauth2/token",
            crate::support::Auth::Post(&writer),
            &[
                ("grant_type", "password"),
                ("username", "patcher"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    let token = response.json()["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let bearer = prop_oneof![
        3 => Just(Some(format!("Bearer {token}").into_bytes())),
        1 => Just(None),
        1 => hostile_string().prop_map(|s| Some(format!("Bearer {s}").into_bytes())),
    ];
    let body = prop_oneof![
        3 => (field(None), field(None)).prop_map(|(name, email)| {
            serde_json::json!({ "name": name, "email": email }).to_string().into_bytes()
        }),
        1 => vec(any::<u8>(), 0..2_000),
    ];
    let content_type = prop_oneof![
        Just("application/json"),
        Just("application/merge-patch+json"),
        Just("text/plain"),
    ];
    let strategy = (bearer, body, content_type);
    let mut sent = 0;
    for _ in 0..CASES {
        let (authorization, body, content_type) =
            strategy.new_tree(runner).expect("a case").current();
        let mut request = TestRequest::patch()
            .uri("/oauth2/userinfo")
            .insert_header((header::CONTENT_TYPE, content_type))
            .set_payload(body.clone());
        if let Some(value) = &authorization {
            let Ok(value) = header::HeaderValue::from_bytes(value) else {
                continue;
            };
            request = request.insert_header((header::AUTHORIZATION, value));
        }
        let status = app.request(request).await.status;
        sent += 1;
        assert!(
            (200..500).contains(&status),
            "{kind:?}: {status} for PATCH {:?}",
            String::from_utf8_lossy(&body)
        );
    }
    sent
}

async fn nothing_hostile_answers_5xx(kind: Kind) {
    let app = TestApp::new(kind);
    let client = app.confidential();
    app.user("alice", "correct horse battery");
    let user_token = app
        .post(
            "/oauth2/token",
            crate::support::Auth::Post(&client),
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "correct horse battery"),
            ],
        )
        .await
        .json()["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
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
        "/oauth2/password",
        "/oauth2/password/reset",
        "/oauth2/password/reset/confirm",
        // GET-only, with no input: anything else is a 405, never a 5xx.
        "/openapi.json",
    ];
    for path in paths {
        let strategy = case(path, &client, &web, &expendable, &user_token);
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
    sent += admin_api_answers_no_5xx(&app, kind, &mut runner).await;
    sent += profile_patch_answers_no_5xx(&app, kind, &mut runner).await;
    assert!(
        sent >= (paths.len() + 2) * CASES / 2,
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
