//! In-memory fakes of every port, for the domain's unit tests. The fake store is held to the
//! same contract suite as the diesel store (`crates/store/tests/contract.rs`, feature
//! `testing`), so a unit test cannot pass on behaviour the real store lacks.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::access_token::alg::SigningAlg;
use crate::authorization::model::{AuthorizationCode, Redemption};
use crate::claims::{AccessClaims, IdTokenClaims, LogoutTokenClaims};
use crate::client::Client;
use crate::error::{CodecError, DenylistError, StoreError};
use crate::grant::{Grant, RefreshTokenRecord, RotateOutcome};
use crate::ids::{ClientId, GrantId, Jti, Kid};
use crate::ids::{SessionId, UserId};
use crate::kernel::{Ports, ServiceConfig};
use crate::keys::{KeyRing, PublicJwk, SigningKey};
use crate::ports::*;
use crate::revocation::model::{Cutoff, CutoffKind, TokenRef};
use crate::revocation::Revocation;
use crate::secret::SecretHash;
use crate::services::Services;
use crate::sessions::model::Session;
use crate::time::UnixTime;
use crate::user::User;

mod audit;
mod bulk;
mod client_admin;
mod passwords;
mod user_activity;

pub use audit::test_audit;
pub use passwords::FakeMailer;

#[derive(Default)]
pub struct FakeStore {
    clients: Mutex<HashMap<ClientId, Client>>,
    users: Mutex<HashMap<String, User>>,
    grants: Mutex<HashMap<GrantId, Grant>>,
    refresh: Mutex<HashMap<String, RefreshTokenRecord>>,
    revoked: Mutex<HashMap<Jti, UnixTime>>,
    keys: Mutex<Vec<SigningKey>>,
    sessions: Mutex<HashMap<String, Session>>,
    codes: Mutex<HashMap<String, AuthorizationCode>>,
    cutoffs: Mutex<HashMap<(CutoffKind, String), Cutoff>>,
    /// Each user's previous password hashes with when they were replaced, newest first.
    password_history: Mutex<HashMap<UserId, Vec<(UnixTime, String)>>>,
    password_resets: Mutex<HashMap<String, crate::accounts::model::PasswordReset>>,
    audit: Mutex<Vec<crate::audit::AuditRecord>>,
    pub down: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes at most `batch` entries for which `expired` holds, as the store's pruning
/// statements do; returns how many.
fn remove_batch<K: Clone + Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, V>,
    batch: usize,
    expired: impl Fn(&V) -> bool,
) -> usize {
    let keys: Vec<K> = map
        .iter()
        .filter(|(_, value)| expired(value))
        .map(|(key, _)| key.clone())
        .take(batch)
        .collect();
    for key in &keys {
        map.remove(key);
    }
    keys.len()
}

impl FakeStore {
    fn up(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable(crate::error::Cause::message(
                "fake store down",
            )))
        } else {
            Ok(())
        }
    }

    pub fn grant(&self, id: &GrantId) -> Option<Grant> {
        lock(&self.grants).get(id).cloned()
    }

    pub fn revoked_count(&self) -> usize {
        lock(&self.revoked).len()
    }

    pub fn grant_count(&self) -> usize {
        lock(&self.grants).len()
    }

    pub fn refresh_count(&self) -> usize {
        lock(&self.refresh).len()
    }
}

impl ClientStore for FakeStore {
    fn find_client(&self, id: &ClientId) -> Result<Option<Client>, StoreError> {
        self.up()?;
        Ok(lock(&self.clients).get(id).cloned())
    }
    fn insert_client(&self, client: &Client, audit: &AuditEvent) -> Result<(), StoreError> {
        self.up()?;
        let mut clients = lock(&self.clients);
        if clients.contains_key(&client.id) {
            return Err(StoreError::Duplicate(client.id.to_string()));
        }
        clients.insert(client.id.clone(), client.clone());
        self.record(audit);
        Ok(())
    }
    fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        self.up()?;
        Ok(lock(&self.clients).values().cloned().collect())
    }
    fn delete_client(
        &self,
        id: &ClientId,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<Option<Vec<Revocation>>, StoreError> {
        self.up()?;
        if lock(&self.clients).remove(id).is_none() {
            return Ok(None);
        }
        self.record(audit);
        let mut out = vec![];
        let mut grants = lock(&self.grants);
        let revoked: HashSet<GrantId> = grants
            .values()
            .filter(|g| &g.client_id == id)
            .map(|g| g.id.clone())
            .collect();
        lock(&self.refresh).retain(|_, record| !revoked.contains(&record.grant_id));
        for grant in grants.values_mut().filter(|g| &g.client_id == id) {
            grant.revoked_at.get_or_insert(now);
            if grant.access_expires_at > now {
                out.push(Revocation::Grant {
                    grant_id: grant.id.clone(),
                    until: grant.access_expires_at,
                });
            }
        }
        Ok(Some(out))
    }
}

