//! `GET /healthz` (the process answers) and `GET /readyz` (its dependencies answer).

use actix_web::{web, HttpResponse};
use ciam_domain::Services;
use serde::Serialize;

use crate::{blocking, ApiError};

pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

#[derive(Serialize)]
struct Readiness {
    status: &'static str,
    store: &'static str,
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
