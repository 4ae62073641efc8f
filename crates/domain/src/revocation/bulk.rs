//! Revoking everything of a user or a client at once ("sign this user out everywhere",
//! "this client's secret leaked"): a not-before cut-off refuses every access token of theirs
//! issued until now, with or without a grant, and every grant, code and session of theirs
//! ends, in one store transaction and one denylist write.

use super::model::{Cutoff, CutoffKind, Revocation};
use super::Revoker;
use crate::audit::{AuditAction, Initiator};
use crate::error::Fault;
use crate::ids::{ClientId, UserId};
use crate::ports::BulkRevoked;

impl Revoker {
    /// Revokes every token of the subject or client `id` (per `kind`) issued until now.
    /// `Ok` means durable and visible in the denylist, as for a single revocation (rule 9).
    ///
    /// The cut-off is this second, and covers tokens issued in it (`iat` has whole seconds).
    /// Tokens this node issues afterwards get a later `iat` (`AccessTokens::issue_time`), so
    /// they are not refused; another node may issue, in the rest of this second, tokens that
    /// are refused at once (never the other way round). Audited as done by `by`.
    pub fn revoke_everything_of(
        &self,
        kind: CutoffKind,
        id: &str,
        by: &Initiator,
    ) -> Result<BulkRevoked, Fault> {
        let now = self.core.now();
        // `now`, or a second later if this node made a cut-off in this second already and
        // may have issued tokens since, dated that second later (`RecentCutoffs`).
        let at = self.access_tokens.cutoff_time(now);
        let cutoff = Cutoff {
            kind,
            id: id.to_owned(),
            at,
            // Every token it covers was issued by `at` and lives `access_token_ttl`.
            until: at.plus_seconds(self.core.config.access_token_ttl),
        };
        let audit = match kind {
            CutoffKind::Subject => by
                .event(now, AuditAction::RevokeEverythingOfUser)
                .user(&UserId::new(id)),
            CutoffKind::Client => by
                .event(now, AuditAction::RevokeEverythingOfClient)
                .client(&ClientId::new(id)),
        };
        let revoked = self
            .core
            .ports
            .store
            .revoke_everything_of(&cutoff, now, &audit)?;
        self.access_tokens.note_cutoff(&cutoff, now);
        let mut entries = Vec::with_capacity(revoked.grants.len() + 1);
        entries.push(Revocation::Cutoff(cutoff));
        // The cut-off covers these grants' tokens too; their own entries are for resource
        // servers still reading contract v1, which has no cut-offs.
        entries.extend(revoked.grants.iter().cloned());
        self.deny(&entries, now)?;
        Ok(revoked)
    }
}
