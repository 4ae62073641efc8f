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
use super::{path_id, Caller};
use crate::{routes, ApiError};

/// A client as the admin API shows it (the CLI's `ciam client show` has the same members).
#[derive(Serialize)]
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
#[derive(Serialize)]
struct WithSecret {
    #[serde(flatten)]
    client: ClientResponse,
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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
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

#[derive(Serialize)]
struct ClientList {
    clients: Vec<ClientResponse>,
    /// The `after` of the next page; `null` on the last one.
    next: Option<String>,
}

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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    redirect_uris: Vec<String>,
}

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
