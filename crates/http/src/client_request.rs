//! What every endpoint a client calls with a form (token, revocation, introspection) reads
//! before the domain is asked anything, in one order:
//!
//! 1. the form itself ([`Form::read`]: content type, credentials in the URI, size, deadline,
//!    syntax, repeated parameters);
//! 2. the client's credentials ([`ClientAuth::extract`]: RFC 6749 §2.3);
//! 3. the endpoint's own parameters ([`FromForm`]), whose error is *kept*, not returned:
//!    the handler reports it only once the client is authenticated, so an unauthenticated
//!    caller learns nothing from it.
//!
//! Authenticating the client is left to the handler, inside `blocking`: it may read the
//! store.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

use crate::client_auth::ClientAuth;
use crate::form::Form;
use crate::ApiError;

/// An endpoint's parameters, taken out of its form.
pub(crate) trait FromForm: Sized {
    fn from_form(form: &mut Form, req: &HttpRequest) -> Result<Self, ApiError>;
}

/// A client's request: its credentials, not yet checked, and its parameters or why they are
/// wrong.
pub(crate) struct ClientRequest<T> {
    pub auth: ClientAuth,
    /// Report only after `auth.authenticate(..)` succeeded.
    pub params: Result<T, ApiError>,
}

impl<T: FromForm + 'static> FromRequest for ClientRequest<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let mut form = Form::read(&req, payload).await?;
            let auth = ClientAuth::extract(&req, &form)?;
            let params = T::from_form(&mut form, &req);
            Ok(ClientRequest { auth, params })
        })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header;
    use actix_web::test::TestRequest;
    use ciam_domain::GrantRequest;

    use super::*;
    use crate::token_params::TokenParams;

    const FORM: &str = "application/x-www-form-urlencoded";

    async fn extract<T: FromForm + 'static>(
        req: TestRequest,
    ) -> Result<ClientRequest<T>, ApiError> {
        let (req, mut payload) = req.to_http_parts();
        ClientRequest::<T>::from_request(&req, &mut payload).await
    }

    fn form(body: &'static str) -> TestRequest {
        TestRequest::post()
            .insert_header((header::CONTENT_TYPE, FORM))
            .set_payload(body)
    }

    fn code<T>(result: &Result<T, ApiError>) -> Option<&'static str> {
        result.as_ref().err().and_then(ApiError::code)
    }

    #[actix_web::test]
    async fn the_form_is_checked_before_the_client() {
        let req = TestRequest::post()
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .set_payload("{}");
        assert_eq!(
            code(&extract::<TokenParams>(req).await),
            Some("invalid_request")
        );
        let repeated = form("client_id=a&client_id=b&token=t");
        assert_eq!(
            code(&extract::<TokenParams>(repeated).await),
            Some("invalid_request")
        );
    }

    #[actix_web::test]
    async fn the_client_is_checked_before_the_parameters() {
        // Neither credentials nor a grant type: the client's error, not the grant's.
        let result = extract::<GrantRequest>(form("scope=read")).await;
        assert_eq!(code(&result), Some("invalid_client"));
    }

    #[actix_web::test]
    async fn parameter_errors_are_kept_for_after_authentication() {
        let result = extract::<GrantRequest>(form("client_id=app&grant_type=implicit")).await;
        let Ok(ClientRequest { auth, params }) = result else {
            panic!("the client's credentials were readable");
        };
        assert_eq!(auth.credentials.client_id, "app");
        assert_eq!(code(&params), Some("unsupported_grant_type"));

        let result = extract::<TokenParams>(form("client_id=app")).await;
        let Ok(ClientRequest { params, .. }) = result else {
            panic!("the client's credentials were readable");
        };
        assert_eq!(code(&params), Some("invalid_request"));
    }

    #[actix_web::test]
    async fn parameters_are_parsed() {
        let body = "client_id=app&token=abc&token_type_hint=refresh_token";
        let Ok(ClientRequest { params, .. }) = extract::<TokenParams>(form(body)).await else {
            panic!("a valid request");
        };
        let Ok(TokenParams { token, hint }) = params else {
            panic!("valid parameters");
        };
        assert_eq!(token, "abc");
        assert_eq!(hint, Some(ciam_domain::TokenTypeHint::RefreshToken));
    }
}
