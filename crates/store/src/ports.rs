//! The domain's store ports, implemented once for both backends.

use ciam_domain::ports::{
    AccessTokenRevocation, ClientStore, GrantStore, KeyStore, RevocationStore, UserStore,
};
use ciam_domain::{
    AuditEvent, Client, ClientId, Grant, GrantId, Jti, Profile, RefreshTokenRecord, Revocation,
    RotateOutcome, SecretHash, SigningKey, StoreError, TokenRef, UnixTime, User, UserId, UserQuery,
};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{BigInt, Text};

use crate::error::store_error;
use crate::rows::{ClientRow, GrantRow, RefreshTokenRow, SigningKeyRow, UserRow};
use crate::schema::{clients, grants, refresh_tokens, revoked_access_tokens, signing_keys, users};
use crate::DieselStore;

/// Writes `audit` if the change found its target (`found` is `Some`), and passes `found` on.
fn audited<T>(
    conn: &mut crate::connection::AnyConnection,
    found: Option<T>,
    audit: &AuditEvent,
) -> Result<Option<T>, DieselError> {
    if found.is_some() {
        crate::audit::insert(conn, &[audit])?;
    }
    Ok(found)
}

/// Errors inside a transaction: diesel's own, or a row that does not convert.
enum TxError {
    Diesel(DieselError),
    Store(StoreError),
}

impl From<DieselError> for TxError {
    fn from(error: DieselError) -> Self {
        TxError::Diesel(error)
    }
}

impl From<TxError> for StoreError {
    fn from(error: TxError) -> Self {
        match error {
            TxError::Diesel(error) => store_error(error),
            TxError::Store(error) => error,
        }
    }
}

impl ClientStore for DieselStore {
    fn find_client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        let row = clients::table
            .find(id.as_str())
            .select(ClientRow::as_select())
            .first(&mut *self.conn()?)
            .optional()
            .map_err(store_error)?;
        row.map(Client::try_from).transpose()
    }

    fn insert_client(&self, client: &Client, audit: &AuditEvent) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            diesel::insert_into(clients::table)
                .values(ClientRow::from(client))
                .execute(conn)?;
            crate::audit::insert(conn, &[audit])
        })
        .map_err(store_error)
    }

    fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        clients::table
            .order((clients::created_at, clients::id))
            .select(ClientRow::as_select())
            .load(&mut *self.conn()?)
            .map_err(store_error)?
            .into_iter()
            .map(Client::try_from)
            .collect()
    }

    fn delete_client(
        &self,
        id: &ClientId,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<Option<Vec<Revocation>>, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, TxError, _>(|conn| {
            // The write comes first so that SQLite takes its write lock before any read.
            let deleted = diesel::delete(clients::table.find(id.as_str())).execute(conn)?;
            if deleted == 0 {
                return Ok(None);
            }
            crate::audit::insert(conn, &[audit])?;
            let of_client = grants::table.filter(grants::client_id.eq(id.as_str()));
            diesel::update(of_client.filter(grants::revoked_at.is_null()))
                .set(grants::revoked_at.eq(now.0))
                .execute(conn)?;
            diesel::delete(
                refresh_tokens::table
                    .filter(refresh_tokens::grant_id.eq_any(of_client.select(grants::id))),
            )
            .execute(conn)?;
            let live: Vec<(String, i64)> = of_client
                .filter(grants::access_expires_at.gt(now.0))
                .select((grants::id, grants::access_expires_at))
                .load(conn)?;
            Ok(Some(
                live.into_iter()
                    .map(|(id, until)| Revocation::Grant {
                        grant_id: GrantId::new(id),
                        until: UnixTime(until),
                    })
                    .collect(),
            ))
        })
        .map_err(StoreError::from)
    }
}

