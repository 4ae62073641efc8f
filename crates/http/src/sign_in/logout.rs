//! `GET`/`POST /oauth2/logout`, the end-session endpoint (OpenID Connect RP-Initiated
//! Logout 1.0). A `GET` asks the user to confirm (§2: the OP SHOULD ask, so that another
//! site cannot sign the user out); the confirmation `POST`s back with the CSRF token, ends
//! the session, revokes every grant born in it, and returns the browser to the client's
//! registered `post_logout_redirect_uri` with `state`, or shows that the user is signed out.

use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{Actor, Initiator, Services};
use subtle::ConstantTimeEq;

use super::cookies::{CookiePolicy, CSRF, SESSION};
use super::page::{notice_page, LogoutPage};
use super::{csrf_token, on_page, Branding};
use crate::error::json::ErrorBody as OAuthError;
use crate::form::Form;
use crate::{routes, ApiError};

/// The end-session request (RP-Initiated Logout 1.0 §2), in the query of a `GET`.
#[derive(serde::Serialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documentation: the parameters are read by the handler.
struct LogoutParams {
    /// One of this server's ID tokens, expired or not: names the client and the session.
    id_token_hint: Option<String>,
    client_id: Option<String>,
    /// Registered by the client, matched exactly; needs the client (`client_id` or the hint).
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

/// The confirmation form the logout page posts.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // Documentation: the form is read by the handler.
struct LogoutForm {
    #[serde(flatten)]
    request: LogoutParams,
    /// The page's CSRF token (double submit: it must match the `csrf` cookie).
    csrf: Option<String>,
}

/// End-session endpoint, by GET (RP-Initiated Logout 1.0)
///
/// Asks the user to confirm, unless an `id_token_hint` of this very session proves the
/// client asks.
#[utoipa::path(
    get,
    path = routes::LOGOUT.path,
    tag = "sign-in",
    params(LogoutParams),
    responses(
        (status = 200, description = "The confirmation page, or that the user is signed out", content_type = "text/html", body = String),
        (status = 303, description = "Signed out: back to the `post_logout_redirect_uri` with `state`", headers(("Location" = String))),
        (status = 400, description = "An error page: an unknown hint or an unregistered return address", content_type = "text/html", body = String),
        (status = 405, description = "Method not allowed (`Allow: GET, POST`)", body = OAuthError),
        (status = 503, description = "An error page: the service is unavailable", content_type = "text/html", body = String),
    ),
)]
pub(crate) async fn logout_by_get(
    req: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
    branding: web::Data<Branding>,
) -> Result<HttpResponse, ApiError> {
    logout(req, payload, services, branding).await
}

/// End-session endpoint, by POST (RP-Initiated Logout 1.0)
///
/// The confirmation: ends the session, revokes every grant born in it, notifies the
/// clients' back-channel logout URIs.
#[utoipa::path(
    post,
    path = routes::LOGOUT.path,
    tag = "sign-in",
    request_body(content = LogoutForm, content_type = "application/x-www-form-urlencoded", description = "The members of the end-session request, and `csrf`"),
    responses(
        (status = 200, description = "A page: the user is signed out", content_type = "text/html", body = String),
        (status = 303, description = "Signed out: back to the `post_logout_redirect_uri` with `state`", headers(("Location" = String))),
        (status = 400, description = "An error page: an unknown hint or an unregistered return address", content_type = "text/html", body = String),
        (status = 403, description = "An error page: the form expired (CSRF)", content_type = "text/html", body = String),
        (status = 405, description = "Method not allowed (`Allow: GET, POST`)", body = OAuthError),
        (status = 503, description = "An error page: the service is unavailable", content_type = "text/html", body = String),
    ),
)]
pub(crate) async fn logout_by_post(
    req: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
    branding: web::Data<Branding>,
) -> Result<HttpResponse, ApiError> {
    logout(req, payload, services, branding).await
}