impl UserStore for FakeStore {
    fn find_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.up()?;
        Ok(lock(&self.users).get(username).cloned())
    }
    fn find_user_by_id(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        self.up()?;
        Ok(lock(&self.users)
            .values()
            .find(|user| user.id == *id)
            .cloned())
    }
    fn insert_user(&self, user: &User, audit: &AuditEvent) -> Result<(), StoreError> {
        self.up()?;
        let mut users = lock(&self.users);
        if users.contains_key(&user.username) || users.values().any(|u| u.id == user.id) {
            return Err(StoreError::Duplicate(user.username.clone()));
        }
        users.insert(user.username.clone(), user.clone());
        self.record(audit);
        Ok(())
    }
    fn set_user_disabled(
        &self,
        id: &UserId,
        disabled_at: Option<UnixTime>,
        audit: &AuditEvent,
    ) -> Result<Option<User>, StoreError> {
        self.up()?;
        let user = lock(&self.users)
            .values_mut()
            .find(|user| user.id == *id)
            .map(|user| {
                user.disabled_at = disabled_at.map(|at| user.disabled_at.unwrap_or(at));
                user.clone()
            });
        self.record_if(user.is_some(), audit);
        Ok(user)
    }
    fn update_user_profile(
        &self,
        id: &UserId,
        profile: &crate::user::Profile,
        audit: &AuditEvent,
    ) -> Result<Option<User>, StoreError> {
        self.up()?;
        let user = lock(&self.users)
            .values_mut()
            .find(|user| user.id == *id)
            .map(|user| {
                user.profile = profile.clone();
                user.clone()
            });
        self.record_if(user.is_some(), audit);
        Ok(user)
    }
    fn delete_user(&self, id: &UserId, audit: &AuditEvent) -> Result<bool, StoreError> {
        self.up()?;
        let mut users = lock(&self.users);
        let before = users.len();
        users.retain(|_, user| user.id != *id);
        let deleted = users.len() < before;
        self.record_if(deleted, audit);
        Ok(deleted)
    }
    fn list_users(&self, query: &crate::user::UserQuery) -> Result<Vec<User>, StoreError> {
        self.up()?;
        let mut users: Vec<User> = lock(&self.users)
            .values()
            .filter(|user| query.after.as_ref().is_none_or(|after| user.id > *after))
            .filter(|user| {
                query
                    .username_prefix
                    .as_deref()
                    .is_none_or(|prefix| user.username.starts_with(prefix))
            })
            .cloned()
            .collect();
        users.sort_by(|a, b| a.id.cmp(&b.id));
        users.truncate(query.limit);
        Ok(users)
    }
}

