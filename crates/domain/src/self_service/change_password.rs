//! Changing a password with the current one (the reference's Modify User Password):
//! proven again, throttled like sign-in, the new one under the policy, then every other
//! session and grant of the user ended.

use std::net::IpAddr;

use super::{ChangePasswordError, SelfService, UserCaller};
use crate::accounts::SignInError;
use crate::audit::AuditAction;
use crate::issuance::IssuedTokens;
use crate::secret::Secret;

/// What the user sends.
#[derive(Debug)]
pub struct PasswordChange {
    pub current_password: Secret,
    pub new_password: Secret,
    /// Re-issue the calling client fresh tokens (a new grant) after everything is revoked.
    pub keep_current_session: bool,
    /// Where the request came from: failures are throttled per address too.
    pub client_address: Option<IpAddr>,
}

impl SelfService {
    /// Changes `caller`'s password. In order:
    ///
    /// 1. the current password, throttled per username and per address like sign-in
    ///    (NIST SP 800-63B §5.2.2), before any other work;
    /// 2. the new one against the policy (800-63B §5.1.1.2, and the history);
    /// 3. the new hash and the history row, in one store transaction;
    /// 4. a cut-off of the user (`Sessions::sign_out_everywhere`): every session, grant,
    ///    code and access token of theirs issued until now dies, the caller's included.
    ///    A password change is the moment an account may have been taken over: whoever
    ///    else holds a token must lose it.
    ///
    /// With `keep_current_session`, if the caller's token came with a grant (a refresh
    /// token), the calling client gets a new grant with the same scope: `Some` tokens.
    /// The old refresh token is dead either way.
    pub fn change_password(
        &self,
        caller: &UserCaller,
        change: PasswordChange,
    ) -> Result<Option<IssuedTokens>, ChangePasswordError> {
        let user = &caller.user;
        self.accounts
            .verify_current_password(user, &change.current_password, change.client_address)
            .map_err(|error| match error {
                SignInError::WrongCredentials => {
                    let refusal = self
                        .core
                        .audit(caller.initiator(), AuditAction::PasswordChanged)
                        .user(&user.id)
                        .client(&caller.client_id)
                        .failed("wrong_password");
                    match self.core.record_refusal(refusal) {
                        Ok(()) => ChangePasswordError::WrongPassword,
                        Err(fault) => ChangePasswordError::Unavailable(fault),
                    }
                }
                SignInError::TooManyAttempts { retry_after } => {
                    ChangePasswordError::TooManyAttempts { retry_after }
                }
                SignInError::Unavailable(fault) => ChangePasswordError::Unavailable(fault),
            })?;
        let hash = self
            .accounts
            .hash_new_password(user, &change.new_password)?;
        let now = self.core.now();
        let audit = caller
            .initiator()
            .event(now, AuditAction::PasswordChanged)
            .user(&user.id)
            .client(&caller.client_id);
        let stored = self.core.ports.store.set_password(
            &user.id,
            &hash,
            now,
            self.accounts.history_kept(),
            &audit,
        )?;
        if !stored {
            return Err(ChangePasswordError::UnknownUser);
        }
        let revoked = self
            .sessions
            .sign_out_everywhere(&user.id, caller.initiator())?;
        tracing::info!(
            user = %user.id,
            client = %caller.client_id,
            grants_revoked = revoked.grant_count,
            sessions_ended = revoked.session_count,
            "password changed; signed out everywhere"
        );
        if !change.keep_current_session || caller.gid.is_none() {
            return Ok(None);
        }
        // A client deleted meanwhile gets nothing: its tokens are dead anyway.
        let Some(client) = self.clients.find(caller.client_id.as_str())? else {
            return Ok(None);
        };
        // `None` too if the user was disabled meanwhile.
        Ok(self.tokens.reissue(&client, &user.id, &caller.scope)?)
    }
}
