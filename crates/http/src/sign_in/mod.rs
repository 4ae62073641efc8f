//! Customer sign-in at the edge: the authorization endpoint (RFC 6749 §4.1, OpenID Connect
//! Core §3.1.2), the hosted login page and its cookies. The rules are the domain's
//! (`Authorizer`, `Accounts`, `Sessions`); this renders pages and redirects.

mod authorize;
mod cookies;
mod login;
mod logout;
mod page;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::authorization::model::{AuthorizationParams, AuthorizationRequest};
use ciam_domain::{Fault, Refusal, Services, UntrustedRequest};

pub(crate) use authorize::{authorize_by_get, authorize_by_post};
pub(crate) use login::login;
pub(crate) use logout::{logout_by_get, logout_by_post};

/// The sign-in endpoints' part of `GET /openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    authorize::authorize_by_get,
    authorize::authorize_by_post,
    login::login,
    logout::logout_by_get,
    logout::logout_by_post,
    stylesheet,
))]
pub(crate) struct ApiDoc;

/// The authorization request (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1, RFC 7636
/// §4.3): in the query of a `GET`, or the form body of a `POST`. Each at most once.
#[derive(serde::Serialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documentation: the parameters are read by `params_of`.
struct AuthorizationForm {
    /// `code`.
    response_type: Option<String>,
    client_id: Option<String>,
    /// One the client registered, matched exactly.
    redirect_uri: Option<String>,
    /// Space-separated; `openid` for an ID token.
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    /// RFC 7636: BASE64URL(SHA-256(code_verifier)).
    code_challenge: Option<String>,
    /// `S256`.
    code_challenge_method: Option<String>,
    /// `none`, `login`.
    prompt: Option<String>,
    /// Seconds.
    max_age: Option<String>,
    login_hint: Option<String>,
}

use crate::error::RedirectTarget;
use crate::form::Form;
use crate::{blocking, ApiError};
use cookies::{CookiePolicy, CSRF, SESSION};

/// How the hosted pages look: the product's name and accent colour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branding {
    pub name: String,
    /// A `#rrggbb` colour.
    pub accent: String,
}

impl Default for Branding {
    fn default() -> Self {
        Branding {
            name: "ciam".into(),
            accent: "#2563eb".into(),
        }
    }
}

impl Branding {
    /// Checked, so that neither can break out of the page or the stylesheet.
    pub fn new(name: &str, accent: &str) -> Result<Branding, &'static str> {
        let name = name.trim();
        if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
            return Err("the product name must be 1 to 100 printable characters");
        }
        let hex = accent.strip_prefix('#').unwrap_or_default();
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("the accent colour must be #rrggbb");
        }
        Ok(Branding {
            name: name.to_owned(),
            accent: accent.to_ascii_lowercase(),
        })
    }
}

