//! Sessions and authorization codes: the store side of customer sign-in.

use ciam_domain::authorization::model::{AuthorizationCode, Redemption};
use ciam_domain::ports::{CodeStore, SessionStore};
use ciam_domain::sessions::model::Session;
use ciam_domain::{
    AuditEvent, ClientId, Grant, GrantId, RefreshTokenRecord, Revocation, Scope, SecretHash,
    SessionId, StoreError, UnixTime, UserId,
};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use crate::error::store_error;
use crate::rows::{corrupt, GrantRow, RefreshTokenRow};
use crate::schema::{authorization_codes, grants, refresh_tokens, sessions};
use crate::DieselStore;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub(crate) struct SessionRow {
    id: String,
    token_hash: String,
    user_id: String,
    auth_time: i64,
    last_seen_at: i64,
    expires_at: i64,
    ended_at: Option<i64>,
}

impl From<&Session> for SessionRow {
    fn from(session: &Session) -> Self {
        SessionRow {
            id: session.id.to_string(),
            token_hash: session.token_hash.as_str().to_owned(),
            user_id: session.user_id.to_string(),
            auth_time: session.auth_time.0,
            last_seen_at: session.last_seen_at.0,
            expires_at: session.expires_at.0,
            ended_at: session.ended_at.map(|t| t.0),
        }
    }
}

impl From<SessionRow> for Session {
    fn from(row: SessionRow) -> Self {
        Session {
            id: SessionId::new(row.id),
            token_hash: SecretHash::from_stored(row.token_hash),
            user_id: UserId::new(row.user_id),
            auth_time: UnixTime(row.auth_time),
            last_seen_at: UnixTime(row.last_seen_at),
            expires_at: UnixTime(row.expires_at),
            ended_at: row.ended_at.map(UnixTime),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = authorization_codes)]
struct CodeRow {
    code_hash: String,
    client_id: String,
    redirect_uri: String,
    scope: String,
    code_challenge: Option<String>,
    nonce: Option<String>,
    session_id: String,
    user_id: String,
    auth_time: i64,
    issued_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    grant_id: Option<String>,
}

impl From<&AuthorizationCode> for CodeRow {
    fn from(code: &AuthorizationCode) -> Self {
        CodeRow {
            code_hash: code.hash.as_str().to_owned(),
            client_id: code.client_id.to_string(),
            redirect_uri: code.redirect_uri.clone(),
            scope: code.scope.to_string(),
            code_challenge: code.code_challenge.clone(),
            nonce: code.nonce.clone(),
            session_id: code.session_id.to_string(),
            user_id: code.user_id.to_string(),
            auth_time: code.auth_time.0,
            issued_at: code.issued_at.0,
            expires_at: code.expires_at.0,
            used_at: code.used_at.map(|t| t.0),
            grant_id: code.grant_id.as_ref().map(|id| id.to_string()),
        }
    }
}

impl TryFrom<CodeRow> for AuthorizationCode {
    type Error = StoreError;