impl UserStore for DieselStore {
    fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let row = users::table
            .filter(users::username.eq(username))
            .select(UserRow::as_select())
            .first(&mut *self.conn()?)
            .optional()
            .map_err(store_error)?;
        Ok(row.map(User::from))
    }

    fn find_user_by_id(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        let row = users::table
            .find(id.as_str())
            .select(UserRow::as_select())
            .first(&mut *self.conn()?)
            .optional()
            .map_err(store_error)?;
        Ok(row.map(User::from))
    }

    fn insert_user(&self, user: &User, audit: &AuditEvent) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            diesel::insert_into(users::table)
                .values(UserRow::from(user))
                .execute(conn)?;
            crate::audit::insert(conn, &[audit])
        })
        .map_err(store_error)
    }

    fn set_user_disabled(
        &self,
        id: &UserId,
        disabled_at: Option<UnixTime>,
        audit: &AuditEvent,
    ) -> Result<Option<User>, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            let user = users::table.find(id.as_str());
            match disabled_at {
                // The first time stays: disabling again only cuts off again.
                Some(at) => diesel::update(user.filter(users::disabled_at.is_null()))
                    .set(users::disabled_at.eq(at.0))
                    .execute(conn)?,
                None => diesel::update(user)
                    .set(users::disabled_at.eq(None::<i64>))
                    .execute(conn)?,
            };
            let found = user.select(UserRow::as_select()).first(conn).optional()?;
            audited(conn, found, audit)
        })
        .map(|row| row.map(User::from))
        .map_err(store_error)
    }

    fn update_user_profile(
        &self,
        id: &UserId,
        profile: &Profile,
        audit: &AuditEvent,
    ) -> Result<Option<User>, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            let user = users::table.find(id.as_str());
            diesel::update(user)
                .set((
                    users::name.eq(&profile.name),
                    users::email.eq(&profile.email),
                    users::email_verified.eq(profile.email_verified),
                ))
                .execute(conn)?;
            let found = user.select(UserRow::as_select()).first(conn).optional()?;
            audited(conn, found, audit)
        })
        .map(|row| row.map(User::from))
        .map_err(store_error)
    }

    fn delete_user(&self, id: &UserId, audit: &AuditEvent) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            let deleted = diesel::delete(users::table.find(id.as_str())).execute(conn)? > 0;
            if deleted {
                crate::audit::insert(conn, &[audit])?;
            }
            Ok(deleted)
        })
        .map_err(store_error)
    }

    fn list_users(&self, query: &UserQuery) -> Result<Vec<User>, StoreError> {
        crate::user_listing::list_users(&mut *self.conn()?, query)
    }
}

/// Locks the grant's row if it is not revoked (a no-op write: the lock is the point) and
/// says whether it was. A concurrent `revoke_grant` then either waits for this transaction,
/// and hands the denylist the `access_expires_at` raised here, or commits first, and the
/// re-checked WHERE finds the grant revoked. Without the lock, on Postgres, a revoked-grant
/// check reads a snapshot from before the revocation commits, and a refresh could win against
/// a committed revocation and outlive the denylist entry. (SQLite serialises writers: its
/// write lock is taken here, before any read.) Taken first, it also orders locks grant then
/// token, as `delete_client` does, so the two cannot deadlock.
fn lock_live_grant(
    conn: &mut crate::connection::AnyConnection,
    grant_id: &GrantId,
) -> Result<bool, DieselError> {
    let live = diesel::update(
        grants::table
            .find(grant_id.as_str())
            .filter(grants::revoked_at.is_null()),
    )
    .set(grants::access_expires_at.eq(grants::access_expires_at))
    .execute(conn)?;
    Ok(live == 1)
}

/// Raises a grant's `access_expires_at`, never lowers it.
fn extend_access_expiry(
    conn: &mut crate::connection::AnyConnection,
    grant_id: &GrantId,
    access_expires_at: UnixTime,
) -> Result<(), DieselError> {
    diesel::update(
        grants::table
            .find(grant_id.as_str())
            .filter(grants::access_expires_at.lt(access_expires_at.0)),
    )
    .set(grants::access_expires_at.eq(access_expires_at.0))
    .execute(conn)
    .map(drop)
}