impl GrantStore for FakeStore {
    fn create_grant(&self, grant: &Grant, first: &RefreshTokenRecord) -> Result<bool, StoreError> {
        self.up()?;
        let mut grants = lock(&self.grants);
        let mut refresh = lock(&self.refresh);
        if grants.contains_key(&grant.id) || refresh.contains_key(first.hash.as_str()) {
            return Err(StoreError::Duplicate(grant.id.to_string()));
        }
        let stored = self.unless_cut_off(grant);
        let live = !stored.is_revoked();
        grants.insert(grant.id.clone(), stored);
        refresh.insert(first.hash.as_str().to_owned(), first.clone());
        Ok(live)
    }
    fn find_refresh_token(
        &self,
        hash: &SecretHash,
    ) -> Result<Option<(RefreshTokenRecord, Grant)>, StoreError> {
        self.up()?;
        let Some(record) = lock(&self.refresh).get(hash.as_str()).cloned() else {
            return Ok(None);
        };
        Ok(self.grant(&record.grant_id).map(|grant| (record, grant)))
    }
    fn rotate_refresh_token(
        &self,
        old: &SecretHash,
        next: &RefreshTokenRecord,
        now: UnixTime,
        access_expires_at: UnixTime,
    ) -> Result<RotateOutcome, StoreError> {
        self.up()?;
        let mut grants = lock(&self.grants);
        let mut refresh = lock(&self.refresh);
        if refresh.contains_key(next.hash.as_str()) {
            return Err(StoreError::Duplicate("refresh token".into()));
        }
        let Some(record) = refresh.get_mut(old.as_str()) else {
            return Ok(RotateOutcome::Lost);
        };
        let Some(grant) = grants.get_mut(&record.grant_id) else {
            return Ok(RotateOutcome::Lost);
        };
        if record.rotated_at.is_some() || grant.revoked_at.is_some() {
            return Ok(RotateOutcome::Lost);
        }
        record.rotated_at = Some(now);
        grant.access_expires_at = grant.access_expires_at.max(access_expires_at);
        refresh.insert(next.hash.as_str().to_owned(), next.clone());
        Ok(RotateOutcome::Rotated)
    }
    fn add_refresh_token(
        &self,
        next: &RefreshTokenRecord,
        access_expires_at: UnixTime,
    ) -> Result<RotateOutcome, StoreError> {
        self.up()?;
        let mut grants = lock(&self.grants);
        if lock(&self.refresh).contains_key(next.hash.as_str()) {
            return Err(StoreError::Duplicate("refresh token".into()));
        }
        match grants.get_mut(&next.grant_id) {
            Some(grant) if grant.revoked_at.is_none() => {
                grant.access_expires_at = grant.access_expires_at.max(access_expires_at);
            }
            _ => return Ok(RotateOutcome::Lost),
        }
        lock(&self.refresh).insert(next.hash.as_str().to_owned(), next.clone());
        Ok(RotateOutcome::Rotated)
    }
    fn revoke_grant(
        &self,
        id: &GrantId,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<Option<Grant>, StoreError> {
        self.up()?;
        let mut grants = lock(&self.grants);
        let grant = grants.get_mut(id).map(|grant| {
            grant.revoked_at.get_or_insert(now);
            grant.clone()
        });
        if let Some(grant) = &grant {
            // The store knows whose grant it is; the caller may not have.
            let mut audit = audit.clone();
            audit.client_id = Some(grant.client_id.clone());
            audit.user_id = Some(UserId::new(grant.subject.as_str()));
            self.record(&audit);
        }
        Ok(grant)
    }
}

impl RevocationStore for FakeStore {
    fn revoke_access_tokens(&self, batch: &[AccessTokenRevocation]) -> Result<(), StoreError> {
        self.up()?;
        for revocation in batch {
            lock(&self.revoked)
                .entry(revocation.jti.clone())
                .or_insert(revocation.until);
            self.record(&revocation.audit);
        }
        Ok(())
    }
    fn is_revoked(&self, token: &TokenRef<'_>) -> Result<bool, StoreError> {
        self.up()?;
        let grant_revoked = token
            .grant_id
            .and_then(|id| self.grant(id))
            .is_some_and(|g| g.is_revoked());
        let cut_off = lock(&self.cutoffs).values().any(|c| c.covers(token));
        Ok(grant_revoked || cut_off || lock(&self.revoked).contains_key(token.jti))
    }
    fn live_revocations(&self, now: UnixTime) -> Result<Vec<Revocation>, StoreError> {
        self.up()?;
        let mut out: Vec<Revocation> = lock(&self.revoked)
            .iter()
            .filter(|(_, until)| **until > now)
            .map(|(jti, until)| Revocation::AccessToken {
                jti: jti.clone(),
                until: *until,
            })
            .collect();
        out.extend(
            lock(&self.grants)
                .values()
                .filter(|g| g.is_revoked() && g.access_expires_at > now)
                .map(|g| Revocation::Grant {
                    grant_id: g.id.clone(),
                    until: g.access_expires_at,
                }),
        );
        out.extend(
            lock(&self.cutoffs)
                .values()
                .filter(|c| c.until > now)
                .map(|c| Revocation::Cutoff(c.clone())),
        );
        Ok(out)
    }
    fn prune_expired(&self, cutoff: UnixTime, batch: usize) -> Result<usize, StoreError> {
        self.up()?;
        let mut refresh = lock(&self.refresh);
        let expired = remove_batch(&mut refresh, batch, |record| record.expires_at <= cutoff);
        let done = {
            let live_families: HashSet<GrantId> =
                refresh.values().map(|r| r.grant_id.clone()).collect();
            remove_batch(&mut lock(&self.grants), batch, |g| {
                g.access_expires_at <= cutoff && !live_families.contains(&g.id)
            })
        };
        let gone = remove_batch(&mut lock(&self.revoked), batch, |until| *until <= cutoff);
        let codes = remove_batch(&mut lock(&self.codes), batch, |c| c.expires_at <= cutoff);
        let sessions = remove_batch(&mut lock(&self.sessions), batch, |s| s.expires_at <= cutoff);
        let cutoffs = remove_batch(&mut lock(&self.cutoffs), batch, |c| c.until <= cutoff);
        let resets = remove_batch(&mut lock(&self.password_resets), batch, |r| {
            r.expires_at <= cutoff
        });
        Ok(expired + done + gone + codes + sessions + cutoffs + resets)
    }
    fn ping(&self) -> Result<(), StoreError> {
        self.up()
    }
}

impl KeyStore for FakeStore {
    /// Newest first, as the diesel store lists them.
    fn list_keys(&self) -> Result<Vec<SigningKey>, StoreError> {
        self.up()?;
        let mut keys = lock(&self.keys).clone();
        keys.reverse();
        Ok(keys)
    }
    fn add_key_retiring_others(
        &self,
        key: &SigningKey,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.up()?;
        let mut keys = lock(&self.keys);
        if keys.iter().any(|k| k.kid == key.kid) {
            return Err(StoreError::Duplicate(key.kid.to_string()));
        }
        for other in keys.iter_mut().filter(|k| k.algorithm == key.algorithm) {
            other.retired_at.get_or_insert(now);
        }
        keys.push(key.clone());
        self.record(audit);
        Ok(())
    }
}

impl SessionStore for FakeStore {
    fn insert_session(&self, session: &Session, audit: &AuditEvent) -> Result<(), StoreError> {
        self.up()?;
        let mut sessions = lock(&self.sessions);
        let key = session.token_hash.as_str().to_owned();
        if sessions.contains_key(&key) || sessions.values().any(|s| s.id == session.id) {
            return Err(StoreError::Duplicate(session.id.to_string()));
        }
        sessions.insert(key, session.clone());
        self.record(audit);
        Ok(())
    }
    fn find_session(&self, token_hash: &SecretHash) -> Result<Option<Session>, StoreError> {
        self.up()?;
        Ok(lock(&self.sessions).get(token_hash.as_str()).cloned())
    }
    fn session_clients(&self, id: &SessionId) -> Result<Vec<ClientId>, StoreError> {
        self.up()?;
        let mut clients: Vec<ClientId> = lock(&self.grants)
            .values()
            .filter(|grant| grant.session_id.as_ref() == Some(id))
            .map(|grant| grant.client_id.clone())
            .collect();
        clients.sort();
        clients.dedup();
        Ok(clients)
    }
    fn end_session(
        &self,
        id: &SessionId,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<Vec<Revocation>, StoreError> {
        self.up()?;
        let exists = lock(&self.sessions)
            .values()
            .any(|session| session.id == *id);
        self.record_if(exists, audit);
        Ok(self.end_session_now(id, now))
    }
    fn touch_session(&self, id: &SessionId, now: UnixTime) -> Result<(), StoreError> {
        self.up()?;
        for session in lock(&self.sessions).values_mut() {
            if session.id == *id {
                session.last_seen_at = session.last_seen_at.max(now);
            }
        }
        Ok(())
    }
}

impl FakeStore {
    fn end_session_now(&self, id: &SessionId, now: UnixTime) -> Vec<Revocation> {
        for session in lock(&self.sessions).values_mut() {
            if session.id == *id && session.ended_at.is_none() {
                session.ended_at = Some(now);
            }
        }
        for code in lock(&self.codes).values_mut() {
            if code.session_id == *id && code.used_at.is_none() {
                code.used_at = Some(now);
            }
        }
        let mut entries = Vec::new();
        for grant in lock(&self.grants).values_mut() {
            if grant.session_id.as_ref() == Some(id) {
                grant.revoked_at.get_or_insert(now);
                if grant.access_expires_at > now {
                    entries.push(Revocation::Grant {
                        grant_id: grant.id.clone(),
                        until: grant.access_expires_at,
                    });
                }
            }
        }
        entries
    }
}

impl CodeStore for FakeStore {
    fn insert_code(&self, code: &AuthorizationCode) -> Result<(), StoreError> {
        self.up()?;
        let mut codes = lock(&self.codes);
        if codes.contains_key(code.hash.as_str()) {
            return Err(StoreError::Duplicate("authorization code".into()));
        }
        codes.insert(code.hash.as_str().to_owned(), code.clone());
        Ok(())
    }
    fn find_code(&self, hash: &SecretHash) -> Result<Option<AuthorizationCode>, StoreError> {
        self.up()?;
        Ok(lock(&self.codes).get(hash.as_str()).cloned())
    }
    fn redeem_code(
        &self,
        hash: &SecretHash,
        now: UnixTime,
        grant: &Grant,
        first: Option<&RefreshTokenRecord>,
    ) -> Result<Redemption, StoreError> {
        self.up()?;
        let mut codes = lock(&self.codes);
        let Some(code) = codes.get_mut(hash.as_str()) else {
            return Ok(Redemption::Replayed { grant_id: None });
        };
        if code.used_at.is_some() {
            return Ok(Redemption::Replayed {
                grant_id: code.grant_id.clone(),
            });
        }
        let mut grants = lock(&self.grants);
        let mut refresh = lock(&self.refresh);
        if grants.contains_key(&grant.id)
            || first.is_some_and(|first| refresh.contains_key(first.hash.as_str()))
        {
            return Err(StoreError::Duplicate(grant.id.to_string()));
        }
        code.used_at = Some(now);
        code.grant_id = Some(grant.id.clone());
        let stored = self.unless_cut_off(grant);
        let live = !stored.is_revoked();
        grants.insert(grant.id.clone(), stored);
        if let Some(first) = first {
            refresh.insert(first.hash.as_str().to_owned(), first.clone());
        }
        Ok(Redemption::Redeemed { live })
    }
}

#[derive(Default)]
pub struct FakeDenylist {
    entries: Mutex<HashMap<String, Revocation>>,
    pub down: AtomicBool,
    lost: AtomicBool,
    /// Rebuilds begun and not finished; a loss forgets them, as a flush would in Redis.
    rebuilds: Mutex<HashSet<String>>,
}

impl FakeDenylist {
    fn up(&self) -> Result<(), DenylistError> {
        if self.down.load(Ordering::SeqCst) {
            Err(DenylistError::new("fake denylist down"))
        } else {
            Ok(())
        }
    }
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Denylist for FakeDenylist {
    fn deny(&self, entries: &[Revocation], _: UnixTime) -> Result<(), DenylistError> {
        self.up()?;
        let mut map = lock(&self.entries);
        for entry in entries {
            let key = match entry {
                Revocation::AccessToken { jti, .. } => format!("jti:{jti}"),
                Revocation::Grant { grant_id, .. } => format!("gid:{grant_id}"),
                Revocation::Cutoff(c) => format!("{}:{}", c.kind.as_str(), c.id),
            };
            // Raise-only, as the real denylists: a later cut-off or expiry wins.
            let keep = map.get(&key).is_some_and(|held| match (held, entry) {
                (Revocation::Cutoff(held), Revocation::Cutoff(new)) => held.at >= new.at,
                (held, new) => held.until() >= new.until(),
            });
            if !keep {
                map.insert(key, entry.clone());
            }
        }
        Ok(())
    }
    fn is_denied(&self, token: &TokenRef<'_>, now: UnixTime) -> Result<bool, DenylistError> {
        self.up()?;
        let map = lock(&self.entries);
        let keys = [
            Some(format!("jti:{}", token.jti)),
            token.grant_id.map(|g| format!("gid:{g}")),
            Some(format!("sub:{}", token.subject)),
            Some(format!("cid:{}", token.client_id)),
        ];
        Ok(keys
            .iter()
            .flatten()
            .any(|key| map.get(key).is_some_and(|entry| entry.covers(token, now))))
    }
    fn ping(&self) -> Result<(), DenylistError> {
        self.up()
    }
    fn is_complete(&self) -> Result<bool, DenylistError> {
        self.up()?;
        Ok(!self.lost.load(Ordering::SeqCst))
    }
    fn begin_rebuild(&self, rebuild_id: &str) -> Result<(), DenylistError> {
        self.up()?;
        lock(&self.rebuilds).insert(rebuild_id.to_owned());
        Ok(())
    }
    fn finish_rebuild(&self, rebuild_id: &str) -> Result<bool, DenylistError> {
        self.up()?;
        if !lock(&self.rebuilds).remove(rebuild_id) {
            return Ok(false);
        }
        self.lost.store(false, Ordering::SeqCst);
        Ok(true)
    }
}

impl FakeDenylist {
    /// Simulates a Redis restart without persistence.
    pub fn lose_everything(&self) {
        lock(&self.entries).clear();
        lock(&self.rebuilds).clear();
        self.lost.store(true, Ordering::SeqCst);
    }
}

/// A transparent "signature": `kid.base64(claims).base64(secret ++ claims)`. Enough to test
/// the rules (wrong key, tampering) without real cryptography. Keys carry the algorithm
/// asked for, so which key signed what can be checked, but nothing is really signed.
pub struct FakeCodec;

impl AccessTokenCodec for FakeCodec {
    fn generate_key(
        &self,
        kid: Kid,
        alg: SigningAlg,
        now: UnixTime,
    ) -> Result<SigningKey, CodecError> {
        Ok(SigningKey {
            kid: kid.clone(),
            algorithm: alg,
            private_der: kid.as_str().as_bytes().to_vec(),
            public: PublicJwk {
                kty: "oct".into(),
                crv: None,
                x: None,
                y: None,
                n: None,
                e: None,
                kid,
                alg: alg.as_str().into(),
                use_: "sig".into(),
            },
            created_at: now,
            retired_at: None,
        })
    }
    fn sign(&self, key: &SigningKey, claims: &AccessClaims) -> Result<String, CodecError> {
        Ok(fake_signed(key, &serde_json_like(claims)))
    }
    /// Its body has more lines than an access token's, so `decode` refuses it, as the real
    /// codec refuses a `typ` other than `at+jwt`.
    fn sign_id_token(
        &self,
        key: &SigningKey,
        claims: &IdTokenClaims,
    ) -> Result<String, CodecError> {
        Ok(fake_signed(key, &id_token_lines(claims)))
    }
    fn sign_logout_token(
        &self,
        key: &SigningKey,
        claims: &LogoutTokenClaims,
    ) -> Result<String, CodecError> {
        let body = [
            "logout_token",
            &claims.iss,
            &claims.aud,
            &claims.sub,
            claims.sid.as_deref().unwrap_or(""),
            claims.jti.as_str(),
        ]
        .join("\n");
        Ok(fake_signed(key, &body))
    }
    fn decode(&self, token: &str, keys: &KeyRing) -> Result<AccessClaims, CodecError> {
        parse_json_like(&fake_verified_body(token, keys)?).ok_or(CodecError::Malformed)
    }
    fn decode_id_token(&self, token: &str, keys: &KeyRing) -> Result<IdTokenClaims, CodecError> {
        parse_id_token_lines(&fake_verified_body(token, keys)?).ok_or(CodecError::Malformed)
    }
}

/// The body of a token the fake codec signed with a key of `keys`, its signature checked.
fn fake_verified_body(token: &str, keys: &KeyRing) -> Result<String, CodecError> {
    let mut parts = token.split('.');
    let (Some(kid), Some(body), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(CodecError::Malformed);
    };
    let key = keys.by_kid(kid).ok_or(CodecError::UnknownKey)?;
    let body = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| CodecError::Malformed)?;
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| CodecError::Malformed)?;
    if sig != [key.private_der.as_slice(), body.as_slice()].concat() {
        return Err(CodecError::BadSignature);
    }
    String::from_utf8(body).map_err(|_| CodecError::Malformed)
}

fn parse_id_token_lines(body: &str) -> Option<IdTokenClaims> {
    let lines: Vec<&str> = body.split('\n').collect();
    let [kind, iss, sub, aud, exp, iat, auth_time, nonce, at_hash, sid] = lines.as_slice() else {
        return None;
    };
    if *kind != "id_token" {
        return None;
    }
    let optional = |value: &str| (!value.is_empty()).then(|| value.to_owned());
    Some(IdTokenClaims {
        iss: (*iss).to_owned(),
        sub: (*sub).to_owned(),
        aud: (*aud).to_owned(),
        exp: UnixTime(exp.parse().ok()?),
        iat: UnixTime(iat.parse().ok()?),
        auth_time: match *auth_time {
            "" => None,
            t => Some(UnixTime(t.parse().ok()?)),
        },
        nonce: optional(nonce),
        at_hash: optional(at_hash),
        sid: optional(sid),
    })
}

fn fake_signed(key: &SigningKey, body: &str) -> String {
    let sig = [key.private_der.as_slice(), body.as_bytes()].concat();
    format!(
        "{}.{}.{}",
        key.kid,
        URL_SAFE_NO_PAD.encode(body),
        URL_SAFE_NO_PAD.encode(sig)
    )
}

/// The kid of a token the fake codec signed, and its body's lines.
pub fn fake_token_parts(token: &str) -> Option<(String, Vec<String>)> {
    let mut parts = token.split('.');
    let kid = parts.next()?;
    let body = URL_SAFE_NO_PAD.decode(parts.next()?).ok()?;
    let body = String::from_utf8(body).ok()?;
    Some((
        kid.to_owned(),
        body.split('\n').map(str::to_owned).collect(),
    ))
}

fn id_token_lines(c: &IdTokenClaims) -> String {
    let optional = |value: Option<&str>| value.unwrap_or_default().to_owned();
    [
        "id_token".to_owned(),
        c.iss.clone(),
        c.sub.clone(),
        c.aud.clone(),
        c.exp.0.to_string(),
        c.iat.0.to_string(),
        optional(c.auth_time.map(|t| t.0.to_string()).as_deref()),
        optional(c.nonce.as_deref()),
        optional(c.at_hash.as_deref()),
        optional(c.sid.as_deref()),
    ]
    .join("\n")
}

// The domain has no JSON dependency; the fake codec keeps claims in a line-based format.
fn serde_json_like(c: &AccessClaims) -> String {
    let gid = c
        .gid
        .as_ref()
        .map(|g| g.as_str().to_owned())
        .unwrap_or_default();
    [
        c.iss.as_str(),
        &c.sub,
        &c.aud,
        &c.exp.0.to_string(),
        &c.iat.0.to_string(),
        c.jti.as_str(),
        c.client_id.as_str(),
        &c.scope,
        &gid,
    ]
    .join("\n")
}

fn parse_json_like(s: &str) -> Option<AccessClaims> {
    let f: Vec<&str> = s.split('\n').collect();
    if f.len() != 9 {
        return None;
    }
    Some(AccessClaims {
        iss: f[0].into(),
        sub: f[1].into(),
        aud: f[2].into(),
        exp: UnixTime(f[3].parse().ok()?),
        iat: UnixTime(f[4].parse().ok()?),
        jti: Jti::new(f[5]),
        client_id: ClientId::new(f[6]),
        scope: f[7].into(),
        gid: (!f[8].is_empty()).then(|| GrantId::new(f[8])),
    })
}

pub struct FakeHasher;

impl PasswordHasher for FakeHasher {
    fn hash(&self, password: &str) -> Result<String, CodecError> {
        Ok(format!("fake${password}"))
    }
    fn verify(&self, password: &str, hash: &str) -> Result<bool, CodecError> {
        Ok(hash == format!("fake${password}"))
    }
}

#[derive(Default)]
pub struct FakeClock(pub AtomicI64);

impl FakeClock {
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.0.load(Ordering::SeqCst))
    }
}