/// The authorization request's parameter names, in the order they are carried.
const PARAMS: [&str; 11] = [
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

/// The authorization parameters of a parsed query or form.
fn params_of(form: &Form) -> AuthorizationParams {
    let get = |name: &str| form.get(name).map(str::to_owned);
    AuthorizationParams {
        response_type: get("response_type"),
        client_id: get("client_id"),
        redirect_uri: get("redirect_uri"),
        scope: get("scope"),
        state: get("state"),
        nonce: get("nonce"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
        prompt: get("prompt"),
        max_age: get("max_age"),
        login_hint: get("login_hint"),
    }
}

/// The parameters to carry in the login form, as received. `prompt` is left out: the
/// form's answer is a fresh login, whatever was asked.
fn hidden_fields(form: &Form) -> Vec<(&'static str, String)> {
    PARAMS
        .into_iter()
        .filter(|name| *name != "prompt")
        .filter_map(|name| form.get(name).map(|value| (name, value.to_owned())))
        .collect()
}

/// The answer to a refused request: a page when the client or its redirect URI is not
/// trusted (never a redirect: RFC 6749 §4.1.2.1), else the error at the redirect URI.
fn refused(refusal: Refusal, issuer: &str) -> ApiError {
    match refusal {
        Refusal::Untrusted(UntrustedRequest::Unavailable(fault)) => {
            ApiError::from(fault).shown_as_page()
        }
        Refusal::Untrusted(why) => ApiError::invalid_request(untrusted_text(&why)).shown_as_page(),
        Refusal::ToClient(error) => ApiError::authorization(error.code, error.description)
            .redirected_to(RedirectTarget {
                redirect_uri: error.redirect_uri,
                state: error.state,
                issuer: issuer.to_owned(),
            }),
    }
}

fn untrusted_text(why: &UntrustedRequest) -> &'static str {
    match why {
        UntrustedRequest::MissingClientId => {
            "The request does not say which application it is for (client_id)."
        }
        UntrustedRequest::UnknownClient => "The application is not registered.",
        UntrustedRequest::MissingRedirectUri => {
            "The request does not say where to return to (redirect_uri)."
        }
        UntrustedRequest::UnregisteredRedirectUri => {
            "The return address is not one the application registered."
        }
        UntrustedRequest::Unavailable(_) => "The service is temporarily unavailable.",
    }
}

/// `303` to the client with the code (RFC 6749 §4.1.2), its state and our issuer
/// (RFC 9207 §2).
fn code_redirect(
    request: &AuthorizationRequest,
    code: &str,
    issuer: &str,
) -> Result<HttpResponse, ApiError> {
    let mut params = vec![("code", code)];
    params.extend(request.state.as_deref().map(|state| ("state", state)));
    params.push(("iss", issuer));
    // Registered URIs are printable ASCII and every value is percent-encoded, so this always
    // has a Location; should it not, the user sees a page, never a 5xx.
    let location =
        crate::location::with_query(&request.redirect_uri, &params).ok_or_else(|| {
            ApiError::invalid_request("The return address cannot be used.").shown_as_page()
        })?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish())
}

/// The browser's CSRF token for the login form (double-submit: the cookie and the field
/// must match; SameSite=Lax keeps other sites from sending the cookie with a POST). One per
/// browser, kept while it lives, so that every open login form of the browser works.
fn csrf_token(req: &HttpRequest, policy: CookiePolicy) -> Result<String, ApiError> {
    if let Some(existing) = policy.read(req, CSRF) {
        if existing.len() == 43
            && existing
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Ok(existing);
        }
    }
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| ApiError::unavailable("no randomness"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The login page for `request`, with a fresh CSRF cookie.
#[allow(clippy::too_many_arguments)]
fn login_page(
    req: &HttpRequest,
    services: &Services,
    branding: &Branding,
    request: &AuthorizationRequest,
    form: &Form,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let policy = CookiePolicy::for_issuer(&services.config().issuer);
    let csrf = csrf_token(req, policy)?;
    let mut response = page::LoginPage {
        branding,
        client_name: &request.client.name,
        hidden: &hidden_fields(form),
        csrf: &csrf,
        username,
        error,
    }
    .respond(status);
    response
        .add_cookie(&policy.cookie(CSRF, csrf, None))
        .map_err(|_| ApiError::unavailable("cookie"))?;
    Ok(response)
}

/// The hosted pages' stylesheet
///
/// In the product's accent colour. `Cache-Control: public, max-age=3600`.
#[utoipa::path(
    method(get, head),
    path = crate::routes::LOGIN_CSS.path,
    tag = "sign-in",
    responses(
        (status = 200, description = "The stylesheet", content_type = "text/css", body = String),
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD`)", body = crate::error::json::ErrorBody),
    ),
)]
pub(crate) async fn stylesheet(branding: web::Data<Branding>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(page::stylesheet(&branding))
}

/// The session cookie's value, if the request carries one.
fn session_cookie(req: &HttpRequest, issuer: &str) -> Option<String> {
    CookiePolicy::for_issuer(issuer).read(req, SESSION)
}

/// Runs a blocking domain call whose fault is shown as a page (a browser is waiting).
async fn on_page<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, Fault> + Send + 'static,
    T: Send + 'static,
{
    blocking(move || work().map_err(|fault| ApiError::from(fault).shown_as_page())).await
}
