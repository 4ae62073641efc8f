//! An actix-web extractor: a handler taking [`Authenticated`] runs only for a request with a
//! valid, unrevoked ciam access token, and every other request gets the RFC 6750 answer.
//!
//! ```no_run
//! use actix_web::{get, web, App, HttpResponse};
//! use ciam_resource::actix::{Authenticated, BearerError};
//! use ciam_resource::Verifier;
//!
//! #[get("/hello")]
//! async fn hello(token: Authenticated) -> Result<HttpResponse, BearerError> {
//!     token.require_scope("read")?;
//!     Ok(HttpResponse::Ok().body(format!("hello {}", token.sub)))
//! }
//!
//! # fn app(verifier: Verifier) {
//! App::new().app_data(web::Data::new(verifier)).service(hello);
//! # }
//! ```
//!
//! | request | answer |
//! |---|---|
//! | no `Authorization`, or another scheme | `401`, `WWW-Authenticate: Bearer realm="…"` (no error code: RFC 6750 §3.1) |
//! | `Bearer` with no token, two tokens, or characters outside `b64token`; two `Authorization` headers | `400`, `error="invalid_request"` |
//! | a token the verifier rejects | `401`, `error="invalid_token"`, `error_description` from [`Rejection::description`] |
//! | the denylist or the issuer cannot answer | `503`, `Retry-After: 5` |
//! | [`Authenticated::require_scope`] fails | `403`, `error="insufficient_scope"`, `scope="…"` |
//!
//! The [`Verifier`] comes from `web::Data<Verifier>`; the realm from `web::Data<Realm>` if
//! there is one, else the verifier's audience. A check that needs I/O (Redis and
//! introspection modes, a key refetch) runs on actix's blocking pool (`web::block`), never on
//! the async workers.

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use ciam_contract::bearer::is_b64token;
use ciam_contract::AccessTokenClaims;

use crate::{Rejection, Verifier};

/// Seconds a client is told to wait when the token cannot be checked now.
const RETRY_AFTER_SECONDS: &str = "5";

/// The `realm` of `WWW-Authenticate` challenges, as `web::Data<Realm>`.
#[derive(Clone, Debug)]
pub struct Realm(pub String);

/// The claims of the request's verified access token.
#[derive(Clone, Debug)]
pub struct Authenticated {
    claims: AccessTokenClaims,
    realm: String,
}

impl Authenticated {
    pub fn claims(&self) -> &AccessTokenClaims {
        &self.claims
    }

    pub fn into_claims(self) -> AccessTokenClaims {
        self.claims
    }

    /// `Ok` if the token carries `scope`, else the `403 insufficient_scope` answer
    /// (RFC 6750 §3.1) naming it.
    pub fn require_scope(&self, scope: &str) -> Result<(), BearerError> {
        if self.claims.has_scope(scope) {
            Ok(())
        } else {
            Err(BearerError {
                kind: Kind::InsufficientScope(scope.to_owned()),
                realm: self.realm.clone(),
            })
        }
    }
}

impl Deref for Authenticated {
    type Target = AccessTokenClaims;

    fn deref(&self) -> &AccessTokenClaims {
        &self.claims
    }
}

/// An RFC 6750 error answer.
#[derive(Debug)]
pub struct BearerError {
    kind: Kind,
    realm: String,
}

#[derive(Debug)]
enum Kind {
    /// No bearer credentials at all: the challenge without an error code.
    NoCredentials,
    InvalidRequest(&'static str),
    InvalidToken(Rejection),
    Unavailable(Rejection),
    InsufficientScope(String),
    /// No `web::Data<Verifier>` in the app: a bug of the application.
    NoVerifier,
}

impl BearerError {
    /// The rejection behind a `401`/`503`, if that is what this is.
    pub fn rejection(&self) -> Option<Rejection> {
        match self.kind {
            Kind::InvalidToken(rejection) | Kind::Unavailable(rejection) => Some(rejection),
            _ => None,
        }
    }

    fn from_rejection(rejection: Rejection, realm: String) -> Self {
        let kind = if rejection.is_unavailable() {
            Kind::Unavailable(rejection)
        } else {
            Kind::InvalidToken(rejection)
        };
        BearerError { kind, realm }
    }

    /// The `WWW-Authenticate` value, if the answer has one.
    fn challenge(&self) -> Option<String> {
        let realm = format!("Bearer realm=\"{}\"", quote(&self.realm));
        match &self.kind {
            Kind::NoCredentials => Some(realm),
            Kind::InvalidRequest(description) => Some(format!(
                "{realm}, error=\"invalid_request\", error_description=\"{description}\""
            )),
            Kind::InvalidToken(rejection) => Some(format!(
                "{realm}, error=\"invalid_token\", error_description=\"{}\"",
                rejection.description()
            )),
            Kind::InsufficientScope(scope) => Some(format!(
                "{realm}, error=\"insufficient_scope\", scope=\"{}\"",
                quote(scope)
            )),
            Kind::Unavailable(_) | Kind::NoVerifier => None,
        }
    }

