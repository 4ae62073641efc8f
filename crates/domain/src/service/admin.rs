//! Administration: clients, users and signing keys, as the CLI drives them.

use super::{TokenService, ID_BYTES, SECRET_BYTES};
use crate::client::{Client, GrantType};
use crate::error::{CodecError, DenylistError, StoreError};
use crate::ids::{ClientId, Kid, UserId};
use crate::input::{is_client_id, is_name, MAX_NAME_LEN};
use crate::keys::SigningKey;
use crate::scope::Scope;
use crate::secret::Secret;
use crate::user::User;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    /// The name or id is taken: the caller's mistake (a 409 at an HTTP edge), never an
    /// outage.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error(transparent)]
    Denylist(#[from] DenylistError),
}

#[derive(Debug, Clone)]
pub struct NewClient {
    pub name: String,
    pub grant_types: Vec<GrantType>,
    pub scope: Scope,
    pub public: bool,
}

const MAX_PASSWORD_BYTES: usize = 1024;

impl TokenService {
    /// Registers a client. The secret (confidential clients only) is returned here and
    /// never again: only its hash is stored.
    pub fn create_client(&self, new: NewClient) -> Result<(Client, Option<Secret>), AdminError> {
        let name = new.name.trim();
        if !is_name(name) {
            return Err(AdminError::Invalid(format!(
                "client name must be 1 to {MAX_NAME_LEN} printable characters"
            )));
        }
        if new.grant_types.is_empty() {
            return Err(AdminError::Invalid(
                "a client needs at least one grant type".into(),
            ));
        }
        if new.public && new.grant_types.contains(&GrantType::ClientCredentials) {
            // RFC 6749 §4.4: the client credentials grant is for confidential clients only.
            return Err(AdminError::Invalid(
                "a public client cannot use the client_credentials grant".into(),
            ));
        }
        let mut grant_types = new.grant_types;
        grant_types.sort();
        grant_types.dedup();
        let secret = (!new.public).then(|| Secret::new(self.random_string(SECRET_BYTES)));
        let client = Client {
            id: ClientId::new(self.random_hex(ID_BYTES)),
            name: name.to_owned(),
            secret_hash: secret.as_ref().map(Secret::hash),
            grant_types,
            scope: new.scope,
            created_at: self.now(),
        };
        self.ports.clients.insert_client(&client)?;
        Ok((client, secret))
    }

    pub fn list_clients(&self) -> Result<Vec<Client>, AdminError> {
        Ok(self.ports.clients.list_clients()?)
    }

    pub fn find_client(&self, id: &str) -> Result<Option<Client>, AdminError> {
        Ok(self.ports.clients.find_client(&ClientId::new(id))?)
    }

    /// Deletes a client and revokes its grants, so their refresh and access tokens stop
    /// working. Its client_credentials access tokens carry no grant and live out their
    /// short lifetime (revocation by client is on the roadmap).
    pub fn delete_client(&self, id: &str) -> Result<bool, AdminError> {
        if !is_client_id(id) {
            return Ok(false);
        }
        let now = self.now();
        let id = ClientId::new(id);
        self.clients.forget(&id);
        let Some(revoked) = self.ports.clients.delete_client(&id, now)? else {
            return Ok(false);
        };
        self.deny(&revoked, now)?;
        Ok(true)
    }

    pub fn create_user(&self, username: &str, password: &Secret) -> Result<User, AdminError> {
        if !is_name(username) {
            return Err(AdminError::Invalid(format!(
                "username must be 1 to {MAX_NAME_LEN} printable characters"
            )));
        }
        let length = password.expose().chars().count();
        if length < 8 || password.expose().len() > MAX_PASSWORD_BYTES {
            return Err(AdminError::Invalid(format!(
                "password must be 8 characters to {MAX_PASSWORD_BYTES} bytes long"
            )));
        }
        let user = User {
            id: UserId::new(self.random_hex(ID_BYTES)),
            username: username.to_owned(),
            password_hash: self.ports.passwords.hash(password.expose())?,
            created_at: self.now(),
        };
        self.ports.users.insert_user(&user).map_err(|e| match e {
            StoreError::Duplicate(_) => {
                AdminError::Conflict(format!("the username {username:?} is taken"))
            }
            other => AdminError::Store(other),
        })?;
        Ok(user)
    }

    pub fn list_keys(&self) -> Result<Vec<SigningKey>, AdminError> {
        Ok(self.ports.keys.list_keys()?)
    }

    /// Adds a new signing key and retires the others. Retired keys stay in the JWKS until
    /// the tokens they signed have expired.
    pub fn rotate_signing_key(&self) -> Result<SigningKey, AdminError> {
        let now = self.now();
        let key = self
            .ports
            .codec
            .generate_key(Kid::new(self.random_string(ID_BYTES)), now)?;
        self.ports.keys.add_key_retiring_others(&key, now)?;
        self.invalidate_key_ring();
        Ok(key)
    }

    /// Creates the first signing key if the store has none: zero set-up on first start.
    pub fn ensure_signing_key(&self) -> Result<(), AdminError> {
        let keys = self.ports.keys.list_keys()?;
        if keys.iter().all(|key| key.retired_at.is_some()) {
            self.rotate_signing_key()?;
        }
        Ok(())
    }

    /// The public keys of the JWKS (RFC 7517 §5).
    pub fn published_keys(&self) -> Result<Vec<crate::keys::PublicJwk>, crate::error::OAuthError> {
        let ring = self.key_ring()?;
        Ok(ring
            .published(self.now(), self.config.access_token_ttl)
            .map(|key| key.public.clone())
            .collect())
    }

    fn random_hex(&self, bytes: usize) -> String {
        let mut buf = vec![0u8; bytes];
        self.ports.random.fill(&mut buf);
        buf.iter().map(|b| format!("{b:02x}")).collect()
    }
}
