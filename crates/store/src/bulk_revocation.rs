//! Revoking everything of a user or a client: the not-before cut-offs, and the rule that
//! makes them exact against grants created concurrently.
//!
//! A grant created at or before a committed cut-off of its subject or client is stored
//! revoked. Both sides serialise on the cut-off's key: on Postgres through a transaction-level
//! advisory lock (exclusive for the cut-off, shared for grant creation: two creations never
//! wait on each other), on SQLite because each transaction starts with a write, and SQLite
//! has one writer at a time. Whichever commits first, the other sees it: the cut-off's
//! grant update sees the committed grant, or the grant's creation sees the committed cut-off.

use ciam_domain::ports::{BulkRevocationStore, BulkRevoked};
use ciam_domain::{
    AuditEvent, ClientId, Cutoff, CutoffKind, Grant, GrantId, Revocation, StoreError, UnixTime,
};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::Text;

use crate::connection::AnyConnection;
use crate::error::store_error;
use crate::schema::{authorization_codes, grants, revocation_cutoffs, sessions, users};
use crate::DieselStore;

/// The advisory lock a cut-off and a grant creation share, on Postgres. A 64-bit hash of the
/// key: a collision only makes two unrelated operations wait for each other.
fn lock_key(kind: CutoffKind, id: &str) -> String {
    format!("ciam:cutoff:{}:{id}", kind.as_str())
}

fn advisory_lock(
    conn: &mut AnyConnection,
    keys: &[String],
    exclusive: bool,
) -> Result<(), DieselError> {
    let AnyConnection::Postgres(pg) = conn else {
        return Ok(());
    };
    let function = if exclusive {
        "pg_advisory_xact_lock"
    } else {
        "pg_advisory_xact_lock_shared"
    };
    // Every lock in one statement: one round trip on the grant-creation path.
    let calls: Vec<String> = (1..=keys.len())
        .map(|n| format!("{function}(hashtextextended(${n}, 0))"))
        .collect();
    let mut query = diesel::sql_query(format!("SELECT {}", calls.join(", "))).into_boxed();
    for key in keys {
        query = query.bind::<Text, _>(key);
    }
    query.execute(pg).map(drop)
}

/// The cut-off of this kind and id, read inside the caller's transaction.
fn cutoff_at(
    conn: &mut AnyConnection,
    kind: CutoffKind,
    id: &str,
) -> Result<Option<(i64, i64)>, DieselError> {
    revocation_cutoffs::table
        .find((kind.as_str(), id))
        .select((revocation_cutoffs::cutoff, revocation_cutoffs::until))
        .first::<(i64, i64)>(conn)
        .optional()
}

/// Called by grant creation inside its transaction, after inserting `grant` (so that, on
/// SQLite, the transaction already holds the write lock): revokes it at once if a cut-off of
/// its subject or client covers its creation, or if its subject is not a user who may sign
/// in (disabled, or deleted).
/// Returns whether the grant stays live.
pub(crate) fn revoke_if_cut_off(
    conn: &mut AnyConnection,
    grant: &Grant,
) -> Result<bool, DieselError> {
    let owners = [
        (CutoffKind::Subject, grant.subject.as_str()),
        (CutoffKind::Client, grant.client_id.as_str()),
    ];
    let keys: Vec<String> = owners.iter().map(|(k, id)| lock_key(*k, id)).collect();
    advisory_lock(conn, &keys, false)?;
    // A disabled or deleted subject gets no live grant. Disabling commits the flag before
    // it cuts off: a creation that read the flag before that commit holds the lock the
    // cut-off waits for, so the cut-off's grant update sees (and revokes) its grant; one
    // that reads after it sees the flag. Deleting disables first, then deletes the row.
    let live_subject = diesel::select(diesel::dsl::exists(
        users::table
            .find(grant.subject.as_str())
            .filter(users::disabled_at.is_null()),
    ))
    .get_result::<bool>(conn)?;
    if !live_subject {
        return store_revoked(conn, grant);
    }
    // One query for both owners' cut-offs: is either at or after the grant's creation?
    let covered = diesel::select(diesel::dsl::exists(
        revocation_cutoffs::table
            .filter(
                revocation_cutoffs::kind
                    .eq(CutoffKind::Subject.as_str())
                    .and(revocation_cutoffs::id.eq(grant.subject.as_str()))
                    .or(revocation_cutoffs::kind
                        .eq(CutoffKind::Client.as_str())
                        .and(revocation_cutoffs::id.eq(grant.client_id.as_str()))),
            )
            .filter(revocation_cutoffs::cutoff.ge(grant.created_at.0)),
    ))
    .get_result::<bool>(conn)?;
    if covered {
        return store_revoked(conn, grant);
    }
    Ok(true)
}