/// Distinct, predictable bytes: a counter spread over the buffer.
#[derive(Default)]
pub struct CountingRandom(AtomicU64);

impl Random for CountingRandom {
    fn fill(&self, buf: &mut [u8]) {
        let n = self.0.fetch_add(1, Ordering::SeqCst).to_le_bytes();
        for (i, byte) in buf.iter_mut().enumerate() {
            *byte = n[i % 8] ^ (i as u8);
        }
    }
}

/// A service on fakes, with handles to the fakes for tests to inspect and break.
/// Keeps the logout tokens it is asked to deliver, for tests to read.
#[derive(Default)]
pub struct FakeNotifier {
    pub delivered: Mutex<Vec<crate::ports::LogoutDelivery>>,
}

impl crate::ports::LogoutNotifier for FakeNotifier {
    fn notify(&self, deliveries: Vec<crate::ports::LogoutDelivery>) {
        lock(&self.delivered).extend(deliveries);
    }
}

pub struct Harness {
    pub services: Services,
    /// The ports the services run on, for a second `Services` over the same fakes (another
    /// node, a restart with another configuration).
    pub ports: Ports,
    pub store: Arc<FakeStore>,
    pub denylist: Arc<FakeDenylist>,
    pub clock: Arc<FakeClock>,
    pub notifier: Arc<FakeNotifier>,
    pub mailer: Arc<FakeMailer>,
}

