//! The JWS algorithms our keys sign with (RFC 7518 §3.1 names).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A signature algorithm a key of ours signs with. Every key has exactly one, and a token
/// is only ever verified with the algorithm of the key its `kid` names (RFC 8725 §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum SigningAlg {
    /// Ed25519 (RFC 8037): the default for access tokens, tens of microseconds a signature.
    EdDSA,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3): what OpenID Connect Core §15.1
    /// requires for ID tokens, and what some gateways only verify.
    RS256,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 2] = [SigningAlg::EdDSA, SigningAlg::RS256];

    /// The `alg` header and JWK parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::EdDSA => "EdDSA",
            SigningAlg::RS256 => "RS256",
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of ours: `none`, `HS256`, a typo.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unsupported signing algorithm {0:?}: expected EdDSA or RS256")]
pub struct UnsupportedAlg(pub String);

impl FromStr for SigningAlg {
    type Err = UnsupportedAlg;

    /// Exact names only: JOSE `alg` values are case-sensitive (RFC 7515 §4.1.1).
    fn from_str(name: &str) -> Result<SigningAlg, UnsupportedAlg> {
        SigningAlg::ALL
            .into_iter()
            .find(|alg| alg.as_str() == name)
            .ok_or_else(|| UnsupportedAlg(name.to_owned()))
    }
}

impl TryFrom<String> for SigningAlg {
    type Error = UnsupportedAlg;

    fn try_from(name: String) -> Result<SigningAlg, UnsupportedAlg> {
        name.parse()
    }
}

impl From<SigningAlg> for &'static str {
    fn from(alg: SigningAlg) -> &'static str {
        alg.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_nothing_else_parses() {
        for alg in SigningAlg::ALL {
            assert_eq!(alg.as_str().parse(), Ok(alg));
        }
        for name in ["none", "HS256", "rs256", "eddsa", "ES256", ""] {
            assert_eq!(name.parse::<SigningAlg>(), Err(UnsupportedAlg(name.into())));
        }
    }
}