async fn logout(
    req: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
    branding: web::Data<Branding>,
) -> Result<HttpResponse, ApiError> {
    let confirming = req.method() == Method::POST;
    let form = if confirming {
        Form::read(&req, payload.into_inner()).await
    } else {
        Form::parse(req.query_string().as_bytes())
    }
    .map_err(ApiError::shown_as_page)?;
    let issuer = services.config().issuer.clone();
    let policy = CookiePolicy::for_issuer(&issuer);
    let mut client_id = form.get("client_id").map(str::to_owned);
    // RP-Initiated Logout §2: the hint is one of our ID tokens (expired or not); its `aud`
    // is the client, and its `sid` the session the client means.
    let hinted_sid = match form.get("id_token_hint").map(str::to_owned) {
        None => None,
        Some(hint) => {
            let services = services.clone();
            let claims = on_page(move || services.access_tokens.read_id_token_hint(&hint))
                .await?
                .ok_or_else(|| {
                    ApiError::invalid_request("The id_token_hint is not one this server issued.")
                        .shown_as_page()
                })?;
            if client_id.as_ref().is_some_and(|id| *id != claims.aud) {
                return Err(ApiError::invalid_request(
                    "The client_id is not the one the id_token_hint was issued to.",
                )
                .shown_as_page());
            }
            client_id = Some(claims.aud);
            claims.sid
        }
    };
    let return_to = form.get("post_logout_redirect_uri").map(str::to_owned);
    let state = form.get("state").map(str::to_owned);

    // RP-Initiated Logout §3: only a URI the client registered, matched exactly; without a
    // client to check it against, nowhere.
    if let Some(uri) = &return_to {
        let Some(client_id) = client_id.clone() else {
            return Err(ApiError::invalid_request(
                "post_logout_redirect_uri needs the client_id it was registered for",
            )
            .shown_as_page());
        };
        let uri = uri.clone();
        let services = services.clone();
        let registered =
            on_page(move || services.clients.may_return_after_logout(&client_id, &uri)).await?;
        if !registered {
            return Err(ApiError::invalid_request(
                "The return address is not one the application registered for after sign-out.",
            )
            .shown_as_page());
        }
    }

    let current = match policy.read(&req, SESSION) {
        Some(cookie) => {
            let services = services.clone();
            on_page(move || services.sessions.current(&cookie)).await?
        }
        None => None,
    };
    // A client that proves, with an ID token of this very session, that it asks for this
    // logout needs no confirmation: another site cannot hold that token.
    let proven = hinted_sid.is_some_and(|sid| {
        current
            .as_ref()
            .is_some_and(|session| session.id.as_str() == sid)
    });

    if !confirming && !proven {
        let csrf = csrf_token(&req, policy)?;
        let mut hidden = Vec::new();
        hidden.extend(client_id.map(|v| ("client_id", v)));
        hidden.extend(return_to.map(|v| ("post_logout_redirect_uri", v)));
        hidden.extend(state.map(|v| ("state", v)));
        let mut response = LogoutPage {
            branding: &branding,
            hidden: &hidden,
            csrf: &csrf,
        }
        .respond();
        response
            .add_cookie(&policy.cookie(CSRF, csrf, None))
            .map_err(|_| ApiError::unavailable("cookie"))?;
        return Ok(response);
    }

    let expected = policy.read(&req, CSRF).unwrap_or_default();
    let sent = form.get("csrf").unwrap_or_default();
    let csrf_ok = !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes()));
    if !proven && !csrf_ok {
        return Err(ApiError::invalid_request(
            "The sign-out form expired. Please try again from the application.",
        )
        .shown_as_page()
        .with_status(StatusCode::FORBIDDEN));
    }

    if let Some(session) = current {
        let services = services.clone();
        let by = Initiator::new(
            Actor::User(session.user_id.clone()),
            req.peer_addr().map(|peer| peer.ip()),
        );
        on_page(move || services.sessions.end(&session, &by)).await?;
    }
    let mut response = match &return_to {
        Some(uri) => {
            let params: Vec<(&str, &str)> = state
                .as_deref()
                .map(|state| vec![("state", state)])
                .unwrap_or_default();
            let location = crate::location::with_query(uri, &params).ok_or_else(|| {
                ApiError::invalid_request("unusable return address").shown_as_page()
            })?;
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish()
        }
        None => notice_page(&branding, "Signed out", "You are signed out."),
    };
    response
        .add_removal_cookie(&policy.cookie(SESSION, String::new(), None))
        .map_err(|_| ApiError::unavailable("cookie"))?;
    Ok(response)
}