impl Harness {
    pub fn new(config: impl FnOnce(&mut ServiceConfig)) -> Harness {
        let store = Arc::new(FakeStore::default());
        let denylist = Arc::new(FakeDenylist::default());
        let clock = Arc::new(FakeClock(AtomicI64::new(1_700_000_000)));
        let notifier = Arc::new(FakeNotifier::default());
        let mailer = Arc::new(FakeMailer::default());
        let ports = Ports {
            store: store.clone(),
            denylist: denylist.clone(),
            codec: Arc::new(FakeCodec),
            passwords: Arc::new(FakeHasher),
            clock: clock.clone(),
            random: Arc::new(CountingRandom::default()),
            logout_notifier: notifier.clone(),
            mailer: mailer.clone(),
        };
        let mut service_config = ServiceConfig::new("https://issuer.test");
        config(&mut service_config);
        let services = Services::new(ports.clone(), service_config);
        services
            .access_tokens
            .ensure_signing_key()
            .expect("fake store is up");
        Harness {
            services,
            ports,
            store,
            denylist,
            clock,
            notifier,
            mailer,
        }
    }
}

impl Harness {
    /// Moves the fake clock on.
    pub fn advance(&self, seconds: i64) {
        self.clock.advance(seconds);
    }

    /// A user with the password "correct horse".
    pub fn user(&self, username: &str) -> User {
        self.services
            .accounts
            .create_user(username, &crate::secret::Secret::new("correct horse"))
            .expect("user")
    }
}

