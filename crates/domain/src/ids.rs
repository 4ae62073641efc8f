//! Identifier newtypes, so a grant id can never be passed where a client id is meant.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a value read from a trusted source (the store, a verified token).
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

identifier!(
    /// An OAuth client's `client_id` (RFC 6749 §2.2).
    ClientId
);
identifier!(
    /// A resource owner's stable id, the `sub` of tokens issued for them.
    UserId
);
identifier!(
    /// One refresh-token family: every refresh token and access token issued from one
    /// authorization, across rotations. Carried in access tokens as the `gid` claim.
    GrantId
);
identifier!(
    /// A browser session's public id: the `sid` claim of ID tokens and logout tokens
    /// (OpenID Connect Front-/Back-Channel Logout). Not the cookie's secret.
    SessionId
);
identifier!(
    /// A JWT's `jti` (RFC 7519 §4.1.7).
    Jti
);
identifier!(
    /// A signing key's `kid` (RFC 7517 §4.5).
    Kid
);
