//! Requests through the real actix app (in process, no socket).

use actix_web::http::header;
use actix_web::test::{call_service, init_service, read_body, TestRequest};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use super::app::{TestApp, TestClient};

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

/// How a request authenticates its client.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// client_id and client_secret in the form body (client_secret_post).
    Post(&'a TestClient),
    /// HTTP Basic (client_secret_basic), values form-urlencoded first (RFC 6749 App. B).
    Basic(&'a TestClient),
    None,
}

pub fn form(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("form")
}

impl TestApp {
    pub async fn request(&self, request: TestRequest) -> Response {
        let exposition = ciam::metrics::exposition(Vec::new()).expect("the metrics recorder");
        let app = init_service(ciam_http::app_with(
            self.services.clone(),
            ciam_http::Branding::default(),
            Some(exposition),
        ))
        .await;
        let response = call_service(&app, request.to_request()).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = read_body(response).await.to_vec();
        Response {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(TestRequest::get().uri(path)).await
    }

    /// POSTs a form with the given client authentication.
    pub async fn post(&self, path: &str, auth: Auth<'_>, pairs: &[(&str, &str)]) -> Response {
        let mut pairs: Vec<(&str, &str)> = pairs.to_vec();
        let mut request = TestRequest::post()
            .uri(path)
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"));
        match auth {
            Auth::Post(client) => {
                pairs.push(("client_id", &client.id));
                pairs.push(("client_secret", client.secret()));
            }
            Auth::Basic(client) => {
                request = request
                    .insert_header((header::AUTHORIZATION, basic(&client.id, client.secret())));
            }
            Auth::None => {}
        }
        self.request(request.set_payload(form(&pairs))).await
    }

    pub async fn raw_post(&self, path: &str, content_type: &str, body: &str) -> Response {
        let request = TestRequest::post()
            .uri(path)
            .insert_header((header::CONTENT_TYPE, content_type))
            .set_payload(body.to_owned());
        self.request(request).await
    }

    /// A client_credentials access token.
    pub async fn cc_token(&self, client: &TestClient) -> String {
        let response = self
            .post(
                "/oauth2/token",
                Auth::Post(client),
                &[("grant_type", "client_credentials")],
            )
            .await;
        assert_eq!(response.status, 200, "{:?}", response.json());
        response.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// (access_token, refresh_token) from the password grant for a fresh user.
    pub async fn user_tokens(&self, client: &TestClient) -> (String, String) {
        let username = format!("user-{}", client.id);
        self.user(&username, "correct horse battery");
        let response = self
            .post(
                "/oauth2/token",
                Auth::Post(client),
                &[
                    ("grant_type", "password"),
                    ("username", &username),
                    ("password", "correct horse battery"),
                ],
            )
            .await;
        assert_eq!(response.status, 200, "{:?}", response.json());
        let json = response.json();
        (
            json["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned(),
            json["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_owned(),
        )
    }

    pub async fn refresh(&self, client: &TestClient, refresh_token: &str) -> Response {
        self.post(
            "/oauth2/token",
            Auth::Post(client),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    pub async fn revoke(&self, client: &TestClient, token: &str) -> Response {
        self.post("/oauth2/revoke", Auth::Post(client), &[("token", token)])
            .await
    }

    /// Whether introspection (by `caller`) says the token is active.
    pub async fn is_active(&self, caller: &TestClient, token: &str) -> bool {
        let response = self
            .post(
                "/oauth2/introspect",
                Auth::Post(caller),
                &[("token", token)],
            )
            .await;
        assert_eq!(response.status, 200, "{:?}", response.json());
        response.json()["active"]
            .as_bool()
            .expect("active is a boolean")
    }
}

pub fn basic(id: &str, secret: &str) -> String {
    let encode = |value: &str| form(&[("v", value)]).trim_start_matches("v=").to_owned();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", encode(id), encode(secret)))
    )
}