impl GrantStore for DieselStore {
    fn create_grant(&self, grant: &Grant, first: &RefreshTokenRecord) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            diesel::insert_into(grants::table)
                .values(GrantRow::from(grant))
                .execute(conn)?;
            diesel::insert_into(refresh_tokens::table)
                .values(RefreshTokenRow::from(first))
                .execute(conn)?;
            crate::bulk_revocation::revoke_if_cut_off(conn, grant)
        })
        .map_err(store_error)
    }

    fn find_refresh_token(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<(RefreshTokenRecord, Grant)>, StoreError> {
        let row = refresh_tokens::table
            .inner_join(grants::table)
            .filter(refresh_tokens::token_hash.eq(hash.as_str()))
            .select((RefreshTokenRow::as_select(), GrantRow::as_select()))
            .first::<(RefreshTokenRow, GrantRow)>(&mut *self.conn()?)
            .optional()
            .map_err(store_error)?;
        row.map(|(token, grant)| Ok((RefreshTokenRecord::from(token), Grant::try_from(grant)?)))
            .transpose()
    }

    fn rotate_refresh_token(
        &self,
        old: &SecretHash,
        next: &RefreshTokenRecord,
        now: UnixTime,
        access_expires_at: UnixTime,
    ) -> Result<RotateOutcome, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            if !lock_live_grant(conn, &next.grant_id)? {
                return Ok(RotateOutcome::Lost);
            }
            // The compare-and-set: only a token not yet rotated, of a grant not revoked, is
            // marked. Postgres re-checks the WHERE after waiting on a concurrent writer's row
            // lock, and SQLite serialises writers, so of concurrent rotations exactly one
            // updates a row (the race behind Keycloak's CVE-2026-1035).
            let live_grants = grants::table
                .filter(grants::revoked_at.is_null())
                .select(grants::id);
            let marked = diesel::update(
                refresh_tokens::table
                    .filter(refresh_tokens::token_hash.eq(old.as_str()))
                    .filter(refresh_tokens::rotated_at.is_null())
                    .filter(refresh_tokens::grant_id.eq_any(live_grants)),
            )
            .set(refresh_tokens::rotated_at.eq(now.0))
            .execute(conn)?;
            if marked == 0 {
                return Ok(RotateOutcome::Lost);
            }
            diesel::insert_into(refresh_tokens::table)
                .values(RefreshTokenRow::from(next))
                .execute(conn)?;
            extend_access_expiry(conn, &next.grant_id, access_expires_at)?;
            Ok(RotateOutcome::Rotated)
        })
        .map_err(store_error)
    }

    fn add_refresh_token(
        &self,
        next: &RefreshTokenRecord,
        access_expires_at: UnixTime,
    ) -> Result<RotateOutcome, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            if !lock_live_grant(conn, &next.grant_id)? {
                return Ok(RotateOutcome::Lost);
            }
            extend_access_expiry(conn, &next.grant_id, access_expires_at)?;
            diesel::insert_into(refresh_tokens::table)
                .values(RefreshTokenRow::from(next))
                .execute(conn)?;
            Ok(RotateOutcome::Rotated)
        })
        .map_err(store_error)
    }

    fn revoke_grant(
        &self,
        id: &GrantId,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<Option<Grant>, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, TxError, _>(|conn| {
            diesel::update(
                grants::table
                    .find(id.as_str())
                    .filter(grants::revoked_at.is_null()),
            )
            .set(grants::revoked_at.eq(now.0))
            .execute(conn)?;
            let row = grants::table
                .find(id.as_str())
                .select(GrantRow::as_select())
                .first(conn)
                .optional()?;
            let grant = row
                .map(Grant::try_from)
                .transpose()
                .map_err(TxError::Store)?;
            if let Some(grant) = &grant {
                // Whose grant it was, which the caller may not have known.
                let mut audit = audit.clone();
                audit.client_id = Some(grant.client_id.clone());
                audit.user_id = Some(UserId::new(grant.subject.as_str()));
                crate::audit::insert(conn, &[&audit])?;
            }
            Ok(grant)
        })
        .map_err(StoreError::from)
    }
}

impl RevocationStore for DieselStore {
    fn revoke_access_tokens(&self, batch: &[AccessTokenRevocation]) -> Result<(), StoreError> {
        self.revocations.revoke(batch)
    }

