//! Client authentication (RFC 6749 §2.3).

use super::TokenService;
use crate::client::Client;
use crate::error::OAuthError;
use crate::ids::ClientId;
use crate::secret::{Secret, SecretHash};

/// Credentials as the HTTP edge extracted them, from Basic or from the body.
#[derive(Clone, Debug)]
pub struct ClientCredentials {
    pub client_id: String,
    /// `None` for a public client authenticating by `client_id` alone (RFC 7009 §5).
    pub secret: Option<Secret>,
}

/// Longest `client_id` looked up: ours are 32 characters; anything much longer is junk.
const MAX_CLIENT_ID_LEN: usize = 256;

impl TokenService {
    /// Authenticates a client. Every failure is the same `invalid_client`, so the answer
    /// does not tell which part was wrong.
    pub fn authenticate(&self, credentials: &ClientCredentials) -> Result<Client, OAuthError> {
        if credentials.client_id.is_empty() || credentials.client_id.len() > MAX_CLIENT_ID_LEN {
            return Err(OAuthError::InvalidClient);
        }
        let client = self.find_client_cached(&ClientId::new(credentials.client_id.as_str()))?;
        match (client, &credentials.secret) {
            (Some(client), Some(secret)) => match &client.secret_hash {
                // RFC 6749 §2.3.1: compared in constant time (SecretHash::matches).
                Some(hash) if hash.matches(secret) => Ok(client),
                _ => Err(OAuthError::InvalidClient),
            },
            (Some(client), None) if client.is_public() => Ok(client),
            (None, Some(secret)) => {
                // Same work as a known client, so timing does not reveal which ids exist.
                let _ = SecretHash::of(secret.expose());
                Err(OAuthError::InvalidClient)
            }
            _ => Err(OAuthError::InvalidClient),
        }
    }
}
