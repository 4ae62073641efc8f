//! `PATCH /oauth2/userinfo`: a user updates their own name and email with an access token
//! carrying `profile:write` (docs/accounts.md, "Updating the profile"). The body is a JSON
//! Merge Patch (RFC 7396) of the UserInfo claims: an absent member is kept, `null` removes
//! it, a string replaces it.

use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{FieldChange, ProfileChange, Services, PROFILE_WRITE_SCOPE};
use serde_json::{Map, Value};

use super::caller;
use crate::error::json::ErrorBody as OAuthError;
use crate::form::{has_content_type, read_limited};
use crate::userinfo::UserInfoResponse;
use crate::{blocking, routes, ApiError, BearerToken};

/// A JSON Merge Patch (RFC 7396) of the profile: an absent member is kept, `null` removes
/// it, a string replaces it. No other member.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Documentation: the body is read by `parse`.
struct ProfilePatchBody {
    name: Option<String>,
    /// A changed address is unverified.
    email: Option<String>,
}

/// Update the profile
///
/// The user's own name and email, with an access token carrying `profile:write`.
#[utoipa::path(
    patch,
    path = routes::USERINFO.path,
    tag = "self-service",
    request_body(content(
        (ProfilePatchBody = "application/merge-patch+json"),
        (ProfilePatchBody = "application/json"),
    )),
    responses(
        (status = 200, description = "The user's claims after the change", body = UserInfoResponse),
        (status = 400, description = "invalid_request: not a JSON object of name and email, or a wrong content type", body = OAuthError),
        (status = 401, description = "No token (an empty body and a bare `WWW-Authenticate: Bearer`), or invalid_token", body = OAuthError),
        (status = 403, description = "insufficient_scope: the token lacks `profile:write`", body = OAuthError),
        (status = 405, description = "Method not allowed (`Allow: GET, POST, PATCH`)", body = OAuthError),
        (status = 503, description = "temporarily_unavailable; see `Retry-After`", body = OAuthError),
    ),
    security(("user_token" = ["profile:write"])),
)]
pub(crate) async fn update_profile(
    req: HttpRequest,
    token: BearerToken,
    payload: web::Payload,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller(&services, &req, token, Some(PROFILE_WRITE_SCOPE)).await?;
    if !has_content_type(&req, "application/merge-patch+json")
        && !has_content_type(&req, "application/json")
    {
        return Err(ApiError::invalid_request(
            "content type must be application/merge-patch+json or application/json",
        ));
    }
    let body = read_limited(&req, &mut payload.into_inner()).await?;
    let change = parse(&body)?;
    let claims =
        blocking(move || Ok(services.self_service.update_profile(&caller, change)?)).await?;
    Ok(HttpResponse::Ok().json(UserInfoResponse::from(claims)))
}

fn parse(body: &[u8]) -> Result<ProfileChange, ApiError> {
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(body) else {
        return Err(ApiError::invalid_request("the body must be a JSON object"));
    };
    let change = ProfileChange {
        name: field(&mut object, "name")?,
        email: field(&mut object, "email")?,
    };
    if !object.is_empty() {
        return Err(ApiError::invalid_request(
            "only name and email can be changed",
        ));
    }
    Ok(change)
}

fn field(object: &mut Map<String, Value>, name: &str) -> Result<FieldChange, ApiError> {
    match object.remove(name) {
        None => Ok(FieldChange::Keep),
        Some(Value::Null) => Ok(FieldChange::Remove),
        Some(Value::String(value)) => Ok(FieldChange::Set(value)),
        Some(_) => Err(ApiError::invalid_request(
            "name and email must be strings or null",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_merge_patch_keeps_removes_or_sets() {
        let change = parse(br#"{"name":null,"email":"a@example.com"}"#).expect("valid");
        assert_eq!(change.name, FieldChange::Remove);
        assert_eq!(change.email, FieldChange::Set("a@example.com".into()));
        assert_eq!(parse(b"{}").expect("valid"), ProfileChange::default());
        for bad in [
            &br#"{"name":1}"#[..],
            br#"{"email_verified":true}"#,
            br#"{"sub":"x"}"#,
            b"[]",
            b"",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
