//! A resource server protecting `GET /hello` (scope `read`) with ciam access tokens.
//!
//! ```sh
//! # against the embedded default (no Redis): introspection, as a confidential client
//! CIAM_ISSUER=http://127.0.0.1:8080 RESOURCE_DENYLIST=introspection \
//!     RESOURCE_CLIENT_ID=$ID RESOURCE_CLIENT_SECRET=$SECRET \
//!     cargo run -p ciam-resource --example resource_server
//! # against the full stack: the synced in-memory denylist (or `redis`)
//! CIAM_ISSUER=http://127.0.0.1:8080 RESOURCE_DENYLIST=synced CIAM_REDIS_URL=redis://127.0.0.1:6379 \
//!     cargo run -p ciam-resource --example resource_server
//! curl -i localhost:8081/hello -H "Authorization: Bearer $ACCESS"
//! ```
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CIAM_ISSUER` | `http://127.0.0.1:8080` | the issuer (its `iss` and discovery) |
//! | `RESOURCE_AUDIENCE` | the issuer | the `aud` accepted |
//! | `RESOURCE_DENYLIST` | `introspection` | `synced`, `redis` or `introspection` |
//! | `CIAM_REDIS_URL` | `redis://127.0.0.1:6379` | synced and redis modes |
//! | `CIAM_REDIS_PREFIX` | `ciam` | synced and redis modes |
//! | `RESOURCE_DENYLIST_CONTRACT` | `v2` | synced and redis modes: the Redis contract read, `v2` or `v1` (docs/redis-denylist.md) |
//! | `RESOURCE_CLIENT_ID`, `RESOURCE_CLIENT_SECRET` | none | introspection mode |
//! | `RESOURCE_LISTEN` | `127.0.0.1:8081` | address to bind |
//! | `RUST_LOG` | `info` | log level (stderr) |

use std::time::Duration;

use actix_web::{get, web, App, HttpResponse, HttpServer};
use ciam_resource::actix::{Authenticated, BearerError};
use ciam_resource::{
    ContractVersion, DenylistConfig, IntrospectionConfig, RedisConfig, SyncedConfig, Verifier,
    VerifierConfig,
};

#[get("/hello")]
async fn hello(token: Authenticated) -> Result<HttpResponse, BearerError> {
    token.require_scope("read")?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "hello": token.sub,
        "client_id": token.client_id,
        "scope": token.scope,
    })))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn config() -> Result<VerifierConfig, String> {
    let issuer = env("CIAM_ISSUER").unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let audience = env("RESOURCE_AUDIENCE").unwrap_or_else(|| issuer.clone());
    let redis_url = env("CIAM_REDIS_URL").unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let prefix = env("CIAM_REDIS_PREFIX").unwrap_or_else(|| "ciam".into());
    let mode = env("RESOURCE_DENYLIST").unwrap_or_else(|| "introspection".into());
    let contract = match env("RESOURCE_DENYLIST_CONTRACT").as_deref() {
        None | Some("v2") => ContractVersion::V2,
        Some("v1") => ContractVersion::V1,
        Some(other) => return Err(format!("RESOURCE_DENYLIST_CONTRACT={other}: v1 or v2")),
    };
    let denylist = match mode.as_str() {
        "synced" => DenylistConfig::Synced(SyncedConfig {
            prefix,
            contract,
            ..SyncedConfig::new(redis_url)
        }),
        "redis" => DenylistConfig::Redis(RedisConfig {
            prefix,
            contract,
            ..RedisConfig::new(redis_url)
        }),
        "introspection" => {
            let id = env("RESOURCE_CLIENT_ID")
                .ok_or("introspection needs RESOURCE_CLIENT_ID (a confidential client)")?;
            let secret = env("RESOURCE_CLIENT_SECRET")
                .ok_or("introspection needs RESOURCE_CLIENT_SECRET")?;
            DenylistConfig::Introspection(IntrospectionConfig::new(id, secret))
        }
        other => {
            return Err(format!(
                "RESOURCE_DENYLIST={other}: synced, redis or introspection"
            ))
        }
    };
    Ok(VerifierConfig::new(issuer, audience, denylist))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // The SDK logs through `tracing` (outages, resyncs); RUST_LOG=debug shows more.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let config = config().map_err(std::io::Error::other)?;
    let listen = env("RESOURCE_LISTEN").unwrap_or_else(|| "127.0.0.1:8081".into());
    eprintln!(
        "resource server on http://{listen}/hello, tokens of {} for {}, {:?}",
        config.issuer, config.audience, config.denylist
    );
    // Building the verifier fetches the issuer's keys, and waiting for readiness may take
    // seconds: both off the async runtime. Not being ready is not fatal: requests get 503
    // meanwhile and the verifier keeps trying.
    let verifier = web::block(move || {
        let verifier = Verifier::new(config)?;
        match verifier.wait_ready(Duration::from_secs(10)) {
            Ok(()) => eprintln!("keys fetched, denylist ready"),
            Err(rejection) => eprintln!("not ready yet ({rejection}); serving 503 meanwhile"),
        }
        Ok::<_, ciam_resource::ConfigError>(verifier)
    })
    .await
    .map_err(std::io::Error::other)?
    .map_err(std::io::Error::other)?;
    let verifier = web::Data::new(verifier);
    HttpServer::new(move || App::new().app_data(verifier.clone()).service(hello))
        .bind(listen)?
        .run()
        .await
}
