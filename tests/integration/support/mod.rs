//! Builds the real application on real adapters, and small helpers to drive it.

pub mod app;
pub mod browser_session;
pub mod http;
pub mod nodes;
pub mod peer_transport;
pub mod scrape;
pub mod server;

pub use app::{Kind, TestApp, TestClient};
pub use http::Auth;
