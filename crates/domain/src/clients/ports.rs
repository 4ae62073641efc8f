//! What client registration and authentication need from the store.

use crate::audit::AuditEvent;
use crate::clients::model::Client;
use crate::error::StoreError;
use crate::ids::ClientId;
use crate::revocation::model::Revocation;
use crate::time::UnixTime;

pub trait ClientStore: Send + Sync {
    /// MUST return `Ok(None)` only when the client does not exist, never on an outage.
    fn find_client(&self, id: &ClientId) -> Result<Option<Client>, StoreError>;
    /// MUST fail with `Duplicate` if the id exists.
    fn insert_client(&self, client: &Client, audit: &AuditEvent) -> Result<(), StoreError>;
    fn list_clients(&self) -> Result<Vec<Client>, StoreError>;
    /// In one transaction: marks every grant of the client revoked at `now`, deletes its
    /// refresh tokens and the client. Returns the denylist entries the revoked grants need
    /// (those with access tokens still alive), or `None` if there was no such client.
    fn delete_client(
        &self,
        id: &ClientId,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<Option<Vec<Revocation>>, StoreError>;
}
