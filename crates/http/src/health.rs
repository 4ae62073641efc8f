//! `GET /healthz` (the process answers) and `GET /readyz` (its dependencies answer).

use actix_web::{web, HttpResponse};
use ciam_domain::Services;
use serde::Serialize;

use crate::{blocking, routes, ApiError};

#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    /// Always `ok`.
    status: &'static str,
}

/// Liveness
///
/// The process answers.
#[utoipa::path(
    method(get, head),
    path = routes::HEALTHZ,
    tag = "operations",
    responses((status = 200, description = "Alive", body = Health)),
)]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

#[derive(Serialize, utoipa::ToSchema)]
struct Readiness {
    /// `ready` or `unavailable`.
    status: &'static str,
    /// `ok` or `unavailable`.
    store: &'static str,
    /// `ok` or `unavailable`.
    denylist: &'static str,
}

fn state(result: &Result<(), String>, name: &str) -> &'static str {
    match result {
        Ok(()) => "ok",
        Err(detail) => {
            tracing::warn!(dependency = name, %detail, "not ready");
            "unavailable"
        }
    }
}

/// Readiness
///
/// The store and the denylist answer.
#[utoipa::path(
    method(get, head),
    path = routes::READYZ,
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "A dependency does not answer", body = Readiness),
    ),
)]
pub(crate) async fn readyz(services: web::Data<Services>) -> Result<HttpResponse, ApiError> {
    let readiness = blocking(move || Ok(services.readiness())).await?;
    let body = Readiness {
        status: if readiness.is_ready() {
            "ready"
        } else {
            "unavailable"
        },
        store: state(&readiness.store, "store"),
        denylist: state(&readiness.denylist, "denylist"),
    };
    Ok(if readiness.is_ready() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    })
}
