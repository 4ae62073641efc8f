//! Rows as stored, and their conversions to and from domain types.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ciam_domain::{
    Client, ClientId, Grant, GrantId, GrantType, Kid, Profile, Redirects, RefreshTokenRecord,
    Scope, SecretHash, SessionId, SigningKey, StoreError, UnixTime, User, UserId,
};
use diesel::prelude::*;

use crate::schema::{clients, grants, refresh_tokens, signing_keys, users};

/// The space-delimited words of a column.
fn words(column: &str) -> Vec<String> {
    column
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(crate) fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = clients)]
pub(crate) struct ClientRow {
    pub id: String,
    pub name: String,
    pub secret_hash: Option<String>,
    pub grant_types: String,
    pub scope: String,
    pub created_at: i64,
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub backchannel_logout_uri: Option<String>,
}

impl From<&Client> for ClientRow {
    fn from(client: &Client) -> Self {
        let grant_types: Vec<&str> = client.grant_types.iter().map(|g| g.as_str()).collect();
        ClientRow {
            id: client.id.to_string(),
            name: client.name.clone(),
            secret_hash: client.secret_hash.as_ref().map(|h| h.as_str().to_owned()),
            grant_types: grant_types.join(" "),
            scope: client.scope.to_string(),
            created_at: client.created_at.0,
            // Registered URIs never contain a space (redirect_uri::check).
            redirect_uris: client.redirects.redirect_uris.join(" "),
            post_logout_redirect_uris: client.redirects.post_logout_redirect_uris.join(" "),
            backchannel_logout_uri: client.redirects.backchannel_logout_uri.clone(),
        }
    }
}

impl TryFrom<ClientRow> for Client {
    type Error = StoreError;

    fn try_from(row: ClientRow) -> Result<Self, StoreError> {
        let grant_types = row
            .grant_types
            .split(' ')
            .filter(|g| !g.is_empty())
            .map(|g| {
                g.parse::<GrantType>()
                    .map_err(|_| corrupt("client grant type"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Client {
            id: ClientId::new(row.id),
            name: row.name,
            secret_hash: row.secret_hash.map(SecretHash::from_stored),
            grant_types,
            scope: Scope::parse(&row.scope).map_err(|_| corrupt("client scope"))?,
            created_at: UnixTime(row.created_at),
            redirects: Redirects {
                redirect_uris: words(&row.redirect_uris),
                post_logout_redirect_uris: words(&row.post_logout_redirect_uris),
                backchannel_logout_uri: row.backchannel_logout_uri,
            },
        })
    }
}

#[derive(Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub created_at: i64,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    pub disabled_at: Option<i64>,
}

impl From<&User> for UserRow {
    fn from(user: &User) -> Self {
        UserRow {
            id: user.id.to_string(),
            username: user.username.clone(),
            password_hash: user.password_hash.clone(),
            created_at: user.created_at.0,
            email: user.profile.email.clone(),
            email_verified: user.profile.email_verified,
            name: user.profile.name.clone(),
            disabled_at: user.disabled_at.map(|t| t.0),
        }
    }
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: UserId::new(row.id),
            username: row.username,
            password_hash: row.password_hash,
            created_at: UnixTime(row.created_at),
            profile: Profile {
                name: row.name,
                email: row.email,
                email_verified: row.email_verified,
            },
            disabled_at: row.disabled_at.map(UnixTime),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = grants)]
pub(crate) struct GrantRow {
    pub id: String,
    pub client_id: String,
    pub subject: String,
    pub scope: String,
    pub created_at: i64,
    pub access_expires_at: i64,
    pub revoked_at: Option<i64>,
    pub session_id: Option<String>,
}

impl From<&Grant> for GrantRow {
    fn from(grant: &Grant) -> Self {
        GrantRow {
            id: grant.id.to_string(),
            client_id: grant.client_id.to_string(),
            subject: grant.subject.clone(),
            scope: grant.scope.to_string(),
            created_at: grant.created_at.0,
            access_expires_at: grant.access_expires_at.0,
            revoked_at: grant.revoked_at.map(|t| t.0),
            session_id: grant.session_id.as_ref().map(|id| id.to_string()),
        }
    }
}

impl TryFrom<GrantRow> for Grant {
    type Error = StoreError;

    fn try_from(row: GrantRow) -> Result<Self, StoreError> {
        Ok(Grant {
            id: GrantId::new(row.id),
            client_id: ClientId::new(row.client_id),
            subject: row.subject,
            scope: Scope::parse(&row.scope).map_err(|_| corrupt("grant scope"))?,
            created_at: UnixTime(row.created_at),
            access_expires_at: UnixTime(row.access_expires_at),
            revoked_at: row.revoked_at.map(UnixTime),
            session_id: row.session_id.map(SessionId::new),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub(crate) struct RefreshTokenRow {
    pub token_hash: String,
    pub grant_id: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
}

impl From<&RefreshTokenRecord> for RefreshTokenRow {
    fn from(record: &RefreshTokenRecord) -> Self {
        RefreshTokenRow {
            token_hash: record.hash.as_str().to_owned(),
            grant_id: record.grant_id.to_string(),
            issued_at: record.issued_at.0,
            expires_at: record.expires_at.0,
            rotated_at: record.rotated_at.map(|t| t.0),
        }
    }
}

impl From<RefreshTokenRow> for RefreshTokenRecord {
    fn from(row: RefreshTokenRow) -> Self {
        RefreshTokenRecord {
            hash: SecretHash::from_stored(row.token_hash),
            grant_id: GrantId::new(row.grant_id),
            issued_at: UnixTime(row.issued_at),
            expires_at: UnixTime(row.expires_at),
            rotated_at: row.rotated_at.map(UnixTime),
        }
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub(crate) struct SigningKeyRow {
    pub kid: String,
    pub algorithm: String,
    pub private_key: String,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

impl TryFrom<&SigningKey> for SigningKeyRow {
    type Error = StoreError;

    fn try_from(key: &SigningKey) -> Result<Self, StoreError> {
        Ok(SigningKeyRow {
            kid: key.kid.to_string(),
            algorithm: key.algorithm.as_str().to_owned(),
            private_key: STANDARD.encode(&key.private_der),
            public_jwk: serde_json::to_string(&key.public).map_err(|_| corrupt("public key"))?,
            created_at: key.created_at.0,
            retired_at: key.retired_at.map(|t| t.0),
        })
    }
}

impl TryFrom<SigningKeyRow> for SigningKey {
    type Error = StoreError;

    fn try_from(row: SigningKeyRow) -> Result<Self, StoreError> {
        Ok(SigningKey {
            kid: Kid::new(row.kid),
            algorithm: row
                .algorithm
                .parse()
                .map_err(|_| corrupt("key algorithm"))?,
            private_der: STANDARD
                .decode(row.private_key)
                .map_err(|_| corrupt("private key"))?,
            public: serde_json::from_str(&row.public_jwk).map_err(|_| corrupt("public key"))?,
            created_at: UnixTime(row.created_at),
            retired_at: row.retired_at.map(UnixTime),
        })
    }
}
