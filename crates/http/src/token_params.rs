//! The parameters of revocation (RFC 7009 §2.1) and introspection (RFC 7662 §2.1): the
//! same two.

use actix_web::HttpRequest;
use ciam_domain::TokenTypeHint;

use crate::client_request::FromForm;
use crate::form::Form;
use crate::ApiError;

/// The revocation and introspection form (RFC 7009 §2.1, RFC 7662 §2.1).
#[derive(utoipa::ToSchema)]
#[schema(as = TokenLookupForm)]
#[allow(dead_code)] // Documentation: the form is parsed by `FromForm` below.
pub(crate) struct TokenForm {
    /// The token: an access token or a refresh token.
    token: String,
    /// `access_token` or `refresh_token`: only orders the lookup; unknown hints are ignored.
    token_type_hint: Option<String>,
    /// client_secret_post, or a public client's id.
    client_id: Option<String>,
    /// client_secret_post.
    client_secret: Option<String>,
}

pub(crate) struct TokenParams {
    pub token: String,
    pub hint: Option<TokenTypeHint>,
}

impl FromForm for TokenParams {
    fn from_form(form: &mut Form, _: &HttpRequest) -> Result<Self, ApiError> {
        let token = form
            .take("token")
            .ok_or(ApiError::invalid_request("token is required"))?;
        // RFC 7009 §2.1: an unknown hint is ignored; the search covers every type anyway.
        let hint = form
            .get("token_type_hint")
            .and_then(|hint| hint.parse::<TokenTypeHint>().ok());
        Ok(TokenParams { token, hint })
    }
}
