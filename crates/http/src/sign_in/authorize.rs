//! `GET`/`POST /oauth2/authorize` (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1: both
//! methods, the parameters in the query or in a form body).

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{Decision, Services};

use super::{
    code_redirect, login_page, on_page, params_of, refused, session_cookie, AuthorizationForm,
    Branding,
};
use crate::error::json::ErrorBody as OAuthError;
use crate::error::RedirectTarget;
use crate::form::Form;
use crate::{routes, ApiError};

/// Authorization endpoint, by GET (RFC 6749 §4.1.1)
///
/// Starts the authorization code flow: with a live session, a redirect to the client with a
/// code; otherwise the hosted login page.
#[utoipa::path(
    get,
    path = routes::AUTHORIZE.path,
    tag = "sign-in",
    params(AuthorizationForm),
    responses(
        (status = 200, description = "The login page", content_type = "text/html", body = String),
        (status = 303, description = "Back to the client's `redirect_uri` with `code`, `state` and `iss` (RFC 9207), or with `error` once the client and its redirect URI are trusted", headers(("Location" = String))),
        (status = 400, description = "An error page: the client or its redirect URI cannot be trusted, or the request is malformed", content_type = "text/html", body = String),
        (status = 405, description = "Method not allowed (`Allow: GET, POST`)", body = OAuthError),
        (status = 503, description = "An error page: the service is unavailable", content_type = "text/html", body = String),
    ),
)]
pub(crate) async fn authorize_by_get(
    req: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
    branding: web::Data<Branding>,
) -> Result<HttpResponse, ApiError> {
    authorize(req, payload, services, branding).await
}

/// Authorization endpoint, by POST (OpenID Connect Core §3.1.2.1)
///
/// The same request as by GET, in a form body.
#[utoipa::path(
    post,
    path = routes::AUTHORIZE.path,
    tag = "sign-in",
    request_body(content = AuthorizationForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The login page", content_type = "text/html", body = String),
        (status = 303, description = "Back to the client's `redirect_uri` with `code`, `state` and `iss` (RFC 9207), or with `error` once the client and its redirect URI are trusted", headers(("Location" = String))),
        (status = 400, description = "An error page: the client or its redirect URI cannot be trusted, or the request is malformed", content_type = "text/html", body = String),
        (status = 405, description = "Method not allowed (`Allow: GET, POST`)", body = OAuthError),
        (status = 503, description = "An error page: the service is unavailable", content_type = "text/html", body = String),
    ),
)]
pub(crate) async fn authorize_by_post(
    req: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
    branding: web::Data<Branding>,
) -> Result<HttpResponse, ApiError> {
    authorize(req, payload, services, branding).await
}

async fn authorize(
    req: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
    branding: web::Data<Branding>,
) -> Result<HttpResponse, ApiError> {
    let form = if req.method() == Method::POST {
        Form::read(&req, payload.into_inner()).await
    } else {
        // RFC 6749 §3.1: parameters MUST NOT be repeated; the same parser as forms.
        Form::parse(req.query_string().as_bytes())
    }
    .map_err(ApiError::shown_as_page)?;
    let params = params_of(&form);
    let issuer = services.config().issuer.clone();
    let cookie = session_cookie(&req, &issuer);
    let checked = {
        let services = services.clone();
        on_page(move || {
            let request = match services.authorization.check(&params) {
                Ok(request) => request,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let session = match cookie {
                Some(value) => services.sessions.current(&value)?,
                None => None,
            };
            let decision = services.authorization.decide(&request, session);
            let code = match &decision {
                Decision::UseSession(session) => {
                    Some(services.authorization.issue_code(&request, session)?)
                }
                _ => None,
            };
            Ok(Ok((request, decision, code)))
        })
        .await?
    };
    let (request, decision, code) = checked.map_err(|refusal| refused(refusal, &issuer))?;
    match (decision, code) {
        (Decision::UseSession(_), Some(code)) => code_redirect(&request, code.expose(), &issuer),
        // OpenID Connect Core §3.1.2.6: prompt=none and the user would have to sign in.
        (Decision::LoginRequired, _) => Err(ApiError::authorization(
            "login_required",
            "the user is not signed in",
        )
        .redirected_to(RedirectTarget {
            redirect_uri: request.redirect_uri.clone(),
            state: request.state.clone(),
            issuer,
        })),
        _ => login_page(
            &req,
            &services,
            &branding,
            &request,
            &form,
            request.login_hint.as_deref().unwrap_or_default(),
            None,
            StatusCode::OK,
        ),
    }
}
