//! Registering, listing and deleting clients, as the CLI and the admin API drive them.

use super::manage::ClientChangeError;
use super::validation::check_new_client;
use super::Clients;
use crate::audit::{AuditAction, Initiator};
use crate::client::{Client, GrantType, Redirects};
use crate::error::AdminError;
use crate::ids::ClientId;
use crate::input::is_client_id;
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
    /// line (`ciam client create`); see [`Clients::register`].
    pub fn create_client(&self, new: NewClient) -> Result<(Client, Option<Secret>), AdminError> {
        self.register(new, &Initiator::cli())
            .map_err(|error| match error {
                ClientChangeError::Unavailable(fault) => AdminError::Unavailable(fault),
                invalid => AdminError::Invalid(invalid.to_string()),
            })
    }

    /// Registers a client, audited as done by `by`, saying which rule a refused client
    /// broke.
    pub fn register(
        &self,
        new: NewClient,
        by: &Initiator,
    ) -> Result<(Client, Option<Secret>), ClientChangeError> {
        let name = new.name.trim();
        check_new_client(name, &new).map_err(ClientChangeError::Invalid)?;
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
        let audit = by.event(now, AuditAction::ClientDeleted).client(&id);
        let deleted = self.core.ports.store.delete_client(&id, now, &audit)?;
        // After the store's write: a read racing it cannot put the client back (cache.rs).
        self.cache.forget(&id);
        let Some(revoked) = deleted else {
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
