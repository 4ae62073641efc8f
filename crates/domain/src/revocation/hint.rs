//! `token_type_hint` (RFC 7009 §2.1, RFC 7662 §2.1): which kind of token to look for first.

use std::str::FromStr;

/// `token_type_hint` (RFC 7009 §2.1). Only orders the lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenTypeHint {
    AccessToken,
    RefreshToken,
}

impl FromStr for TokenTypeHint {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        match value {
            "access_token" => Ok(TokenTypeHint::AccessToken),
            "refresh_token" => Ok(TokenTypeHint::RefreshToken),
            _ => Err(()),
        }
    }
}

impl TokenTypeHint {
    /// RFC 7009 §2.1: if the token is not found under the hinted type, the server MUST
    /// extend its search across all of its supported token types. An absent or unknown
    /// hint searches access tokens first: they are the common case and need no store read.
    pub(crate) fn lookup_order(hint: Option<TokenTypeHint>) -> [TokenTypeHint; 2] {
        match hint {
            Some(TokenTypeHint::RefreshToken) => {
                [TokenTypeHint::RefreshToken, TokenTypeHint::AccessToken]
            }
            _ => [TokenTypeHint::AccessToken, TokenTypeHint::RefreshToken],
        }
    }
}
