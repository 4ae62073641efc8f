//! A signed-in user's password: proving the current one again (throttled like sign-in) and
//! choosing a new one under the policy (NIST SP 800-63B §5.1.1.2, and the history rule).

use std::net::IpAddr;

use super::model::User;
use super::password_policy::PasswordCheckError;
use super::{Accounts, SignInError};
use crate::error::Fault;
use crate::secret::Secret;

impl Accounts {
    /// Checks that `password` is `user`'s current one. Failures count against the username
    /// and the address in the sign-in throttle (800-63B §5.2.2: a verifier SHALL limit
    /// failed attempts), so a stolen access token cannot be used to guess the password
    /// faster than the login page allows.
    pub fn verify_current_password(
        &self,
        user: &User,
        password: &Secret,
        client_address: Option<IpAddr>,
    ) -> Result<(), SignInError> {
        let now = self.core.now();
        if let Some(retry_after) = self
            .throttle
            .retry_after(&user.username, client_address, now)
        {
            return Err(SignInError::TooManyAttempts { retry_after });
        }
        let verified = password.expose().len() <= super::MAX_PASSWORD_BYTES
            && self
                .core
                .ports
                .passwords
                .verify(password.expose(), &user.password_hash)
                .map_err(Fault::from)?;
        if verified {
            self.throttle.succeeded(&user.username);
            Ok(())
        } else {
            self.throttle.failed(&user.username, client_address, now);
            Err(SignInError::WrongCredentials)
        }
    }

    /// The hash to store for `password` as `user`'s new one, if the policy accepts it: its
    /// rules, then the history (the current password and the remembered ones, each checked
    /// once).
    pub fn hash_new_password(
        &self,
        user: &User,
        password: &Secret,
    ) -> Result<String, PasswordCheckError> {
        let policy = self.core.config.password_policy;
        let email = user.profile.email.as_deref().unwrap_or_default();
        let identifiers = [user.username.as_str(), email];
        // The cheap rules first: no store read or hashing for a password refused anyway.
        policy.check_choice(password, &identifiers)?;
        // The current password is the first of the last `history` ones.
        let mut previous = vec![user.password_hash.clone()];
        if self.history_kept() > 0 {
            previous.extend(
                self.core
                    .ports
                    .store
                    .password_history(&user.id, self.history_kept())
                    .map_err(Fault::from)?,
            );
        }
        let passwords = self.core.ports.passwords.as_ref();
        policy.check(password, &identifiers, &previous, passwords)?;
        Ok(passwords.hash(password.expose()).map_err(Fault::from)?)
    }

    /// How many previous passwords the store keeps: the policy's history, less the
    /// current one (which the user's row holds).
    pub(crate) fn history_kept(&self) -> usize {
        self.core.config.password_policy.history.saturating_sub(1)
    }
}
