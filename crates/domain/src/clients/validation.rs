//! What a client's registration may hold, checked before anything is stored: one rule per
//! field, each with a fixed sentence the admin API answers as its `detail` (docs/admin-api.md)
//! and the CLI prints, there followed by the reason a URI was refused.

use super::register::NewClient;
use crate::client::{GrantType, Redirects};
use crate::clients::redirect_uri;
use crate::input::is_name;

/// Which field of a new or changed client is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidClient {
    #[error("{}", self.detail())]
    Name,
    #[error("{}", self.detail())]
    GrantTypes,
    #[error("{}", self.detail())]
    Scope,
    #[error("{}", self.detail())]
    PublicClientCredentials,
    /// A redirect URI is refused, for the reason `redirect_uri::check` gives.
    #[error("{}: {}", self.detail(), .0)]
    RedirectUri(&'static str),
    #[error("{}", self.detail())]
    RedirectUriRequired,
    #[error("{}: {}", self.detail(), .0)]
    PostLogoutRedirectUri(&'static str),
    #[error("{}: {}", self.detail(), .0)]
    BackchannelLogoutUri(&'static str),
}

impl InvalidClient {
    /// The sentence saying what the field must be.
    pub fn detail(self) -> &'static str {
        // 200 is MAX_NAME_LEN and 2000 redirect_uri::MAX_URI_LEN (a test holds them equal).
        match self {
            InvalidClient::Name => "name must be 1 to 200 bytes, without control characters",
            InvalidClient::GrantTypes => {
                "grant_types must be one or more of authorization_code, client_credentials, password, refresh_token"
            }
            InvalidClient::Scope => {
                "scope must be space-delimited scope tokens: printable ASCII without '\"' or '\\'"
            }
            InvalidClient::PublicClientCredentials => {
                "a public client cannot use the client_credentials grant"
            }
            InvalidClient::RedirectUri(_) => {
                "each redirect URI must be an absolute https URI (http only on 127.0.0.1, [::1] or localhost) or a private-use scheme like com.example.app, without a fragment or userinfo, 1 to 2000 printable ASCII bytes"
            }
            InvalidClient::RedirectUriRequired => {
                "an authorization_code client needs at least one redirect URI"
            }
            InvalidClient::PostLogoutRedirectUri(_) => {
                "each post-logout redirect URI must be an absolute https URI (http only on 127.0.0.1, [::1] or localhost) or a private-use scheme like com.example.app, without a fragment or userinfo, 1 to 2000 printable ASCII bytes"
            }
            InvalidClient::BackchannelLogoutUri(_) => {
                "backchannel_logout_uri must be an https URL (http only on 127.0.0.1, [::1] or localhost), without a fragment or userinfo, 1 to 2000 printable ASCII bytes"
            }
        }
    }
}

/// Every rule a new client must pass; `name` as it will be stored (trimmed).
pub(crate) fn check_new_client(name: &str, new: &NewClient) -> Result<(), InvalidClient> {
    if !is_name(name) {
        return Err(InvalidClient::Name);
    }
    if new.grant_types.is_empty() {
        return Err(InvalidClient::GrantTypes);
    }
    if new.public && new.grant_types.contains(&GrantType::ClientCredentials) {
        // RFC 6749 §4.4: the client credentials grant is for confidential clients only.
        return Err(InvalidClient::PublicClientCredentials);
    }
    check_redirects(&new.redirects, &new.grant_types)
}

/// Every URI is one a browser may safely be sent to (see `redirect_uri::check`), and a
/// client of the authorization code grant has at least one redirect URI (RFC 6749 §3.1.2.2:
/// confidential clients MUST, public ones MUST register; we require it of all).
pub(crate) fn check_redirects(
    redirects: &Redirects,
    grant_types: &[GrantType],
) -> Result<(), InvalidClient> {
    for uri in &redirects.redirect_uris {
        redirect_uri::check(uri).map_err(InvalidClient::RedirectUri)?;
    }
    for uri in &redirects.post_logout_redirect_uris {
        redirect_uri::check(uri).map_err(InvalidClient::PostLogoutRedirectUri)?;
    }
    if let Some(uri) = &redirects.backchannel_logout_uri {
        redirect_uri::check(uri).map_err(InvalidClient::BackchannelLogoutUri)?;
        // Back-Channel Logout 1.0 §2.2: the logout token travels to the RP's server; over
        // plain http it could be read on the way (loopback excepted, for development).
        if !uri.starts_with("https://") && !uri.starts_with("http://") {
            return Err(InvalidClient::BackchannelLogoutUri("must be an https URL"));
        }
    }
    if grant_types.contains(&GrantType::AuthorizationCode) && redirects.redirect_uris.is_empty() {
        return Err(InvalidClient::RedirectUriRequired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::MAX_NAME_LEN;

    #[test]
    fn the_sentences_state_the_limits_in_force() {
        assert!(InvalidClient::Name
            .detail()
            .contains(&format!("1 to {MAX_NAME_LEN} bytes")));
        for uri in [
            InvalidClient::RedirectUri(""),
            InvalidClient::PostLogoutRedirectUri(""),
            InvalidClient::BackchannelLogoutUri(""),
        ] {
            assert!(uri
                .detail()
                .contains(&format!("1 to {} printable", redirect_uri::MAX_URI_LEN)));
        }
        for grant in GrantType::ALL {
            assert!(InvalidClient::GrantTypes.detail().contains(grant.as_str()));
        }
    }

    #[test]
    fn the_cli_hears_why_a_uri_was_refused() {
        let refused = InvalidClient::RedirectUri("must not contain a fragment (RFC 6749 §3.1.2)");
        assert!(refused
            .to_string()
            .ends_with(": must not contain a fragment (RFC 6749 §3.1.2)"));
        assert!(refused.to_string().starts_with(refused.detail()));
    }
}
