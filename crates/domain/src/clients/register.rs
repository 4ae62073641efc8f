//! Registering, listing and deleting clients, as the CLI (and later the admin API) drives
//! them.

use super::Clients;
use crate::audit::{AuditAction, Initiator};
use crate::client::{Client, GrantType, Redirects};
use crate::clients::redirect_uri;
use crate::error::AdminError;
use crate::ids::ClientId;
use crate::input::{is_client_id, is_name, MAX_NAME_LEN};
use crate::kernel::{ID_BYTES, SECRET_BYTES};
use crate::ports::BulkRevoked;
use crate::revocation::CutoffKind;
use crate::scope::Scope;
use crate::secret::Secret;

#[derive(Debug, Clone)]
pub struct NewClient {
    pub name: String,
    pub grant_types: Vec<GrantType>,
    pub scope: Scope,
    pub public: bool,
    pub redirects: Redirects,
}

impl Clients {
    /// Registers a client. The secret (confidential clients only) is returned here and
    /// never again: only its hash is stored. Audited as done by an operator at the command
    /// line (`ciam client create`); see [`Clients::create_client_by`].
    pub fn create_client(&self, new: NewClient) -> Result<(Client, Option<Secret>), AdminError> {
        self.create_client_by(new, &Initiator::cli())
    }

    /// Registers a client, audited as done by `by`.
    pub fn create_client_by(
        &self,
        new: NewClient,
        by: &Initiator,
    ) -> Result<(Client, Option<Secret>), AdminError> {
        let name = new.name.trim();
        if !is_name(name) {
            return Err(AdminError::Invalid(format!(
                "client name must be 1 to {MAX_NAME_LEN} printable characters"
            )));
        }
        if new.grant_types.is_empty() {
            return Err(AdminError::Invalid(
                "a client needs at least one grant type".into(),
            ));
        }
        if new.public && new.grant_types.contains(&GrantType::ClientCredentials) {
            // RFC 6749 §4.4: the client credentials grant is for confidential clients only.
            return Err(AdminError::Invalid(
                "a public client cannot use the client_credentials grant".into(),
            ));
        }
        check_redirects(&new.redirects, &new.grant_types)?;
        let mut grant_types = new.grant_types;
        grant_types.sort();
        grant_types.dedup();
        let secret = (!new.public).then(|| Secret::new(self.core.random_string(SECRET_BYTES)));
        let client = Client {
            id: ClientId::new(self.core.random_hex(ID_BYTES)),
            name: name.to_owned(),
            secret_hash: secret.as_ref().map(Secret::hash),
            grant_types,
            scope: new.scope,
            created_at: self.core.now(),
            redirects: new.redirects,
        };
        let audit = self
            .core
            .audit(by, AuditAction::ClientCreated)
            .client(&client.id);
        self.core.ports.store.insert_client(&client, &audit)?;
        Ok((client, secret))
    }

    pub fn list_clients(&self) -> Result<Vec<Client>, AdminError> {
        Ok(self.core.ports.store.list_clients()?)
    }

    pub fn find_client(&self, id: &str) -> Result<Option<Client>, AdminError> {
        if !is_client_id(id) {
            return Ok(None);
        }
        Ok(self.core.ports.store.find_client(&ClientId::new(id))?)
    }

    /// Deletes a client and revokes everything of it first (a client cut-off: its
    /// `client_credentials` tokens too, which carry no grant), so no token of it works.
    pub fn delete_client(&self, id: &str, by: &Initiator) -> Result<bool, AdminError> {
        if self.find_client(id)?.is_none() {
            return Ok(false);
        }
        self.revocation
            .revoke_everything_of(CutoffKind::Client, id, by)?;
        let now = self.core.now();
        let id = ClientId::new(id);
        self.cache.forget(&id);
        let audit = by.event(now, AuditAction::ClientDeleted).client(&id);
        let Some(revoked) = self.core.ports.store.delete_client(&id, now, &audit)? else {
            return Ok(false);
        };
        self.revocation.deny(&revoked, now)?;
        Ok(true)
    }

    /// Revokes every token of the client issued until now (a client cut-off): its secret
    /// leaked, or it misbehaves. `None` when there is no such client.
    pub fn revoke_everything(
        &self,
        id: &str,
        by: &Initiator,
    ) -> Result<Option<BulkRevoked>, AdminError> {
        if self.find_client(id)?.is_none() {
            return Ok(None);
        }
        Ok(Some(self.revocation.revoke_everything_of(
            CutoffKind::Client,
            id,
            by,
        )?))
    }
}

/// Every URI is one a browser may safely be sent to (see `redirect_uri::check`), and a
/// client of the authorization code grant has at least one redirect URI (RFC 6749 §3.1.2.2:
/// confidential clients MUST, public ones MUST register; we require it of all).
fn check_redirects(redirects: &Redirects, grant_types: &[GrantType]) -> Result<(), AdminError> {
    let every = redirects
        .redirect_uris
        .iter()
        .map(|uri| ("redirect URI", uri))
        .chain(
            redirects
                .post_logout_redirect_uris
                .iter()
                .map(|uri| ("post-logout redirect URI", uri)),
        )
        .chain(
            redirects
                .backchannel_logout_uri
                .iter()
                .map(|uri| ("back-channel logout URI", uri)),
        );
    for (what, uri) in every {
        redirect_uri::check(uri)
            .map_err(|why| AdminError::Invalid(format!("the {what} {uri:?} {why}")))?;
    }
    if grant_types.contains(&GrantType::AuthorizationCode) && redirects.redirect_uris.is_empty() {
        return Err(AdminError::Invalid(
            "an authorization_code client needs at least one redirect URI".into(),
        ));
    }
    if let Some(uri) = &redirects.backchannel_logout_uri {
        // Back-Channel Logout 1.0 §2.2: the logout token travels to the RP's server; over
        // plain http it could be read on the way (loopback excepted, for development).
        if !uri.starts_with("https://") && !uri.starts_with("http://") {
            return Err(AdminError::Invalid(format!(
                "the back-channel logout URI {uri:?} must be an https URL"
            )));
        }
    }
    Ok(())
}
