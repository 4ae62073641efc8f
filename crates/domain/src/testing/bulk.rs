//! The fake store's bulk revocation: the same rules as the diesel store, in memory.

use super::{lock, FakeStore};
use crate::audit::AuditEvent;
use crate::error::StoreError;
use crate::grant::Grant;
use crate::ports::{BulkRevocationStore, BulkRevoked};
use crate::revocation::model::{Cutoff, CutoffKind, Revocation};
use crate::time::UnixTime;

impl FakeStore {
    /// `grant`, stored revoked if a cut-off of its subject or client covers its creation,
    /// or if its subject is a disabled user or no user at all.
    pub(super) fn unless_cut_off(&self, grant: &Grant) -> Grant {
        let subject_gone = !lock(&self.users)
            .values()
            .any(|user| user.id.as_str() == grant.subject && !user.is_disabled());
        let cutoffs = lock(&self.cutoffs);
        let covered = [
            (CutoffKind::Subject, grant.subject.as_str()),
            (CutoffKind::Client, grant.client_id.as_str()),
        ]
        .iter()
        .any(|(kind, id)| {
            cutoffs
                .get(&(*kind, (*id).to_owned()))
                .is_some_and(|c| grant.created_at <= c.at)
        });
        let mut grant = grant.clone();
        if covered || subject_gone {
            grant.revoked_at.get_or_insert(grant.created_at);
        }
        grant
    }
}

impl BulkRevocationStore for FakeStore {
    fn revoke_everything_of(
        &self,
        cutoff: &Cutoff,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> Result<BulkRevoked, StoreError> {
        self.up()?;
        self.record(audit);
        {
            let mut cutoffs = lock(&self.cutoffs);
            let held = cutoffs
                .entry((cutoff.kind, cutoff.id.clone()))
                .or_insert_with(|| cutoff.clone());
            held.at = held.at.max(cutoff.at);
            held.until = held.until.max(cutoff.until);
        }
        let owns = |subject: &str, client: &str| match cutoff.kind {
            CutoffKind::Subject => subject == cutoff.id,
            CutoffKind::Client => client == cutoff.id,
        };
        let mut revoked = BulkRevoked::default();
        for code in lock(&self.codes).values_mut() {
            if owns(code.user_id.as_str(), code.client_id.as_str()) && code.used_at.is_none() {
                code.used_at = Some(now);
            }
        }
        for grant in lock(&self.grants).values_mut() {
            if owns(&grant.subject, grant.client_id.as_str())
                && grant.created_at <= cutoff.at
                && grant.revoked_at.is_none()
            {
                grant.revoked_at = Some(now);
                revoked.grant_count += 1;
                revoked.clients.push(grant.client_id.clone());
                if grant.access_expires_at > now {
                    revoked.grants.push(Revocation::Grant {
                        grant_id: grant.id.clone(),
                        until: grant.access_expires_at,
                    });
                }
            }
        }
        if cutoff.kind == CutoffKind::Subject {
            for session in lock(&self.sessions).values_mut() {
                if session.user_id.as_str() == cutoff.id && session.ended_at.is_none() {
                    session.ended_at = Some(now);
                    revoked.session_count += 1;
                }
            }
        }
        revoked.clients.sort();
        revoked.clients.dedup();
        Ok(revoked)
    }

    fn find_cutoff(
        &self,
        kind: CutoffKind,
        id: &str,
        now: UnixTime,
    ) -> Result<Option<Cutoff>, StoreError> {
        self.up()?;
        Ok(lock(&self.cutoffs)
            .get(&(kind, id.to_owned()))
            .filter(|c| c.until > now)
            .cloned())
    }
}