impl FakeStore {
    pub fn live_revocations_for_test(&self, now: UnixTime) -> Vec<Revocation> {
        RevocationStore::live_revocations(self, now).unwrap_or_default()
    }
}

impl Harness {
    pub fn clock_now(&self) -> UnixTime {
        self.clock.now()
    }
}

/// The steps most unit tests start with: a harness, a client, a user's tokens.
pub mod scenario {
    use super::Harness;
    use crate::client::{Client, GrantType};
    use crate::clients::NewClient;
    use crate::introspection::Introspection;
    use crate::issuance::{GrantRequest, IssuedTokens, TokenError};
    use crate::scope::Scope;
    use crate::secret::Secret;

    pub fn harness() -> Harness {
        Harness::new(|_| {})
    }

    pub fn client(h: &Harness, grants: &[GrantType], public: bool) -> (Client, Option<Secret>) {
        h.services
            .clients
            .create_client(NewClient {
                name: "app".into(),
                grant_types: grants.to_vec(),
                scope: Scope::parse("read write").expect("valid"),
                public,
                redirects: Default::default(),
            })
            .expect("created")
    }

    pub fn confidential(h: &Harness) -> Client {
        client(
            h,
            &[
                GrantType::ClientCredentials,
                GrantType::Password,
                GrantType::RefreshToken,
            ],
            false,
        )
        .0
    }

