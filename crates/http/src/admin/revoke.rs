//! `POST /admin/v1/users/{user_id}/revoke` and `POST /admin/v1/clients/{client_id}/revoke`:
//! everything of a user or a client issued until now is revoked (a not-before cut-off).
//! A 200 means durable and visible to resource servers, as for RFC 7009 revocation.

use actix_web::{web, HttpResponse};
use ciam_domain::ports::BulkRevoked;
use serde::Serialize;

use super::{path_id, Caller};
use crate::ApiError;

#[derive(Serialize)]
struct Revoked {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    grants_revoked: usize,
    sessions_ended: usize,
}

impl Revoked {
    fn of(revoked: &BulkRevoked) -> Revoked {
        Revoked {
            user_id: None,
            client_id: None,
            grants_revoked: revoked.grant_count,
            sessions_ended: revoked.session_count,
        }
    }
}

pub(crate) async fn revoke_user(
    caller: Caller,
    user_id: Result<web::Path<String>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let user_id = path_id(user_id)?;
    let target = user_id.clone();
    let revoked = caller
        .act(move |services, caller| services.admin.revoke_user(caller, &target))
        .await?;
    Ok(HttpResponse::Ok().json(Revoked {
        user_id: Some(user_id),
        ..Revoked::of(&revoked)
    }))
}

pub(crate) async fn revoke_client(
    caller: Caller,
    client_id: Result<web::Path<String>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let client_id = path_id(client_id)?;
    let target = client_id.clone();
    let revoked = caller
        .act(move |services, caller| services.admin.revoke_client(caller, &target))
        .await?;
    Ok(HttpResponse::Ok().json(Revoked {
        client_id: Some(client_id),
        ..Revoked::of(&revoked)
    }))
}
