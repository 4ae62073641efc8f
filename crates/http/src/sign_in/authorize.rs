//! `GET`/`POST /oauth2/authorize` (RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.1: both
//! methods, the parameters in the query or in a form body).

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{Decision, Services};

use super::{code_redirect, login_page, on_page, params_of, refused, session_cookie, Branding};
use crate::error::RedirectTarget;
use crate::form::Form;
use crate::ApiError;

pub(crate) async fn authorize(
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
