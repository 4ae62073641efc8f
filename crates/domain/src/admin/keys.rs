//! What the admin API does to signing keys: rotate them, as `ciam keys rotate` does.

use super::{Admin, AdminCaller, AdminOpError};
use crate::access_token::alg::SigningAlg;
use crate::ids::Kid;
use crate::time::UnixTime;

/// A new signing key as the admin API shows it: never key material (not even the public
/// key: the JWKS publishes that).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyView {
    pub kid: Kid,
    pub alg: SigningAlg,
    pub created_at: UnixTime,
}

impl Admin {
    /// Adds a signing key of `alg` (default: the access tokens' algorithm) and retires the
    /// others of that algorithm; they stay in the JWKS until the tokens they signed expire.
    /// This node signs with the new key at once; the others within `key_refresh_interval`
    /// (`CIAM_KEY_REFRESH_INTERVAL`).
    pub fn rotate_signing_key(
        &self,
        caller: &AdminCaller,
        alg: Option<SigningAlg>,
    ) -> Result<KeyView, AdminOpError> {
        let alg = alg.unwrap_or(self.core.config.access_token_alg);
        let key = self
            .access_tokens
            .rotate_signing_key(alg, caller.initiator())?;
        tracing::info!(
            caller = %caller.client_id(),
            kid = %key.kid,
            alg = alg.as_str(),
            "admin: signing key rotated"
        );
        Ok(KeyView {
            kid: key.kid,
            alg: key.algorithm,
            created_at: key.created_at,
        })
    }
}
