//! ciam's integration tests, linked into one binary.
//!
//! - `http_*`: every endpoint through the real actix app on the real adapters (`http_admin`:
//!   the admin API; `http_admin_users`: its user management; `http_audit`: the audit trail).
//! - `blackbox`: the built `ciam` binary, driven by its CLI and over real HTTP
//!   (`blackbox_nodes`: several `ciam serve` on one database; `two_nodes`: two on one
//!   Postgres and one Redis, what one does the other sees).
//! - `oauth2_peer`: a third-party OAuth client (the `oauth2` crate) against the server.
//! - `oidc_peer`: a third-party OpenID Connect relying party (the `openidconnect` crate)
//!   against the built server, through the hosted login page.
//! - `hexagon`: the dependency directions of docs/architecture.md.
//! - `prune`: expired rows leave the store (through the real app and adapters).

mod support;

mod backchannel_logout;
mod blackbox;
mod blackbox_audit;
mod blackbox_clients;
mod blackbox_metrics;
mod blackbox_nodes;
mod blackbox_revoke;
mod blackbox_user_activity;
mod blackbox_users;
mod browser_sign_in;
mod compose;
mod faults;
mod faults_cluster;
mod hexagon;
mod hostile;
mod hostile_inputs;
mod http_admin;
mod http_admin_activity;
mod http_admin_clients;
mod http_admin_users;
mod http_audit;
mod http_discovery;
mod http_full_stack;
mod http_introspect;
mod http_metrics;
mod http_openapi;
mod http_revoke;
mod http_self_service;
mod http_sign_in;
mod http_signing_algs;
mod http_token;
mod http_userinfo;
mod logs;
mod oauth2_peer;
mod oidc_peer;
mod prune;
mod shutdown;
mod two_nodes;