    fn body(&self) -> Option<serde_json::Value> {
        let (error, description) = match &self.kind {
            Kind::NoCredentials => return None,
            Kind::InvalidRequest(description) => ("invalid_request", *description),
            Kind::InvalidToken(rejection) => ("invalid_token", rejection.description()),
            Kind::InsufficientScope(_) => (
                "insufficient_scope",
                "The access token does not carry the scope required",
            ),
            Kind::Unavailable(rejection) => ("temporarily_unavailable", rejection.description()),
            Kind::NoVerifier => ("server_error", "The server is misconfigured"),
        };
        Some(serde_json::json!({ "error": error, "error_description": description }))
    }
}

impl fmt::Display for BearerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::NoCredentials => f.write_str("no bearer token"),
            Kind::InvalidRequest(description) => write!(f, "invalid request: {description}"),
            Kind::InvalidToken(rejection) | Kind::Unavailable(rejection) => {
                write!(f, "token rejected: {rejection}")
            }
            Kind::InsufficientScope(scope) => write!(f, "scope {scope} required"),
            Kind::NoVerifier => f.write_str("no web::Data<Verifier> registered"),
        }
    }
}

impl ResponseError for BearerError {
    fn status_code(&self) -> StatusCode {
        match self.kind {
            Kind::NoCredentials | Kind::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            Kind::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Kind::InsufficientScope(_) => StatusCode::FORBIDDEN,
            Kind::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Kind::NoVerifier => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Some(challenge) = self.challenge() {
            response.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        if matches!(self.kind, Kind::Unavailable(_)) {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS));
        }
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        match self.body() {
            Some(body) => response.json(body),
            None => response.finish(),
        }
    }
}

/// A quoted-string's content (RFC 9110 §5.6.4).
fn quote(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The bearer token of `Authorization: Bearer <token>` (RFC 6750 §2.1), or the error.
fn bearer_token(req: &HttpRequest) -> Result<String, Kind> {
    let mut values = req.headers().get_all(header::AUTHORIZATION);
    let Some(value) = values.next() else {
        return Err(Kind::NoCredentials);
    };
    if values.next().is_some() {
        return Err(Kind::InvalidRequest("More than one Authorization header"));
    }
    parse_authorization(value)
}

fn parse_authorization(value: &HeaderValue) -> Result<String, Kind> {
    let value = value
        .to_str()
        .map_err(|_| Kind::InvalidRequest("The Authorization header is not ASCII"))?;
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    // RFC 9110 §11.1: the scheme is case-insensitive. Another scheme is not a bearer
    // credential at all: the plain challenge.
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(Kind::NoCredentials);
    }
    let token = rest.trim_matches(' ');
    if token.is_empty() {
        return Err(Kind::InvalidRequest("The bearer token is missing"));
    }
    if !is_b64token(token) {
        return Err(Kind::InvalidRequest("The bearer token is malformed"));
    }
    Ok(token.to_owned())
}

impl FromRequest for Authenticated {
    type Error = BearerError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, BearerError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let verifier = req.app_data::<web::Data<Verifier>>().cloned();
        let realm = req
            .app_data::<web::Data<Realm>>()
            .map(|realm| realm.0.clone())
            .or_else(|| verifier.as_ref().map(|v| v.audience().to_owned()))
            .unwrap_or_default();
        let token = bearer_token(req);
        Box::pin(async move {
            let fail = |kind| BearerError {
                kind,
                realm: realm.clone(),
            };
            let Some(verifier) = verifier else {
                tracing::error!("Authenticated used without web::Data<Verifier> in the app");
                return Err(fail(Kind::NoVerifier));
            };
            let token = token.map_err(fail)?;
            let answer = match verifier.verify_nonblocking(&token) {
                Some(answer) => answer,
                None => {
                    let verifier = verifier.clone();
                    web::block(move || verifier.verify(&token))
                        .await
                        .unwrap_or(Err(Rejection::IssuerUnavailable))
                }
            };
            match answer {
                Ok(claims) => Ok(Authenticated {
                    claims,
                    realm: realm.clone(),
                }),
                Err(rejection) => Err(BearerError::from_rejection(rejection, realm.clone())),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Result<String, String> {
        parse_authorization(&HeaderValue::from_str(value).expect("header value"))
            .map_err(|kind| format!("{kind:?}"))
    }

    #[test]
    fn bearer_header_syntax() {
        assert_eq!(parse("Bearer abc.DEF-_~+/=="), Ok("abc.DEF-_~+/==".into()));
        assert_eq!(parse("bearer abc"), Ok("abc".into()));
        assert_eq!(parse("Basic dXNlcjpwdw=="), Err("NoCredentials".into()));
        assert_eq!(parse("Bearerabc"), Err("NoCredentials".into()));
        for bad in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer a,b",
            "Bearer ==",
            "Bearer a=b",
        ] {
            assert!(
                parse(bad).is_err_and(|e| e.starts_with("InvalidRequest")),
                "{bad}"
            );
        }
    }

    #[test]
    fn challenges_quote_their_values() {
        let error = BearerError {
            kind: Kind::InsufficientScope("a\"b".into()),
            realm: "r\\".into(),
        };
        assert_eq!(
            error.challenge().as_deref(),
            Some(r#"Bearer realm="r\\", error="insufficient_scope", scope="a\"b""#)
        );
    }
}