/// Marks the just-inserted `grant` revoked as of its creation: it is not live.
fn store_revoked(conn: &mut AnyConnection, grant: &Grant) -> Result<bool, DieselError> {
    diesel::update(grants::table.find(grant.id.as_str()))
        .set(grants::revoked_at.eq(grant.created_at.0))
        .execute(conn)
        .map(|_| false)
}

impl BulkRevocationStore for DieselStore {
    fn revoke_everything_of(
        &self,
        cutoff: &Cutoff,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<BulkRevoked, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            advisory_lock(conn, &[lock_key(cutoff.kind, &cutoff.id)], true)?;
            crate::audit::insert(conn, &[audit])?;
            let id = cutoff.id.as_str();
            // Codes first (a write, so SQLite's lock is taken before any read): a redemption
            // in flight holds its code's row, so this waits for it, and the grants statements
            // below (new snapshots) see its grant.
            match cutoff.kind {
                CutoffKind::Subject => diesel::update(
                    authorization_codes::table
                        .filter(authorization_codes::user_id.eq(id))
                        .filter(authorization_codes::used_at.is_null()),
                )
                .set(authorization_codes::used_at.eq(now.0))
                .execute(conn)?,
                CutoffKind::Client => diesel::update(
                    authorization_codes::table
                        .filter(authorization_codes::client_id.eq(id))
                        .filter(authorization_codes::used_at.is_null()),
                )
                .set(authorization_codes::used_at.eq(now.0))
                .execute(conn)?,
            };
            let grant_count = match cutoff.kind {
                CutoffKind::Subject => diesel::update(
                    grants::table
                        .filter(grants::subject.eq(id))
                        .filter(grants::created_at.le(cutoff.at.0))
                        .filter(grants::revoked_at.is_null()),
                )
                .set(grants::revoked_at.eq(now.0))
                .execute(conn)?,
                CutoffKind::Client => diesel::update(
                    grants::table
                        .filter(grants::client_id.eq(id))
                        .filter(grants::created_at.le(cutoff.at.0))
                        .filter(grants::revoked_at.is_null()),
                )
                .set(grants::revoked_at.eq(now.0))
                .execute(conn)?,
            };
            // What was revoked now (a grant revoked in the same second by another request
            // may be among them: denying it again changes nothing).
            let owned = grants::table.into_boxed();
            let owned = match cutoff.kind {
                CutoffKind::Subject => owned.filter(grants::subject.eq(id)),
                CutoffKind::Client => owned.filter(grants::client_id.eq(id)),
            };
            let revoked: Vec<(String, String, i64)> = owned
                .filter(grants::revoked_at.eq(now.0))
                .select((grants::id, grants::client_id, grants::access_expires_at))
                .load(conn)?;
            raise_cutoff(conn, cutoff)?;
            let session_count = match cutoff.kind {
                CutoffKind::Subject => diesel::update(
                    sessions::table
                        .filter(sessions::user_id.eq(id))
                        .filter(sessions::ended_at.is_null()),
                )
                .set(sessions::ended_at.eq(now.0))
                .execute(conn)?,
                CutoffKind::Client => 0,
            };
            let mut clients: Vec<ClientId> = revoked
                .iter()
                .map(|(_, client, _)| ClientId::new(client.clone()))
                .collect();
            clients.sort();
            clients.dedup();
            Ok(BulkRevoked {
                grant_count,
                grants: revoked
                    .into_iter()
                    .filter(|(_, _, until)| *until > now.0)
                    .map(|(grant_id, _, until)| Revocation::Grant {
                        grant_id: GrantId::new(grant_id),
                        until: UnixTime(until),
                    })
                    .collect(),
                clients,
                session_count,
            })
        })
        .map_err(store_error)
    }

    fn find_cutoff(
        &self,
        kind: CutoffKind,
        id: &str,
        now: UnixTime,
    ) -> Result<Option<Cutoff>, StoreError> {
        let found = cutoff_at(&mut *self.conn()?, kind, id).map_err(store_error)?;
        Ok(found
            .filter(|(_, until)| *until > now.0)
            .map(|(at, until)| Cutoff {
                kind,
                id: id.to_owned(),
                at: UnixTime(at),
                until: UnixTime(until),
            }))
    }
}

