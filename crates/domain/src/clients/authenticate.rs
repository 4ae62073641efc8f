//! Client authentication (RFC 6749 §2.3).

use std::sync::Arc;

use super::{AuthError, Clients};
use crate::client::Client;
use crate::ids::ClientId;
use crate::input::is_client_id;
use crate::secret::{hex_matches, Secret};

/// Credentials as the HTTP edge extracted them, from Basic or from the body.
#[derive(Clone, Debug)]
pub struct ClientCredentials {
    pub client_id: String,
    /// `None` for a public client authenticating by `client_id` alone (RFC 7009 §5).
    pub secret: Option<Secret>,
}

/// What an unknown client's secret is compared with: 64 hex digits, as a stored hash,
/// that no SHA-256 output is known to match.
const UNKNOWN_CLIENT_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

impl Clients {
    /// Authenticates a client. Every failure is the same `invalid_client`, so the answer
    /// does not tell which part was wrong.
    pub fn authenticate(&self, credentials: &ClientCredentials) -> Result<Client, AuthError> {
        // An id that cannot be one (a NUL, which Postgres refuses) names no client: it is
        // not looked up, so it can never be mistaken for an outage.
        let client = if is_client_id(&credentials.client_id) {
            self.find_cached(&ClientId::new(credentials.client_id.as_str()))?
        } else {
            None
        };
        check(client, credentials)
    }

    /// [`Clients::authenticate`] from memory alone, for a caller that must not wait on the
    /// store (an event loop): `None` when the answer needs a store read.
    pub fn authenticate_from_memory(
        &self,
        credentials: &ClientCredentials,
    ) -> Option<Result<Client, AuthError>> {
        let client = if is_client_id(&credentials.client_id) {
            self.cached(&ClientId::new(credentials.client_id.as_str()))?
        } else {
            None
        };
        Some(check(client, credentials))
    }
}

/// The credentials against the registered client (`None`: no such client).
fn check(
    client: Option<Arc<Client>>,
    credentials: &ClientCredentials,
) -> Result<Client, AuthError> {
    // The client is copied out of the cache only on success: a failure must cost the
    // same for known and unknown ids.
    match (client, &credentials.secret) {
        (Some(client), Some(secret)) => match &client.secret_hash {
            // RFC 6749 §2.3.1: compared in constant time (SecretHash::matches).
            Some(hash) if hash.matches(secret) => Ok(Client::clone(&client)),
            _ => Err(AuthError::InvalidClient),
        },
        (Some(client), None) if client.is_public() => Ok(Client::clone(&client)),
        (None, Some(secret)) => {
            // Same work as a known client, so timing does not reveal which ids exist;
            // black_box keeps the optimiser from dropping work whose result is unused.
            std::hint::black_box(hex_matches(UNKNOWN_CLIENT_HASH, secret));
            Err(AuthError::InvalidClient)
        }
        _ => Err(AuthError::InvalidClient),
    }
}
