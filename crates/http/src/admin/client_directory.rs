//! `POST /admin/v1/clients` (register), `GET /admin/v1/clients` (list, keyset paging),
//! `GET`, `PATCH` (redirect URIs) and `DELETE /admin/v1/clients/{client_id}`, and
//! `POST /admin/v1/clients/{client_id}/secret` (rotate). A secret is in the answer that
//! made it and in no other: never its hash either.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use ciam_domain::{ClientDraft, ClientView, Secret};
use serde::{Deserialize, Serialize};

use super::json_body::read_json;
use super::user_directory::ListQuery;
use super::{path_id, AdminAuthResponses, Caller};
use crate::error::problem::Problem;
use crate::{routes, ApiError};

/// A client as the admin API shows it (the CLI's `ciam client show` has the same members).
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Client)]
struct ClientResponse {
    client_id: String,
    name: String,
    grant_types: Vec<&'static str>,
    scope: String,
    public: bool,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    backchannel_logout_uri: Option<String>,
    /// Unix seconds.
    created_at: i64,
}

impl From<ClientView> for ClientResponse {
    fn from(client: ClientView) -> Self {
        ClientResponse {
            client_id: client.id.to_string(),
            name: client.name,
            grant_types: client.grant_types.iter().map(|g| g.as_str()).collect(),
            scope: client.scope.to_string(),
            public: client.public,
            redirect_uris: client.redirects.redirect_uris,
            post_logout_redirect_uris: client.redirects.post_logout_redirect_uris,
            backchannel_logout_uri: client.redirects.backchannel_logout_uri,
            created_at: client.created_at.0,
        }
    }
}