    fn is_revoked(&self, token: &TokenRef<'_>) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let token_revoked = diesel::select(diesel::dsl::exists(
            revoked_access_tokens::table.find(token.jti.as_str()),
        ))
        .get_result::<bool>(&mut *conn)
        .map_err(store_error)?;
        if token_revoked {
            return Ok(true);
        }
        if let Some(grant_id) = token.grant_id {
            let grant_revoked = diesel::select(diesel::dsl::exists(
                grants::table
                    .find(grant_id.as_str())
                    .filter(grants::revoked_at.is_not_null()),
            ))
            .get_result::<bool>(&mut *conn)
            .map_err(store_error)?;
            if grant_revoked {
                return Ok(true);
            }
        }
        crate::bulk_revocation::is_cut_off(
            &mut conn,
            token.subject,
            token.client_id,
            token.issued_at,
        )
        .map_err(store_error)
    }

    fn live_revocations(&self, now: UnixTime) -> Result<Vec<Revocation>, StoreError> {
        let mut conn = self.conn()?;
        let tokens: Vec<(String, i64)> = revoked_access_tokens::table
            .filter(revoked_access_tokens::expires_at.gt(now.0))
            .select((
                revoked_access_tokens::jti,
                revoked_access_tokens::expires_at,
            ))
            .load(&mut *conn)
            .map_err(store_error)?;
        let revoked_grants: Vec<(String, i64)> = grants::table
            .filter(grants::revoked_at.is_not_null())
            .filter(grants::access_expires_at.gt(now.0))
            .select((grants::id, grants::access_expires_at))
            .load(&mut *conn)
            .map_err(store_error)?;
        let tokens = tokens
            .into_iter()
            .map(|(jti, until)| Revocation::AccessToken {
                jti: Jti::new(jti),
                until: UnixTime(until),
            });
        let revoked_grants = revoked_grants
            .into_iter()
            .map(|(id, until)| Revocation::Grant {
                grant_id: GrantId::new(id),
                until: UnixTime(until),
            });
        let mut live: Vec<Revocation> = tokens.chain(revoked_grants).collect();
        live.extend(crate::bulk_revocation::live_cutoffs(&mut conn, now)?);
        Ok(live)
    }

    fn prune_expired(&self, cutoff: UnixTime, batch: usize) -> Result<usize, StoreError> {
        let limit = i64::try_from(batch).unwrap_or(i64::MAX);
        let mut conn = self.conn()?;
        // Each statement is its own short transaction (a statement is atomic on its own) and
        // deletes at most `batch` rows, through `IN (SELECT … LIMIT)`, the bounded DELETE both
        // backends understand. Refresh tokens go first, so a grant whose last token goes now
        // can go in the same call.
        let mut deleted = 0;
        for sql in [
            PRUNE_REFRESH_TOKENS,
            PRUNE_REVOKED_ACCESS_TOKENS,
            PRUNE_CODES,
            PRUNE_SESSIONS,
            PRUNE_CUTOFFS,
            PRUNE_PASSWORD_RESETS,
        ] {
            deleted += diesel::sql_query(sql)
                .bind::<BigInt, _>(cutoff.0)
                .bind::<BigInt, _>(cutoff.0)
                .bind::<BigInt, _>(limit)
                .execute(&mut *conn)
                .map_err(store_error)?;
        }
        // Finished grants are found by a plain read, outside any write: the search may pass
        // many grants whose access tokens expired but whose refresh tokens live on (idle
        // sessions), and a DELETE would hold SQLite's write lock all along. The DELETE then
        // checks the conditions again, on rows a concurrent rotation may have changed.
        let finished: Vec<GrantIdRow> = diesel::sql_query(FIND_FINISHED_GRANTS)
            .bind::<BigInt, _>(cutoff.0)
            .bind::<BigInt, _>(limit)
            .load(&mut *conn)
            .map_err(store_error)?;
        if !finished.is_empty() {
            let mut sql = String::from(DELETE_FINISHED_GRANTS);
            let placeholders: Vec<String> =
                (0..finished.len()).map(|i| format!("${}", i + 2)).collect();
            sql.push_str(&placeholders.join(", "));
            sql.push(')');
            let mut query = diesel::sql_query(sql)
                .into_boxed()
                .bind::<BigInt, _>(cutoff.0);
            for grant in finished {
                query = query.bind::<Text, _>(grant.id);
            }
            deleted += query.execute(&mut *conn).map_err(store_error)?;
        }
        Ok(deleted)
    }

    fn ping(&self) -> Result<(), StoreError> {
        diesel::sql_query("SELECT 1")
            .execute(&mut *self.conn()?)
            .map(drop)
            .map_err(store_error)
    }
}

