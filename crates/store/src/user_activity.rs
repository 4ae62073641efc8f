//! A user's sessions and grants, read a page at a time for operators (the admin API, the
//! CLI): keyset paging by id on the (owner, id) indexes of migrations/…_user_activity, so
//! a page costs the same however many sessions or grants the user has had. Read-only.

use std::collections::BTreeMap;

use ciam_domain::ports::{
    GrantListing, ListedGrant, ListedSession, SessionListing, UserGrantQuery, UserSessionQuery,
};
use ciam_domain::sessions::model::Session;
use ciam_domain::{ClientId, Grant, GrantId, SessionId, StoreError, UnixTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use crate::error::store_error;
use crate::rows::GrantRow;
use crate::schema::{grants, sessions};
use crate::sign_in::SessionRow;
use crate::DieselStore;

impl SessionListing for DieselStore {
    fn find_session_by_id(&self, id: &SessionId) -> Result<Option<Session>, StoreError> {
        let row = sessions::table
            .find(id.as_str())
            .select(SessionRow::as_select())
            .first(&mut *self.conn()?)
            .optional()
            .map_err(store_error)?;
        Ok(row.map(Session::from))
    }

    fn list_user_sessions(
        &self,
        query: &UserSessionQuery,
    ) -> Result<Vec<ListedSession>, StoreError> {
        let mut conn = self.conn()?;
        let now = query.now.0;
        // `Session::is_live`: `now - last_seen_at < idle_timeout`.
        let seen_after = now.saturating_sub(query.idle_timeout);
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let mut page = sessions::table
            .filter(sessions::user_id.eq(query.user_id.as_str()))
            .filter(sessions::ended_at.is_null())
            .filter(sessions::expires_at.gt(now))
            .filter(sessions::last_seen_at.gt(seen_after))
            .select(SessionRow::as_select())
            .order(sessions::id)
            .limit(limit)
            .into_boxed();
        if let Some(after) = &query.after {
            page = page.filter(sessions::id.gt(after.as_str().to_owned()));
        }
        let sessions: Vec<Session> = page
            .load(&mut *conn)
            .map_err(store_error)?
            .into_iter()
            .map(Session::from)
            .collect();
        let (Some(first), Some(last)) = (sessions.first(), sessions.last()) else {
            return Ok(vec![]);
        };
        // One statement for the whole page: the grants born in sessions of the page's id
        // range (the user's own: a session's grants are its user's), on grants_session_id.
        let pairs: Vec<(Option<String>, String)> = grants::table
            .filter(grants::session_id.ge(first.id.as_str()))
            .filter(grants::session_id.le(last.id.as_str()))
            .filter(grants::subject.eq(query.user_id.as_str()))
            .select((grants::session_id, grants::client_id))
            .distinct()
            .load(&mut *conn)
            .map_err(store_error)?;
        let mut clients: BTreeMap<String, Vec<ClientId>> = BTreeMap::new();
        for (session_id, client_id) in pairs {
            if let Some(session_id) = session_id {
                clients
                    .entry(session_id)
                    .or_default()
                    .push(ClientId::new(client_id));
            }
        }
        Ok(sessions
            .into_iter()
            .map(|session| {
                let mut clients = clients.remove(session.id.as_str()).unwrap_or_default();
                clients.sort();
                clients.dedup();
                ListedSession { session, clients }
            })
            .collect())
    }
}

/// A live grant and the latest expiry of its live refresh tokens: $1 the subject, $2 now,
/// then optionally `after`, then the limit. Grouped by every column of the grant (the one
/// form both backends accept).
const LIVE_GRANTS: &str = "SELECT g.id, g.client_id, g.subject, g.scope, g.created_at, \
     g.access_expires_at, g.revoked_at, g.session_id, MAX(r.expires_at) AS refresh_expires_at \
     FROM grants g JOIN refresh_tokens r ON r.grant_id = g.id \
     WHERE g.subject = $1 AND g.revoked_at IS NULL \
     AND r.rotated_at IS NULL AND r.expires_at > $2";

const LIVE_GRANTS_END: &str = " GROUP BY g.id, g.client_id, g.subject, g.scope, g.created_at, \
     g.access_expires_at, g.revoked_at, g.session_id ORDER BY g.id LIMIT ";

#[derive(QueryableByName)]
struct ListedGrantRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    client_id: String,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    scope: String,
    #[diesel(sql_type = BigInt)]
    created_at: i64,
    #[diesel(sql_type = BigInt)]
    access_expires_at: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    revoked_at: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    session_id: Option<String>,
    #[diesel(sql_type = BigInt)]
    refresh_expires_at: i64,
}

impl TryFrom<ListedGrantRow> for ListedGrant {
    type Error = StoreError;

    fn try_from(row: ListedGrantRow) -> Result<Self, StoreError> {
        let grant = Grant::try_from(GrantRow {
            id: row.id,
            client_id: row.client_id,
            subject: row.subject,
            scope: row.scope,
            created_at: row.created_at,
            access_expires_at: row.access_expires_at,
            revoked_at: row.revoked_at,
            session_id: row.session_id,
        })?;
        Ok(ListedGrant {
            grant,
            expires_at: UnixTime(row.refresh_expires_at),
        })
    }
}

impl GrantListing for DieselStore {
    fn find_grant(&self, id: &GrantId) -> Result<Option<Grant>, StoreError> {
        let row = grants::table
            .find(id.as_str())
            .select(GrantRow::as_select())
            .first(&mut *self.conn()?)
            .optional()
            .map_err(store_error)?;
        row.map(Grant::try_from).transpose()
    }

    fn list_user_grants(&self, query: &UserGrantQuery) -> Result<Vec<ListedGrant>, StoreError> {
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let mut sql = LIVE_GRANTS.to_owned();
        if query.after.is_some() {
            sql.push_str(" AND g.id > $3");
        }
        sql.push_str(LIVE_GRANTS_END);
        sql.push_str(if query.after.is_some() { "$4" } else { "$3" });
        let mut statement = diesel::sql_query(sql)
            .into_boxed()
            .bind::<Text, _>(query.subject.clone())
            .bind::<BigInt, _>(query.now.0);
        if let Some(after) = &query.after {
            statement = statement.bind::<Text, _>(after.as_str().to_owned());
        }
        let rows: Vec<ListedGrantRow> = statement
            .bind::<BigInt, _>(limit)
            .load(&mut *self.conn()?)
            .map_err(store_error)?;
        rows.into_iter().map(ListedGrant::try_from).collect()
    }
}
