//! `POST /oauth2/login`: the login form's submission. Checks the CSRF token, the request it
//! carries and the password; on success starts a session and answers the authorization
//! request with a code.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{Fault, Secret, Services, SignInError};
use subtle::ConstantTimeEq;

use super::cookies::{CookiePolicy, CSRF, SESSION};
use super::{code_redirect, login_page, on_page, params_of, refused, Branding};
use crate::error::json::ErrorBody as OAuthError;
use crate::form::Form;
use crate::{routes, ApiError};

/// The one message for a wrong username or password: it must not tell which.
const WRONG_CREDENTIALS: &str = "The username or password is incorrect.";
const EXPIRED_FORM: &str = "The sign-in form expired. Please try again.";

/// The login form's submission (`LoginForm` is posted by the hosted login page).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[allow(dead_code)] // Documentation: the form is read by the handler.
struct LoginForm {
    /// The authorization request, carried by the page.
    #[serde(flatten)]
    request: super::AuthorizationForm,
    username: Option<String>,
    password: Option<String>,
    /// The page's CSRF token (double submit: it must match the `csrf` cookie).
    csrf: Option<String>,
}

/// The hosted login page's submission
///
/// Checks the CSRF token, the authorization request it carries and the password; on success
/// starts a session (a cookie) and answers the authorization request with a code.
#[utoipa::path(
    post,
    path = routes::LOGIN.path,
    tag = "sign-in",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded", description = "The members of the authorization request, and `username`, `password` and `csrf`"),
    responses(
        (status = 303, description = "Signed in: back to the client's `redirect_uri` with `code`, `state` and `iss`; sets the session cookie", headers(("Location" = String))),
        (status = 400, description = "An error page: the authorization request cannot be trusted or the form is malformed", content_type = "text/html", body = String),
        (status = 401, description = "The login page again: wrong username or password", content_type = "text/html", body = String),
        (status = 403, description = "The login page again: the form expired (CSRF)", content_type = "text/html", body = String),
        (status = 405, description = "Method not allowed (`Allow: POST`)", body = OAuthError),
        (status = 429, description = "The login page again: too many failed attempts; see `Retry-After`", content_type = "text/html", body = String),
        (status = 503, description = "An error page: the service is unavailable", content_type = "text/html", body = String),
    ),
)]
pub(crate) async fn login(
    req: HttpRequest,
    payload: web::Payload,
    services: web::Data<Services>,
    branding: web::Data<Branding>,
) -> Result<HttpResponse, ApiError> {
    let mut form = Form::read(&req, payload.into_inner())
        .await
        .map_err(ApiError::shown_as_page)?;
    let issuer = services.config().issuer.clone();
    let policy = CookiePolicy::for_issuer(&issuer);
    let params = params_of(&form);
    let request = {
        let services = services.clone();
        on_page(move || Ok(services.authorization.check(&params))).await?
    }
    .map_err(|refusal| refused(refusal, &issuer))?;
    let username = form.take("username").unwrap_or_default();
    let password = Secret::new(form.take("password").unwrap_or_default());

    // Double-submit CSRF check, in constant time. A mismatch is most often a form left
    // open in another tab: show it again, with a fresh token.
    let expected = policy.read(&req, CSRF).unwrap_or_default();
    let sent = form.get("csrf").unwrap_or_default();
    let csrf_ok = !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes()));
    if !csrf_ok {
        return login_page(
            &req,
            &services,
            &branding,
            &request,
            &form,
            &username,
            Some(EXPIRED_FORM),
            StatusCode::FORBIDDEN,
        );
    }

    let address = req.peer_addr().map(|peer| peer.ip());
    let outcome = {
        let (services, request, username) = (services.clone(), request.clone(), username.clone());
        on_page(move || {
            let user = match services.accounts.sign_in(&username, &password, address) {
                Ok(user) => user,
                Err(SignInError::Unavailable(fault)) => return Err(fault),
                Err(refused) => return Ok(Err(refused)),
            };
            let (cookie, session) = services.sessions.start(&user, address)?;
            let code = services.authorization.issue_code(&request, &session)?;
            Ok::<_, Fault>(Ok((cookie, code)))
        })
        .await?
    };
    match outcome {
        Ok((cookie, code)) => {
            let mut response = code_redirect(&request, code.expose(), &issuer)?;
            // A session cookie without Max-Age: it ends with the browser, or earlier on the
            // server (lifetime, idle timeout, logout).
            response
                .add_cookie(&policy.cookie(SESSION, cookie.expose().to_owned(), None))
                .map_err(|_| ApiError::unavailable("cookie"))?;
            // The form's token is spent.
            response
                .add_removal_cookie(&policy.cookie(CSRF, String::new(), None))
                .map_err(|_| ApiError::unavailable("cookie"))?;
            Ok(response)
        }
        Err(SignInError::TooManyAttempts { retry_after }) => {
            let mut response = login_page(
                &req,
                &services,
                &branding,
                &request,
                &form,
                &username,
                Some(&format!(
                    "Too many failed attempts. Please wait {} and try again.",
                    wait(retry_after)
                )),
                StatusCode::TOO_MANY_REQUESTS,
            )?;
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(retry_after.max(1)),
            );
            Ok(response)
        }
        Err(_) => login_page(
            &req,
            &services,
            &branding,
            &request,
            &form,
            &username,
            Some(WRONG_CREDENTIALS),
            StatusCode::UNAUTHORIZED,
        ),
    }
}

/// "5 seconds", "2 minutes": the throttle's wait, for people.
fn wait(seconds: i64) -> String {
    match seconds.max(1) {
        1 => "a second".into(),
        s if s < 120 => format!("{s} seconds"),
        s => format!("{} minutes", (s + 59) / 60),
    }
}