/// A client with the secret just made for it: the one answer that carries it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ClientWithSecret)]
struct WithSecret {
    #[serde(flatten)]
    client: ClientResponse,
    /// Shown this once; absent for a public client.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

impl WithSecret {
    fn new(client: ClientView, secret: Option<Secret>) -> WithSecret {
        WithSecret {
            client: client.into(),
            client_secret: secret.map(|s| s.expose().to_owned()),
        }
    }
}

/// The members of `ciam client create`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewClient)]
struct CreateBody {
    name: String,
    grant_types: Vec<String>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    #[serde(default)]
    backchannel_logout_uri: Option<String>,
}

/// Register a client
///
/// A confidential client gets a secret, in this answer only.
#[utoipa::path(
    post,
    path = routes::ADMIN_CLIENTS.path,
    tag = "admin",
    request_body(content = CreateBody, content_type = "application/json"),
    responses(
        (status = 201, description = "Registered; `Location` names the client", body = WithSecret, headers(("Location" = String))),
        (status = 422, description = "A value is not acceptable (grant types, scope, URIs)", content_type = "application/problem+json", body = Problem),
        (status = 400, description = "The body is not the JSON object this endpoint takes", content_type = "application/problem+json", body = Problem),
        AdminAuthResponses,
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD, POST`)", content_type = "application/problem+json", body = Problem),
        (status = 413, description = "The body is over 16 KiB", content_type = "application/problem+json", body = Problem),
        (status = 415, description = "The body is not application/json", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn create_client(
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: CreateBody = read_json(&req, payload).await?;
    let draft = ClientDraft {
        name: body.name,
        grant_types: body.grant_types,
        scope: body.scope,
        public: body.public,
        redirect_uris: body.redirect_uris,
        post_logout_redirect_uris: body.post_logout_redirect_uris,
        backchannel_logout_uri: body.backchannel_logout_uri,
    };
    let (client, secret) = caller
        .act(move |services, caller| services.admin.create_client(caller, draft))
        .await?;
    // RFC 9110 §15.3.2: a 201 names the new resource in Location.
    let location = routes::ADMIN_CLIENT
        .path
        .replace("{client_id}", client.id.as_str());
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(WithSecret::new(client, secret)))
}

/// Read a client
///
/// Never its secret or the secret's hash.
#[utoipa::path(
    method(get, head),
    path = routes::ADMIN_CLIENT.path,
    tag = "admin",
    params(("client_id" = String, Path, description = "The client's id")),
    responses(
        (status = 200, description = "The client", body = ClientResponse),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD, PATCH, DELETE`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn get_client(
    caller: Caller,
    client_id: Result<web::Path<String>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path_id(client_id)?;
    let client = caller
        .act(move |services, caller| services.admin.get_client(caller, &client_id))
        .await?;
    Ok(HttpResponse::Ok().json(ClientResponse::from(client)))
}

#[derive(Serialize, utoipa::ToSchema)]
struct ClientList {
    clients: Vec<ClientResponse>,
    /// The `after` of the next page; `null` on the last one.
    next: Option<String>,
}

/// List clients
///
/// By id, a page at a time (keyset paging). Each parameter at most once; empty ones are absent.
#[utoipa::path(
    method(get, head),
    path = routes::ADMIN_CLIENTS.path,
    tag = "admin",
    params(("limit" = Option<u32>, Query, description = "Page size, 1 to 200 (default 50)"), ("after" = Option<String>, Query, description = "The `next` of the previous page")),
    responses(
        (status = 200, description = "A page of clients", body = ClientList),
        (status = 400, description = "A malformed or repeated query parameter", content_type = "application/problem+json", body = Problem),
        AdminAuthResponses,
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD, POST`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn list_clients(
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = ListQuery::parse(req.query_string())?;
    let (clients, next) = caller
        .act(move |services, caller| {
            services
                .admin
                .list_clients(caller, query.limit, query.after.as_deref())
        })
        .await?;
    Ok(HttpResponse::Ok().json(ClientList {
        clients: clients.into_iter().map(ClientResponse::from).collect(),
        next: next.map(|id| id.to_string()),
    }))
}

/// What a client's `PATCH` changes: its redirect URIs, replaced whole.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ClientPatch)]
struct PatchBody {
    redirect_uris: Vec<String>,
}

/// Replace a client's redirect URIs
///
///
#[utoipa::path(
    patch,
    path = routes::ADMIN_CLIENT.path,
    tag = "admin",
    params(("client_id" = String, Path, description = "The client's id")),
    request_body(content = PatchBody, content_type = "application/json"),
    responses(
        (status = 200, description = "The client after the change", body = ClientResponse),
        (status = 422, description = "A redirect URI is not acceptable", content_type = "application/problem+json", body = Problem),
        (status = 400, description = "The body is not the JSON object this endpoint takes", content_type = "application/problem+json", body = Problem),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD, PATCH, DELETE`)", content_type = "application/problem+json", body = Problem),
        (status = 413, description = "The body is over 16 KiB", content_type = "application/problem+json", body = Problem),
        (status = 415, description = "The body is not application/json", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn update_client(
    caller: Caller,
    client_id: Result<web::Path<String>, actix_web::Error>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let client_id = path_id(client_id)?;
    let body: PatchBody = read_json(&req, payload).await?;
    let client = caller
        .act(move |services, caller| {
            services
                .admin
                .set_client_redirect_uris(caller, &client_id, body.redirect_uris)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ClientResponse::from(client)))
}

/// Give a confidential client a new secret
///
/// The old secret stops working at once; the new one is in this answer only.
#[utoipa::path(
    post,
    path = routes::ADMIN_CLIENT_SECRET.path,
    tag = "admin",
    params(("client_id" = String, Path, description = "The client's id")),
    responses(
        (status = 200, description = "The client with its new secret", body = WithSecret),
        (status = 409, description = "A public client has no secret to rotate", content_type = "application/problem+json", body = Problem),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: POST`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn rotate_client_secret(
    caller: Caller,
    client_id: Result<web::Path<String>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path_id(client_id)?;
    let (client, secret) = caller
        .act(move |services, caller| services.admin.rotate_client_secret(caller, &client_id))
        .await?;
    Ok(HttpResponse::Ok().json(WithSecret::new(client, Some(secret))))
}

/// Delete a client
///
/// Its tokens are revoked first: the 204 means durable and visible.
#[utoipa::path(
    delete,
    path = routes::ADMIN_CLIENT.path,
    tag = "admin",
    params(("client_id" = String, Path, description = "The client's id")),
    responses(
        (status = 204, description = "Deleted"),
        AdminAuthResponses,
        (status = 404, description = "No such id", content_type = "application/problem+json", body = Problem),
        (status = 405, description = "Method not allowed (`Allow: GET, HEAD, PATCH, DELETE`)", content_type = "application/problem+json", body = Problem),
    ),
    security(("admin_token" = ["ciam:admin"])),
)]
pub(crate) async fn delete_client(
    caller: Caller,
    client_id: Result<web::Path<String>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path_id(client_id)?;
    caller
        .act(move |services, caller| services.admin.delete_client(caller, &client_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
