//! The HTTP edge. Extractors parse the request ([`client_request`] for the OAuth forms,
//! [`BearerToken`] for protected resources, `admin::Caller` for the admin API), handlers call the domain's use cases, and
//! their errors become responses in one place ([`error`]). No rule lives here.

mod admin;
mod bearer;
mod client_auth;
mod client_request;
mod discovery;
mod error;
mod form;
mod health;
mod html;
mod introspect;
mod location;
pub mod metrics;
mod openapi;
mod query;
mod request_span;
mod revoke;
pub mod routes;
mod self_service;
mod sign_in;
mod token;
mod token_params;
mod userinfo;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App};
use ciam_domain::Services;

pub use bearer::{BearerToken, MAX_BEARER_TOKEN_BYTES};
pub use error::{ApiError, RedirectTarget};
pub use metrics::Exposition;
pub use request_span::REQUEST_ID;
pub use sign_in::Branding;

/// Largest request body read: every OAuth form here fits in far less.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// How long a whole request body may take to arrive once the headers are in (actix bounds
/// the headers themselves). A client trickling a body, or declaring more than it sends, is
/// answered `408` and its connection closed, instead of holding a worker's connection open.
pub const BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// Registers every route on an actix app:
/// `App::new().configure(ciam_http::routes(services, branding))`.
pub fn routes(services: Services, branding: Branding) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        // RFC 6749 §5.1: token responses (and errors) carry no-store / no-cache.
        let no_store = DefaultHeaders::new()
            .add((header::CACHE_CONTROL, "no-store"))
            .add((header::PRAGMA, "no-cache"));
        cfg.app_data(web::Data::new(services))
            .app_data(web::Data::new(branding))
            .service(
                web::scope(routes::OAUTH_SCOPE)
                    .wrap(no_store)
                    .service(post_only(routes::TOKEN.in_scope, token::token))
                    .service(post_only(routes::REVOKE.in_scope, revoke::revoke))
                    .service(post_only(
                        routes::INTROSPECT.in_scope,
                        introspect::introspect,
                    ))
                    .service(get_or_post(
                        routes::AUTHORIZE.in_scope,
                        sign_in::authorize_by_get,
                        sign_in::authorize_by_post,
                    ))
                    .service(post_only(routes::LOGIN.in_scope, sign_in::login))
                    .service(get_or_post(
                        routes::LOGOUT.in_scope,
                        sign_in::logout_by_get,
                        sign_in::logout_by_post,
                    ))
                    .service(get_only(routes::LOGIN_CSS.in_scope, sign_in::stylesheet))
                    .service(
                        // OpenID Connect Core §5.3.1: GET or POST reads; PATCH writes
                        // (RFC 5789, with a JSON Merge Patch, RFC 7396).
                        web::resource(routes::USERINFO.in_scope)
                            .route(web::get().to(userinfo::userinfo))
                            .route(web::post().to(userinfo::userinfo))
                            .route(web::patch().to(self_service::update_profile))
                            .default_service(web::to(error::method_not_allowed_get_post_patch)),
                    )
                    .service(post_only(
                        routes::PASSWORD.in_scope,
                        self_service::change_password,
                    ))
                    .service(post_only(
                        routes::PASSWORD_RESET.in_scope,
                        self_service::request_reset,
                    ))
                    .service(post_only(
                        routes::PASSWORD_RESET_CONFIRM.in_scope,
                        self_service::confirm_reset,
                    ))
                    .service(get_only(routes::JWKS.in_scope, discovery::jwks))
                    .default_service(web::to(error::not_found)),
            )
            .service(
                web::scope(routes::ADMIN_API)
                    // Profiles and revocation outcomes are nobody's to cache.
                    .wrap(
                        DefaultHeaders::new()
                            .add((header::CACHE_CONTROL, "no-store"))
                            .add((header::PRAGMA, "no-cache")),
                    )
                    .service(admin_resource(
                        routes::ADMIN_REVOKE_USER.in_scope,
                        web::post().to(admin::revoke_user),
                        error::problem_method_not_allowed_post,
                    ))
                    .service(admin_resource(
                        routes::ADMIN_REVOKE_CLIENT.in_scope,
                        web::post().to(admin::revoke_client),
                        error::problem_method_not_allowed_post,
                    ))
                    .service(admin_resource(
                        routes::ADMIN_DISABLE_USER.in_scope,
                        web::post().to(admin::disable_user),
                        error::problem_method_not_allowed_post,
                    ))
                    .service(admin_resource(
                        routes::ADMIN_ENABLE_USER.in_scope,
                        web::post().to(admin::enable_user),
                        error::problem_method_not_allowed_post,
                    ))
                    .service(
                        admin_resource(
                            routes::ADMIN_USER_SESSIONS.in_scope,
                            web::get().to(admin::list_user_sessions),
                            error::problem_method_not_allowed_get,
                        )
                        .route(web::head().to(admin::list_user_sessions)),
                    )
                    .service(admin_resource(
                        routes::ADMIN_USER_SESSION.in_scope,
                        web::delete().to(admin::end_user_session),
                        error::problem_method_not_allowed_delete,
                    ))
                    .service(
                        admin_resource(
                            routes::ADMIN_USER_GRANTS.in_scope,
                            web::get().to(admin::list_user_grants),
                            error::problem_method_not_allowed_get,
                        )
                        .route(web::head().to(admin::list_user_grants)),
                    )
                    .service(admin_resource(
                        routes::ADMIN_USER_GRANT.in_scope,
                        web::delete().to(admin::revoke_user_grant),
                        error::problem_method_not_allowed_delete,
                    ))
                    .service(
                        admin_resource(
                            routes::ADMIN_USER.in_scope,
                            web::get().to(admin::get_user),
                            error::problem_method_not_allowed_user,
                        )
                        .route(web::head().to(admin::get_user))
                        .route(web::patch().to(admin::update_user))
                        .route(web::delete().to(admin::delete_user)),
                    )
                    .service(
                        admin_resource(
                            routes::ADMIN_AUDIT.in_scope,
                            web::get().to(admin::list_audit),
                            error::problem_method_not_allowed_get_head,
                        )
                        .route(web::head().to(admin::list_audit)),
                    )
                    .service(
                        admin_resource(
                            routes::ADMIN_USERS.in_scope,
                            web::get().to(admin::list_users),
                            error::problem_method_not_allowed_users,
                        )
                        .route(web::head().to(admin::list_users))
                        .route(web::post().to(admin::create_user)),
                    )
                    .service(
                        admin_resource(
                            routes::ADMIN_CLIENT.in_scope,
                            web::get().to(admin::get_client),
                            error::problem_method_not_allowed_user,
                        )
                        .route(web::head().to(admin::get_client))
                        .route(web::patch().to(admin::update_client))
                        .route(web::delete().to(admin::delete_client)),
                    )
                    .service(
                        admin_resource(
                            routes::ADMIN_CLIENTS.in_scope,
                            web::get().to(admin::list_clients),
                            error::problem_method_not_allowed_users,
                        )
                        .route(web::head().to(admin::list_clients))
                        .route(web::post().to(admin::create_client)),
                    )
                    .service(admin_resource(
                        routes::ADMIN_CLIENT_SECRET.in_scope,
                        web::post().to(admin::rotate_client_secret),
                        error::problem_method_not_allowed_post,
                    ))
                    .service(admin_resource(
                        routes::ADMIN_ROTATE_KEYS.in_scope,
                        web::post().to(admin::rotate_signing_key),
                        error::problem_method_not_allowed_post,
                    ))
                    .default_service(web::to(error::problem_not_found)),
            )
            .service(get_only(
                routes::OPENID_CONFIGURATION,
                discovery::openid_configuration,
            ))
            .service(get_only(
                routes::OAUTH_AUTHORIZATION_SERVER,
                discovery::oauth_authorization_server,
            ))
            .service(get_only(routes::HEALTHZ, health::healthz))
            .service(get_only(routes::READYZ, health::readyz))
            .service(get_only(routes::OPENAPI, openapi::document));
    }
}

