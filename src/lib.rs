//! ciam's composition root: settings, and the one place that builds the use cases from
//! them. `ciam` (the binary), the integration tests, the resource SDK's tests and the
//! examples all build it here, so a new port or service is wired once.

pub mod metrics;
pub mod secret_url;
pub mod settings;
pub mod wiring;

pub use settings::Settings;
pub use wiring::{services, services_with, WiringError};