/// Records `cutoff`, or raises the one held: a later cut-off covers more, a later `until`
/// covers longer. Serialised by the caller's lock, so read-then-write is safe.
fn raise_cutoff(conn: &mut AnyConnection, cutoff: &Cutoff) -> Result<(), DieselError> {
    let kind = cutoff.kind.as_str();
    match cutoff_at(conn, cutoff.kind, &cutoff.id)? {
        None => diesel::insert_into(revocation_cutoffs::table)
            .values((
                revocation_cutoffs::kind.eq(kind),
                revocation_cutoffs::id.eq(&cutoff.id),
                revocation_cutoffs::cutoff.eq(cutoff.at.0),
                revocation_cutoffs::until.eq(cutoff.until.0),
            ))
            .execute(conn)
            .map(drop),
        Some((at, until)) => diesel::update(revocation_cutoffs::table.find((kind, &cutoff.id)))
            .set((
                revocation_cutoffs::cutoff.eq(at.max(cutoff.at.0)),
                revocation_cutoffs::until.eq(until.max(cutoff.until.0)),
            ))
            .execute(conn)
            .map(drop),
    }
}

/// Live cut-offs, for `live_revocations`.
pub(crate) fn live_cutoffs(
    conn: &mut AnyConnection,
    now: UnixTime,
) -> Result<Vec<Revocation>, StoreError> {
    let rows: Vec<(String, String, i64, i64)> = revocation_cutoffs::table
        .filter(revocation_cutoffs::until.gt(now.0))
        .select((
            revocation_cutoffs::kind,
            revocation_cutoffs::id,
            revocation_cutoffs::cutoff,
            revocation_cutoffs::until,
        ))
        .load(conn)
        .map_err(store_error)?;
    rows.into_iter()
        .map(|(kind, id, at, until)| {
            let kind = CutoffKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown cut-off kind {kind:?}")))?;
            Ok(Revocation::Cutoff(Cutoff {
                kind,
                id,
                at: UnixTime(at),
                until: UnixTime(until),
            }))
        })
        .collect()
}

/// Whether a cut-off of `subject` or `client` covers a token issued at `issued_at`.
pub(crate) fn is_cut_off(
    conn: &mut AnyConnection,
    subject: &str,
    client: &ClientId,
    issued_at: UnixTime,
) -> Result<bool, DieselError> {
    for (kind, id) in [
        (CutoffKind::Subject, subject),
        (CutoffKind::Client, client.as_str()),
    ] {
        if let Some((at, _)) = cutoff_at(conn, kind, id)? {
            if issued_at.0 <= at {
                return Ok(true);
            }
        }
    }
    Ok(false)
}
