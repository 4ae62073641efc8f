//! `GET /oauth2/jwks` (RFC 7517 §5) and the metadata documents (RFC 8414, OpenID Discovery).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use ciam_domain::{GrantType, PublicJwk, Services};
use serde::Serialize;

use crate::error::json::ErrorBody as OAuthError;
use crate::{blocking, routes, ApiError};

/// A JWK Set (RFC 7517 §5).
#[derive(Serialize, utoipa::ToSchema)]
struct Jwks {
    /// Public keys (RFC 7517 §4): `kty`, `kid`, `use: sig`, `alg` (`EdDSA` or `RS256`) and
    /// the key's own members; retired keys stay until every token they signed has expired.
    #[schema(value_type = Vec<Object>)]
    keys: Vec<PublicJwk>,
}

/// JWKS (RFC 7517)
///
/// The public keys access tokens and ID tokens are signed with. `Cache-Control: public,
/// max-age=60`.
#[utoipa::path(
    method(get, head),
    path = routes::JWKS.path,
    tag = "discovery",
    responses(
        (status = 200, description = "The key set", body = Jwks),
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD`)", body = OAuthError),
        (status = 503, description = "temporarily_unavailable; see `Retry-After`", body = OAuthError),
    ),
)]
pub(crate) async fn jwks(services: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    let keys = blocking(move || {
        services
            .access_tokens
            .published_keys()
            .map_err(ApiError::from)
    })
    .await?;
    // Short enough that a rotated key reaches verifiers well within a token's lifetime.
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(Jwks { keys }))
}

/// RFC 8414 §2 metadata; the same document serves OpenID Connect Discovery.
#[derive(Serialize, utoipa::ToSchema)]
struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    end_session_endpoint: String,
    jwks_uri: String,
    revocation_endpoint: String,
    introspection_endpoint: String,
    grant_types_supported: Vec<&'static str>,
    response_types_supported: Vec<&'static str>,
    response_modes_supported: Vec<&'static str>,
    code_challenge_methods_supported: Vec<&'static str>,
    /// RFC 9207 §3: the authorization response carries `iss`.
    authorization_response_iss_parameter_supported: bool,
    scopes_supported: Vec<&'static str>,
    token_endpoint_auth_methods_supported: Vec<&'static str>,
    revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    subject_types_supported: Vec<&'static str>,
    claims_supported: Vec<&'static str>,
    /// OpenID Connect Discovery §3: absent means true; ciam takes no `request_uri`.
    request_uri_parameter_supported: bool,
    /// OpenID Connect Back-Channel Logout 1.0 §2.1: logout tokens, with `sid`.
    backchannel_logout_supported: bool,
    backchannel_logout_session_supported: bool,
    id_token_signing_alg_values_supported: Vec<&'static str>,
}

const SECRET_METHODS: [&str; 2] = ["client_secret_basic", "client_secret_post"];

/// OpenID Connect Discovery 1.0 §4
///
/// The provider's metadata: the same document as RFC 8414's.
#[utoipa::path(
    method(get, head),
    path = routes::OPENID_CONFIGURATION,
    tag = "discovery",
    responses(
        (status = 200, description = "The metadata", body = Metadata),
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD`)", body = OAuthError),
    ),
)]
pub(crate) async fn openid_configuration(services: web::Data<Services>) -> HttpResponse {
    metadata(&services)
}

/// OAuth 2.0 Authorization Server Metadata (RFC 8414 §3)
///
/// The same document as OpenID Connect Discovery's.
#[utoipa::path(
    method(get, head),
    path = routes::OAUTH_AUTHORIZATION_SERVER,
    tag = "discovery",
    responses(
        (status = 200, description = "The metadata", body = Metadata),
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD`)", body = OAuthError),
    ),
)]
pub(crate) async fn oauth_authorization_server(services: web::Data<Services>) -> HttpResponse {
    metadata(&services)
}

fn metadata(services: &Services) -> HttpResponse {
    let issuer = services.config().issuer.clone();
    let endpoint = |path: &str| format!("{issuer}{path}");
    let with_public = || {
        let mut methods = SECRET_METHODS.to_vec();
        methods.push("none");
        methods
    };
    HttpResponse::Ok().json(Metadata {
        authorization_endpoint: endpoint(routes::AUTHORIZE.path),
        token_endpoint: endpoint(routes::TOKEN.path),
        userinfo_endpoint: endpoint(routes::USERINFO.path),
        end_session_endpoint: endpoint(routes::LOGOUT.path),
        jwks_uri: endpoint(routes::JWKS.path),
        revocation_endpoint: endpoint(routes::REVOKE.path),
        introspection_endpoint: endpoint(routes::INTROSPECT.path),
        issuer: issuer.clone(),
        grant_types_supported: GrantType::ALL.iter().map(|g| g.as_str()).collect(),
        response_types_supported: vec!["code"],
        response_modes_supported: vec!["query"],
        // RFC 7636 §4.2: plain offers no protection against interception; S256 only.
        code_challenge_methods_supported: vec!["S256"],
        authorization_response_iss_parameter_supported: true,
        scopes_supported: vec!["openid", "profile", "email"],
        token_endpoint_auth_methods_supported: with_public(),
        // RFC 7009 §5: public clients revoke with their client_id alone.
        revocation_endpoint_auth_methods_supported: with_public(),
        // RFC 7662 §4: only authenticated (confidential) callers.
        introspection_endpoint_auth_methods_supported: SECRET_METHODS.to_vec(),
        subject_types_supported: vec!["public"],
        claims_supported: vec![
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "at_hash",
            "sid",
            "name",
            "preferred_username",
            "email",
            "email_verified",
        ],
        request_uri_parameter_supported: false,
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
        // OpenID Connect Discovery 1.0 §3: the algorithm ID tokens are signed with
        // (RS256 unless configured otherwise; Core §15.1).
        id_token_signing_alg_values_supported: vec![services.config().id_token_alg.as_str()],
    })
}
