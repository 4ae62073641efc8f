//! Password history and password resets: the store side of user self-service.

use ciam_domain::ports::PasswordStore;
use ciam_domain::{AuditEvent, PasswordReset, SecretHash, StoreError, UnixTime, UserId};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{BigInt, Text};

use crate::connection::AnyConnection;
use crate::error::store_error;
use crate::schema::{password_history, password_resets, users};
use crate::DieselStore;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = password_resets)]
struct ResetRow {
    code_hash: String,
    user_id: String,
    created_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

impl From<&PasswordReset> for ResetRow {
    fn from(reset: &PasswordReset) -> Self {
        ResetRow {
            code_hash: reset.code_hash.as_str().to_owned(),
            user_id: reset.user_id.to_string(),
            created_at: reset.created_at.0,
            expires_at: reset.expires_at.0,
            used_at: reset.used_at.map(|t| t.0),
        }
    }
}

impl From<ResetRow> for PasswordReset {
    fn from(row: ResetRow) -> Self {
        PasswordReset {
            code_hash: SecretHash::from_stored(row.code_hash),
            user_id: UserId::new(row.user_id),
            created_at: UnixTime(row.created_at),
            expires_at: UnixTime(row.expires_at),
            used_at: row.used_at.map(UnixTime),
        }
    }
}

/// Keeps the user ($1, $2) `$3` most recently replaced hashes. Ties (two changes in one
/// second) are broken by the hash, arbitrarily but the same way on both backends.
const TRIM_HISTORY: &str = "DELETE FROM password_history WHERE user_id = $1 \
     AND password_hash NOT IN (SELECT password_hash FROM password_history WHERE user_id = $2 \
     ORDER BY created_at DESC, password_hash DESC LIMIT $3)";

/// Inside a transaction: the current hash into the history, the new one in place, the
/// history trimmed. `false`, having written nothing, if there is no such user.
fn replace_password(
    conn: &mut AnyConnection,
    user: &str,
    hash: &str,
    now: UnixTime,
    keep: usize,
) -> Result<bool, DieselError> {
    // A write first: it takes the row's lock on Postgres and the write lock on SQLite
    // before the read, so concurrent changes of one user are serialised and each moves
    // the hash the other left, never the same one twice.
    let found = diesel::update(users::table.find(user))
        .set(users::password_hash.eq(users::password_hash))
        .execute(conn)?;
    if found == 0 {
        return Ok(false);
    }
    let old: String = users::table
        .find(user)
        .select(users::password_hash)
        .first(conn)?;
    diesel::update(users::table.find(user))
        .set(users::password_hash.eq(hash))
        .execute(conn)?;
    diesel::delete(
        password_history::table
            .filter(password_history::user_id.eq(user))
            .filter(password_history::password_hash.eq(&old)),
    )
    .execute(conn)?;
    diesel::insert_into(password_history::table)
        .values((
            password_history::user_id.eq(user),
            password_history::password_hash.eq(&old),
            password_history::created_at.eq(now.0),
        ))
        .execute(conn)?;
    diesel::sql_query(TRIM_HISTORY)
        .bind::<Text, _>(user)
        .bind::<Text, _>(user)
        .bind::<BigInt, _>(i64::try_from(keep).unwrap_or(i64::MAX))
        .execute(conn)?;
    Ok(true)
}

impl PasswordStore for DieselStore {
    fn password_history(&self, user: &UserId, limit: usize) -> Result<Vec<String>, StoreError> {
        password_history::table
            .filter(password_history::user_id.eq(user.as_str()))
            .order((
                password_history::created_at.desc(),
                password_history::password_hash.desc(),
            ))
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .select(password_history::password_hash)
            .load(&mut *self.conn()?)
            .map_err(store_error)
    }

    fn set_password(
        &self,
        user: &UserId,
        hash: &str,
        now: UnixTime,
        keep: usize,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction(|conn| {
            let replaced = replace_password(conn, user.as_str(), hash, now, keep)?;
            if replaced {
                crate::audit::insert(conn, &[audit])?;
            }
            Ok(replaced)
        })
        .map_err(store_error)
    }

    fn insert_password_reset(
        &self,
        reset: &PasswordReset,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            diesel::insert_into(password_resets::table)
                .values(ResetRow::from(reset))
                .execute(conn)?;
            crate::audit::insert(conn, &[audit])
        })
        .map_err(store_error)
    }

    fn find_password_reset(&self, code: &SecretHash) -> Result<Option<PasswordReset>, StoreError> {
        let row = password_resets::table
            .find(code.as_str())
            .select(ResetRow::as_select())
            .first(&mut *self.conn()?)
            .optional()
            .map_err(store_error)?;
        Ok(row.map(PasswordReset::from))
    }

    fn redeem_password_reset(
        &self,
        code: &SecretHash,
        now: UnixTime,
        hash: &str,
        keep: usize,
        audit: &AuditEvent,
    ) -> Result<Option<UserId>, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            // The compare-and-set that makes a code single-use: of concurrent redemptions,
            // one updates the row, the others (serialised on the row) update nothing.
            let claimed = diesel::update(
                password_resets::table
                    .find(code.as_str())
                    .filter(password_resets::used_at.is_null())
                    .filter(password_resets::expires_at.gt(now.0)),
            )
            .set(password_resets::used_at.eq(now.0))
            .execute(conn)?;
            if claimed == 0 {
                return Ok(None);
            }
            let user: String = password_resets::table
                .find(code.as_str())
                .select(password_resets::user_id)
                .first(conn)?;
            if !replace_password(conn, &user, hash, now, keep)? {
                // No such user any more: undo the claim, write nothing.
                return Err(DieselError::RollbackTransaction);
            }
            crate::audit::insert(conn, &[audit])?;
            Ok(Some(UserId::new(user)))
        })
        .or_else(|error| match error {
            DieselError::RollbackTransaction => Ok(None),
            other => Err(store_error(other)),
        })
    }
}
