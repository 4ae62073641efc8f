//! `GET /openapi.json` against what the app really serves: every (method, path) the
//! document describes is answered by a route, and every (method, path) a route answers is
//! described. A route is found by probing the real app: a path's method is served when the
//! answer is neither the router's `405` nor its `404` for a path it does not have (the same
//! status and body as a made-up path of the same scope gets).
//!
//! The paths probed are the document's and every path literal of `crates/http/src/routes.rs`
//! (where docs/architecture.md puts every path), with every method, so a route added there
//! and registered but not described fails here; `lib.rs`, where routes are registered, must
//! hold no path literal of its own.

use std::collections::BTreeSet;

use actix_web::http::Method;
use actix_web::test::TestRequest;
use serde_json::Value;

use crate::support::{Kind, TestApp};

const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE",
];

/// Routes served but, for now, deliberately not in the document: (method, path). Empty:
/// everything is described.
const NOT_YET_DESCRIBED: [(&str, &str); 0] = [];

const ROUTES_RS: &str = include_str!("../../crates/http/src/routes.rs");
const LIB_RS: &str = include_str!("../../crates/http/src/lib.rs");

/// Every string literal in `source` that starts with `/`.
fn path_literals(source: &str) -> BTreeSet<String> {
    source
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|literal| literal.starts_with('/'))
        .map(str::to_owned)
        .collect()
}

/// `path` with each `{name}` replaced by a value, as a client would send it.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "probe-id"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn answer(app: &TestApp, method: &str, path: &str) -> (u16, Vec<u8>) {
    let method = Method::from_bytes(method.as_bytes()).expect("a method");
    let response = app
        .request(TestRequest::default().method(method).uri(path))
        .await;
    (response.status, response.body)
}

/// The (method, path) pairs the app serves among `paths`.
async fn served(app: &TestApp, paths: &BTreeSet<String>) -> BTreeSet<(String, String)> {
    let mut served = BTreeSet::new();
    for method in METHODS {
        // The router's answers to paths it does not have, in each scope.
        let mut missing = Vec::new();
        for scope in ["", "/oauth2", "/admin/v1"] {
            let unknown = answer(app, method, &format!("{scope}/no-such-route-here")).await;
            assert_eq!(unknown.0, 404, "{method} {scope}/no-such-route-here");
            missing.push(unknown);
        }
        for path in paths {
            let got = answer(app, method, &concrete(path)).await;
            if got.0 != 405 && !missing.contains(&got) {
                served.insert((method.to_owned(), path.clone()));
            }
        }
    }
    served
}

fn described(doc: &Value) -> BTreeSet<(String, String)> {
    let mut described = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (name, _) in item.as_object().expect("a path item") {
            let method = name.to_ascii_uppercase();
            if METHODS.contains(&method.as_str()) {
                described.insert((method, path.clone()));
            }
        }
    }
    described
}

async fn document(app: &TestApp) -> Value {
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    response.json()
}

#[actix_web::test]
async fn the_document_describes_exactly_the_routes_the_app_serves() {
    let app = TestApp::new(Kind::Embedded);
    let doc = document(&app).await;
    assert_eq!(
        path_literals(LIB_RS),
        BTreeSet::new(),
        "lib.rs registers routes at the paths of routes.rs only"
    );
    let mut described = described(&doc);
    let mut paths = path_literals(ROUTES_RS);
    assert!(paths.contains("/openapi.json") && paths.contains("/admin/v1/users/{user_id}"));
    paths.extend(described.iter().map(|(_, path)| path.clone()));
    let served = served(&app, &paths).await;
    described.extend(
        NOT_YET_DESCRIBED
            .iter()
            .map(|(method, path)| ((*method).to_owned(), (*path).to_owned())),
    );
    let undescribed: Vec<_> = served.difference(&described).collect();
    let unserved: Vec<_> = described.difference(&served).collect();
    assert!(
        undescribed.is_empty() && unserved.is_empty(),
        "served but not in /openapi.json: {undescribed:?}\n\
         in /openapi.json but not served: {unserved:?}"
    );
    // Not vacuous: the probes found the routes.
    assert!(served.len() > 40, "{} routes found", served.len());
    for route in [
        ("POST", "/oauth2/token"),
        ("PATCH", "/oauth2/userinfo"),
        ("HEAD", "/admin/v1/audit"),
        ("DELETE", "/admin/v1/users/{user_id}/grants/{grant_id}"),
        ("GET", "/openapi.json"),
    ] {
        let route = (route.0.to_owned(), route.1.to_owned());
        assert!(served.contains(&route), "{route:?}");
    }
}

#[actix_web::test]
async fn the_served_document_is_openapi_3_1() {
    let app = TestApp::new(Kind::Embedded);
    let doc = document(&app).await;
    let version = doc["openapi"].as_str().expect("openapi");
    assert!(version.starts_with("3.1"), "{version}");
    let paths = doc["paths"].as_object().expect("paths");
    assert!(!paths.is_empty());
    for (path, item) in paths {
        for (method, operation) in item.as_object().expect("a path item") {
            let responses = operation["responses"].as_object();
            assert!(
                responses.is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
        }
    }
    // The admin API answers problem details, the OAuth endpoints OAuth errors.
    let problem = &doc["paths"]["/admin/v1/users"]["post"]["responses"]["401"]["content"];
    assert!(problem["application/problem+json"].is_object(), "{problem}");
    let token = &doc["paths"]["/oauth2/token"]["post"];
    assert!(token["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
    assert_eq!(
        token["responses"]["400"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/OAuthError"
    );
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("schemes");
    assert_eq!(schemes["client_secret_basic"]["scheme"], "basic");
    assert_eq!(schemes["user_token"]["scheme"], "bearer");
}
