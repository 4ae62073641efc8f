//! Client management for operators (`ClientAdminStore`): a page of clients by id, and the
//! two changes made to one, each an update and a read of the row in one transaction, so
//! the client returned is the one written.

use ciam_domain::ports::ClientAdminStore;
use ciam_domain::{AuditEvent, Client, ClientId, SecretHash, StoreError};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use crate::connection::AnyConnection;
use crate::error::store_error;
use crate::rows::ClientRow;
use crate::schema::clients;
use crate::DieselStore;

/// The client as it now is, inside the transaction that changed it, with the change's
/// audit entry written; `None` (and no entry) if `changed` rows is 0.
fn reread(
    conn: &mut AnyConnection,
    id: &ClientId,
    changed: usize,
    audit: &AuditEvent,
) -> Result<Option<ClientRow>, DieselError> {
    if changed == 0 {
        return Ok(None);
    }
    crate::audit::insert(conn, &[audit])?;
    clients::table
        .find(id.as_str())
        .select(ClientRow::as_select())
        .first(conn)
        .optional()
}

impl ClientAdminStore for DieselStore {
    fn list_clients_page(
        &self,
        after: Option<&ClientId>,
        limit: usize,
    ) -> Result<Vec<Client>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut query = clients::table
            .select(ClientRow::as_select())
            .order(clients::id)
            .limit(limit)
            .into_boxed();
        if let Some(after) = after {
            query = query.filter(clients::id.gt(after.as_str().to_owned()));
        }
        query
            .load(&mut *self.conn()?)
            .map_err(store_error)?
            .into_iter()
            .map(Client::try_from)
            .collect()
    }

    fn set_client_redirect_uris(
        &self,
        id: &ClientId,
        redirect_uris: &[String],
        audit: &AuditEvent,
    ) -> Result<Option<Client>, StoreError> {
        // Stored space-separated, as `ClientRow::from` does: registered URIs have no space
        // (redirect_uri::check).
        let joined = redirect_uris.join(" ");
        let row = self
            .conn()?
            .transaction::<_, DieselError, _>(|conn| {
                let changed = diesel::update(clients::table.find(id.as_str()))
                    .set(clients::redirect_uris.eq(&joined))
                    .execute(conn)?;
                reread(conn, id, changed, audit)
            })
            .map_err(store_error)?;
        row.map(Client::try_from).transpose()
    }

    fn set_client_secret(
        &self,
        id: &ClientId,
        secret_hash: &SecretHash,
        audit: &AuditEvent,
    ) -> Result<Option<Client>, StoreError> {
        let row = self
            .conn()?
            .transaction::<_, DieselError, _>(|conn| {
                // Only a confidential client's hash is replaced: a public one stays public.
                let changed = diesel::update(
                    clients::table
                        .find(id.as_str())
                        .filter(clients::secret_hash.is_not_null()),
                )
                .set(clients::secret_hash.eq(secret_hash.as_str()))
                .execute(conn)?;
                reread(conn, id, changed, audit)
            })
            .map_err(store_error)?;
        row.map(Client::try_from).transpose()
    }
}