    pub fn user_tokens(h: &Harness, client: &Client) -> IssuedTokens {
        let _ = h
            .services
            .accounts
            .create_user("alice", &Secret::new("correct horse"));
        h.services
            .tokens
            .issue(
                client,
                GrantRequest::Password {
                    username: "alice".into(),
                    password: Secret::new("correct horse"),
                    scope: None,
                    client_address: None,
                },
            )
            .expect("password grant")
    }

    pub fn refresh(
        h: &Harness,
        client: &Client,
        token: &Secret,
    ) -> Result<IssuedTokens, TokenError> {
        h.services.tokens.issue(
            client,
            GrantRequest::RefreshToken {
                refresh_token: token.clone(),
                scope: None,
            },
        )
    }

    pub fn cc_token(h: &Harness, client: &Client) -> String {
        h.services
            .tokens
            .issue(client, GrantRequest::ClientCredentials { scope: None })
            .expect("client credentials")
            .access_token
    }

    /// Revokes `token` while the denylist is down (answered as unavailable, yet the store
    /// keeps the revocation), then brings the denylist back: only the store knows of it,
    /// until a rebuild or a catch-up.
    pub fn revoke_while_the_denylist_is_down(h: &Harness, client: &Client, token: &str) {
        h.denylist
            .down
            .store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(h
            .services
            .revocation
            .revoke(client, token, None, None)
            .is_err());
        h.denylist
            .down
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn active(h: &Harness, caller: &Client, token: &str) -> bool {
        !matches!(
            h.services.introspection.introspect(caller, token, None),
            Ok(Introspection::Inactive)
        )
    }
}