/// The whole application with the default branding and no `/metrics`: see [`app_with`].
pub fn app(
    services: Services,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    app_with(services, Branding::default(), None)
}

/// The whole application: routes, a JSON 404 for unknown paths, a tracing span and metrics
/// per request, and `GET /metrics` when `metrics` is given (`None` when metrics have a
/// listener of their own, [`metrics_app`]: here the path is then an unknown one). The
/// binary serves it; the integration tests drive the same one.
pub fn app_with(
    services: Services,
    branding: Branding,
    metrics: Option<Exposition>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let exposition = metrics.map(web::Data::new);
    App::new()
        .wrap(from_fn(request_span::request_span))
        // Outermost: times the whole request, the span's work included.
        .wrap(from_fn(metrics::record))
        .configure(routes(services, branding))
        .configure(|cfg| {
            if let Some(exposition) = exposition {
                cfg.service(get_only(routes::METRICS, metrics::exposition).app_data(exposition));
            }
        })
        .default_service(web::to(error::not_found))
}

/// The metrics listener's application (`CIAM_METRICS_LISTEN`): `GET /metrics` alone.
pub fn metrics_app(
    exposition: Exposition,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(exposition))
        .service(get_only(routes::METRICS, metrics::exposition))
        .default_service(web::to(error::not_found))
}

fn post_only<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::post().to(handler))
        .default_service(web::to(error::method_not_allowed_post))
}

/// An admin API resource: its route, and a problem-details 405 for any other method.
fn admin_resource<F, Fut>(
    path: &str,
    route: actix_web::Route,
    wrong_method: F,
) -> actix_web::Resource
where
    F: Fn() -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = actix_web::HttpResponse> + 'static,
{
    web::resource(path)
        .route(route)
        .default_service(web::to(wrong_method))
}

/// OpenID Connect lets these endpoints take their parameters by GET or by form POST
/// (Core §3.1.2.1, §5.3.1; RP-Initiated Logout §2).
fn get_or_post<G, GArgs, P, PArgs>(path: &str, by_get: G, by_post: P) -> actix_web::Resource
where
    G: actix_web::Handler<GArgs>,
    GArgs: actix_web::FromRequest + 'static,
    G::Output: actix_web::Responder + 'static,
    P: actix_web::Handler<PArgs>,
    PArgs: actix_web::FromRequest + 'static,
    P::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(by_get))
        .route(web::post().to(by_post))
        .default_service(web::to(error::method_not_allowed_get_post))
}

fn get_only<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(error::method_not_allowed_get))
}

/// Runs a blocking domain call (store I/O) off the async workers, inside the request's
/// span: a 503 logged in there names its method, path and request id.
async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    web::block(move || span.in_scope(work))
        .await
        .map_err(|_| ApiError::unavailable("the blocking worker pool is gone"))?
}
