//! What client registration and authentication need from the store.

use crate::audit::AuditEvent;
use crate::clients::model::Client;
use crate::error::StoreError;
use crate::ids::ClientId;
use crate::revocation::model::Revocation;
use crate::secret::SecretHash;
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

/// What operators' client management needs beyond registration: a page of clients, and
/// the two changes the admin API and the CLI make to one. Each change is one statement on
/// one row, so it is atomic on its own.
pub trait ClientAdminStore: Send + Sync {
    /// Up to `limit` clients in `id` order, those after `after` only when it is `Some`; the
    /// order and `after` compare alike, so keyset paging neither skips nor repeats a client.
    /// (Generated ids are lowercase hex, which every collation orders as bytes.) An `after`
    /// that names no client still bounds the page.
    fn list_clients_page(
        &self,
        after: Option<&ClientId>,
        limit: usize,
    ) -> Result<Vec<Client>, StoreError>;
    /// Replaces the client's redirect URIs (RFC 6749 §3.1.2), every other field kept.
    /// Returns the client as it now is, `None` if there is no such client.
    fn set_client_redirect_uris(
        &self,
        id: &ClientId,
        redirect_uris: &[String],
        audit: &AuditEvent,
    ) -> Result<Option<Client>, StoreError>;
    /// Replaces the secret hash of a confidential client: the old secret no longer matches.
    /// MUST leave a public client (no hash) untouched, so that it never gains a secret.
    /// Returns the client as it now is, `None` if there is no such confidential client.
    fn set_client_secret(
        &self,
        id: &ClientId,
        secret_hash: &SecretHash,
        audit: &AuditEvent,
    ) -> Result<Option<Client>, StoreError>;
}
