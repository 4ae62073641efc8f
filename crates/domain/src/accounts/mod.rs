//! Resource owners (users): creating them, and signing them in with a password, behind a
//! brute-force throttle (RFC 6749 §4.3.2). The hosted login page will sign in here too.

pub mod lifecycle;
#[cfg(test)]
mod lifecycle_tests;
pub mod listing;
pub mod mail;
pub mod model;
pub mod password_policy;
mod passwords;
pub mod ports;
#[cfg(test)]
mod tests;
pub mod throttle;
pub mod validation;

use std::net::IpAddr;
use std::sync::Arc;

use crate::audit::{Actor, AuditAction, AuditEvent, Initiator};
use crate::error::{faults_become, AdminError, Fault, StoreError};
use crate::ids::UserId;
use crate::input::is_name;
use crate::kernel::{Core, ID_BYTES};
use crate::secret::Secret;
use model::{Profile, User};
// Longest password hashed: argon2 cost grows with input, so a huge one is a DoS lever.
use password_policy::MAX_PASSWORD_BYTES;
use throttle::SignInThrottle;

pub use listing::ListUsersError;

pub struct Accounts {
    core: Arc<Core>,
    throttle: SignInThrottle,
}

/// Why a sign-in did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// Unknown user or wrong password: one answer for both, at the same cost.
    #[error("wrong username or password")]
    WrongCredentials,
    /// Too many failures for this username or from this address: retry after that many
    /// seconds.
    #[error("too many failed attempts; retry after {retry_after} s")]
    TooManyAttempts { retry_after: i64 },
    #[error(transparent)]
    Unavailable(#[from] Fault),
}

faults_become!(SignInError::Unavailable);

impl Accounts {
    pub(crate) fn new(core: Arc<Core>) -> Accounts {
        let throttle = SignInThrottle::new(core.config.sign_in);
        Accounts { core, throttle }
    }

    /// The user with this id, if any. Ids are hex, like client ids: anything outside that
    /// grammar (a NUL, which Postgres refuses) names no user and never reaches the store,
    /// so it is "not found", never an outage.
    pub fn find_user(&self, id: &str) -> Result<Option<User>, AdminError> {
        if !crate::input::is_client_id(id) {
            return Ok(None);
        }
        Ok(self.core.ports.store.find_user_by_id(&UserId::new(id))?)
    }

    /// The user with this username, if any.
    pub fn find_user_by_username(&self, username: &str) -> Result<Option<User>, AdminError> {
        Ok(self.core.ports.store.find_user_by_username(username)?)
    }

    /// A new user with an empty profile, audited as created by an operator at the command
    /// line.
    pub fn create_user(&self, username: &str, password: &Secret) -> Result<User, AdminError> {
        self.create_user_with_profile(username, password, Profile::default(), &Initiator::cli())
    }

    /// A new user with standard claims (OpenID Connect Core §5.1), audited as created by
    /// `by`. An email is not verified until a verification flow says so.
    pub fn create_user_with_profile(
        &self,
        username: &str,
        password: &Secret,
        profile: Profile,
        by: &Initiator,
    ) -> Result<User, AdminError> {
        validation::check_username(username)
            .and_then(|()| validation::check_password(password))
            .and_then(|()| validation::check_profile(&profile))
            .map_err(|invalid| AdminError::Invalid(invalid.to_string()))?;
        let user = User {
            id: UserId::new(self.core.random_hex(ID_BYTES)),
            username: username.to_owned(),
            password_hash: self.core.ports.passwords.hash(password.expose())?,
            created_at: self.core.now(),
            profile,
            disabled_at: None,
        };
        self.core
            .ports
            .store
            .insert_user(
                &user,
                &self.core.audit(by, AuditAction::UserCreated).user(&user.id),
            )
            .map_err(|e| match e {
                StoreError::Duplicate(_) => {
                    AdminError::Conflict(format!("the username {username:?} is taken"))
                }
                other => AdminError::from(other),
            })?;
        Ok(user)
    }

    /// Checks `password` for `username`. Failures are throttled per username and per
    /// client address (RFC 6749 §4.3.2, NIST SP 800-63B §5.2.2): a throttled attempt is
    /// refused before any password check.
    pub fn sign_in(
        &self,
        username: &str,
        password: &Secret,
        client_address: Option<IpAddr>,
    ) -> Result<User, SignInError> {
        let now = self.core.now();
        // A throttled attempt is not recorded: it checks no password, and recording it would
        // make each request of a flood a store write, which the throttle exists to prevent.
        if let Some(retry_after) = self.throttle.retry_after(username, client_address, now) {
            return Err(SignInError::TooManyAttempts { retry_after });
        }
        match self.verify_password(username, password)? {
            Verdict::Verified(user) => {
                self.throttle.succeeded(username);
                Ok(user)
            }
            Verdict::Refused { user, reason } => {
                self.throttle.failed(username, client_address, now);
                let mut refusal = AuditEvent::new(now, Actor::Anonymous, AuditAction::SignInFailed)
                    .from_address(client_address)
                    .failed(reason);
                // The attempted name is not recorded: people type passwords into it.
                refusal.user_id = user;
                self.core.record_refusal(refusal)?;
                Err(SignInError::WrongCredentials)
            }
        }
    }

    /// The user, if `password` is theirs and they are not disabled. An unknown username
    /// costs the same hash as a known one, and a disabled user's password is verified all
    /// the same, so neither the answer nor the response time tells which usernames exist
    /// or which are disabled.
    fn verify_password(&self, username: &str, password: &Secret) -> Result<Verdict, Fault> {
        if password.expose().len() > MAX_PASSWORD_BYTES {
            return Ok(Verdict::Refused {
                user: None,
                reason: "wrong_credentials",
            });
        }
        // A name no user can have (a NUL, which Postgres refuses) is not looked up: it is
        // an unknown user, at the same cost, never an outage.
        let user = if is_name(username) {
            self.core.ports.store.find_user_by_username(username)?
        } else {
            None
        };
        let passwords = &self.core.ports.passwords;
        let verified = match &user {
            Some(user) => passwords.verify(password.expose(), &user.password_hash)?,
            None => passwords.hash(password.expose()).map(|_| false)?,
        };
        Ok(match user {
            Some(user) if verified && !user.is_disabled() => Verdict::Verified(user),
            Some(user) => Verdict::Refused {
                reason: if verified {
                    "disabled"
                } else {
                    "wrong_credentials"
                },
                user: Some(user.id),
            },
            None => Verdict::Refused {
                user: None,
                reason: "wrong_credentials",
            },
        })
    }
}

/// A password check's result, with what the audit trail records of a refusal: the user, if
/// the name is one, and why (`wrong_credentials` for an unknown name too).
enum Verdict {
    Verified(User),
    Refused {
        user: Option<UserId>,
        reason: &'static str,
    },
}