    fn try_from(row: CodeRow) -> Result<Self, StoreError> {
        Ok(AuthorizationCode {
            hash: SecretHash::from_stored(row.code_hash),
            client_id: ClientId::new(row.client_id),
            redirect_uri: row.redirect_uri,
            scope: Scope::parse(&row.scope).map_err(|_| corrupt("code scope"))?,
            code_challenge: row.code_challenge,
            nonce: row.nonce,
            session_id: SessionId::new(row.session_id),
            user_id: UserId::new(row.user_id),
            auth_time: UnixTime(row.auth_time),
            issued_at: UnixTime(row.issued_at),
            expires_at: UnixTime(row.expires_at),
            used_at: row.used_at.map(UnixTime),
            grant_id: row.grant_id.map(GrantId::new),
        })
    }
}

impl SessionStore for DieselStore {
    fn insert_session(&self, session: &Session, audit: &AuditEvent) -> Result<(), StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            diesel::insert_into(sessions::table)
                .values(SessionRow::from(session))
                .execute(conn)?;
            crate::audit::insert(conn, &[audit])
        })
        .map_err(store_error)
    }

    fn find_session(&self, token_hash: &SecretHash) -> Result<Option<Session>, StoreError> {
        let row = sessions::table
            .filter(sessions::token_hash.eq(token_hash.as_str()))
            .select(SessionRow::as_select())
            .first(&mut *self.conn()?)
            .optional()
            .map_err(store_error)?;
        Ok(row.map(Session::from))
    }

    fn end_session(
        &self,
        id: &SessionId,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<Vec<Revocation>, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            diesel::update(
                sessions::table
                    .find(id.as_str())
                    .filter(sessions::ended_at.is_null()),
            )
            .set(sessions::ended_at.eq(now.0))
            .execute(conn)?;
            let exists: bool =
                diesel::select(diesel::dsl::exists(sessions::table.find(id.as_str())))
                    .get_result(conn)?;
            if exists {
                crate::audit::insert(conn, &[audit])?;
            }
            // Codes first: a redemption in flight holds its code's row, so this waits for
            // it, and the grants statement below (a new snapshot) sees its grant.
            diesel::update(
                authorization_codes::table
                    .filter(authorization_codes::session_id.eq(id.as_str()))
                    .filter(authorization_codes::used_at.is_null()),
            )
            .set(authorization_codes::used_at.eq(now.0))
            .execute(conn)?;
            diesel::update(
                grants::table
                    .filter(grants::session_id.eq(id.as_str()))
                    .filter(grants::revoked_at.is_null()),
            )
            .set(grants::revoked_at.eq(now.0))
            .execute(conn)?;
            let live: Vec<(String, i64)> = grants::table
                .filter(grants::session_id.eq(id.as_str()))
                .filter(grants::access_expires_at.gt(now.0))
                .select((grants::id, grants::access_expires_at))
                .load(conn)?;
            Ok(live
                .into_iter()
                .map(|(grant_id, until)| Revocation::Grant {
                    grant_id: GrantId::new(grant_id),
                    until: UnixTime(until),
                })
                .collect())
        })
        .map_err(store_error)
    }

    fn session_clients(&self, id: &SessionId) -> Result<Vec<ClientId>, StoreError> {
        let clients: Vec<String> = grants::table
            .filter(grants::session_id.eq(id.as_str()))
            .select(grants::client_id)
            .distinct()
            .order(grants::client_id)
            .load(&mut *self.conn()?)
            .map_err(store_error)?;
        Ok(clients.into_iter().map(ClientId::new).collect())
    }

    fn touch_session(&self, id: &SessionId, now: UnixTime) -> Result<(), StoreError> {
        diesel::update(
            sessions::table
                .find(id.as_str())
                .filter(sessions::last_seen_at.lt(now.0)),
        )
        .set(sessions::last_seen_at.eq(now.0))
        .execute(&mut *self.conn()?)
        .map(drop)
        .map_err(store_error)
    }
}

impl CodeStore for DieselStore {
    fn insert_code(&self, code: &AuthorizationCode) -> Result<(), StoreError> {
        diesel::insert_into(authorization_codes::table)
            .values(CodeRow::from(code))
            .execute(&mut *self.conn()?)
            .map(drop)
            .map_err(store_error)
    }

    fn find_code(&self, hash: &SecretHash) -> Result<Option<AuthorizationCode>, StoreError> {
        let row = authorization_codes::table
            .find(hash.as_str())
            .select(CodeRow::as_select())
            .first(&mut *self.conn()?)
            .optional()
            .map_err(store_error)?;
        row.map(AuthorizationCode::try_from).transpose()
    }

    fn redeem_code(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        grant: &Grant,
        first: Option<&RefreshTokenRecord>,
    ) -> Result<Redemption, StoreError> {
        let mut conn = self.conn()?;
        conn.transaction::<_, DieselError, _>(|conn| {
            // The compare-and-set that makes a code single-use: of concurrent exchanges,
            // one updates the row, the others (serialised on the row) update nothing.
            let claimed = diesel::update(
                authorization_codes::table
                    .find(hash.as_str())
                    .filter(authorization_codes::used_at.is_null()),
            )
            .set((
                authorization_codes::used_at.eq(now.0),
                authorization_codes::grant_id.eq(grant.id.as_str()),
            ))
            .execute(conn)?;
            if claimed == 0 {
                let first_grant = authorization_codes::table
                    .find(hash.as_str())
                    .select(authorization_codes::grant_id)
                    .first::<Option<String>>(conn)
                    .optional()?
                    .flatten()
                    .map(GrantId::new);
                return Ok(Redemption::Replayed {
                    grant_id: first_grant,
                });
            }
            diesel::insert_into(grants::table)
                .values(GrantRow::from(grant))
                .execute(conn)?;
            if let Some(first) = first {
                diesel::insert_into(refresh_tokens::table)
                    .values(RefreshTokenRow::from(first))
                    .execute(conn)?;
            }
            let live = crate::bulk_revocation::revoke_if_cut_off(conn, grant)?;
            Ok(Redemption::Redeemed { live })
        })
        .map_err(store_error)
    }
}