// The pruning statements: $1 and $2 are the cutoff, $3 the batch size (the outer condition
// repeats the inner one for Postgres, which re-checks it on the row version it deletes).
// Indexed: migrations/*/2026-12-04-000000_prune_indexes.

const PRUNE_CODES: &str = "DELETE FROM authorization_codes WHERE expires_at <= $1 \
     AND code_hash IN (SELECT code_hash FROM authorization_codes WHERE expires_at <= $2 LIMIT $3)";

const PRUNE_CUTOFFS: &str = "DELETE FROM revocation_cutoffs WHERE until <= $1 \
     AND (kind, id) IN (SELECT kind, id FROM revocation_cutoffs WHERE until <= $2 LIMIT $3)";

const PRUNE_PASSWORD_RESETS: &str = "DELETE FROM password_resets WHERE expires_at <= $1 \
     AND code_hash IN (SELECT code_hash FROM password_resets WHERE expires_at <= $2 LIMIT $3)";

const PRUNE_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at <= $1 \
     AND id IN (SELECT id FROM sessions WHERE expires_at <= $2 LIMIT $3)";

const PRUNE_REFRESH_TOKENS: &str = "DELETE FROM refresh_tokens WHERE expires_at <= $1 \
     AND token_hash IN (SELECT token_hash FROM refresh_tokens WHERE expires_at <= $2 LIMIT $3)";

const PRUNE_REVOKED_ACCESS_TOKENS: &str = "DELETE FROM revoked_access_tokens \
     WHERE expires_at <= $1 AND jti IN \
     (SELECT jti FROM revoked_access_tokens WHERE expires_at <= $2 LIMIT $3)";

/// Grants no token of which can be live: $1 the cutoff, $2 the batch size.
const FIND_FINISHED_GRANTS: &str = "SELECT g.id FROM grants g WHERE g.access_expires_at <= $1 \
     AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.grant_id = g.id) LIMIT $2";

/// Followed by the ids ($2, $3, …) and `)`. The conditions are checked again: a grace-period
/// successor (`add_refresh_token`) may have been added since the read, and it raises
/// `access_expires_at` past the cutoff, which Postgres re-checks on the row it deletes.
const DELETE_FINISHED_GRANTS: &str = "DELETE FROM grants WHERE access_expires_at <= $1 \
     AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.grant_id = grants.id) AND id IN (";

#[derive(diesel::QueryableByName)]
struct GrantIdRow {
    #[diesel(sql_type = Text)]
    id: String,
}

impl KeyStore for DieselStore {
    fn list_keys(&self) -> Result<Vec<SigningKey>, StoreError> {
        signing_keys::table
            .order(signing_keys::created_at.desc())
            .select(SigningKeyRow::as_select())
            .load(&mut *self.conn()?)
            .map_err(store_error)?
            .into_iter()
            .map(SigningKey::try_from)
            .collect()
    }

    fn add_key_retiring_others(
        &self,
        key: &SigningKey,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let row = SigningKeyRow::try_from(key)?;
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            // Only the keys of the new key's algorithm: each algorithm has its own active key.
            diesel::update(
                signing_keys::table
                    .filter(signing_keys::retired_at.is_null())
                    .filter(signing_keys::algorithm.eq(key.algorithm.as_str())),
            )
            .set(signing_keys::retired_at.eq(now.0))
            .execute(conn)?;
            diesel::insert_into(signing_keys::table)
                .values(row)
                .execute(conn)?;
            crate::audit::insert(conn, &[audit])
        })
        .map_err(store_error)
    }
}
