//! Deleting what has expired, so that the store holds only what can still matter.

use super::Revoker;
use crate::error::Fault;

/// Rows deleted per statement (of each kind): small enough that a batch commits in
/// milliseconds, so revocations queued behind it barely wait.
const PRUNE_BATCH: usize = 500;

impl Revoker {
    /// Deletes every expired revocation, refresh token and finished grant older than
    /// `prune_margin` (see `RevocationStore::prune_expired` for exactly what), in batches,
    /// and returns how many rows went. Answers are unchanged: nothing deleted is live.
    pub fn prune_expired(&self) -> Result<usize, Fault> {
        // One cutoff for the whole run: rows expiring meanwhile wait for the next run.
        let cutoff = self
            .core
            .now()
            .plus_seconds(-self.core.config.prune_margin.max(0));
        let mut total = 0;
        loop {
            let deleted = self.core.ports.store.prune_expired(cutoff, PRUNE_BATCH)?;
            total += deleted;
            // Fewer than one batch in all means no kind filled its batch: nothing is left.
            if deleted < PRUNE_BATCH {
                return Ok(total);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::client::GrantType;
    use crate::clients::NewClient;
    use crate::error::Fault;
    use crate::issuance::GrantRequest;
    use crate::scope::Scope;
    use crate::secret::Secret;
    use crate::testing::Harness;

    /// Margin 60 s; the given lifetimes (access, refresh).
    fn harness_with(access: i64, refresh: i64) -> (Harness, crate::client::Client) {
        let h = Harness::new(|c| {
            c.access_token_ttl = access;
            c.refresh_token_ttl = refresh;
            c.prune_margin = 60;
        });
        let (client, _) = h
            .services
            .clients
            .create_client(NewClient {
                name: "app".into(),
                grant_types: vec![GrantType::Password, GrantType::RefreshToken],
                scope: Scope::parse("read").expect("scope"),
                public: false,
                redirects: Default::default(),
            })
            .expect("client");
        h.services
            .accounts
            .create_user("alice", &Secret::new("correct horse"))
            .expect("user");
        (h, client)
    }

    fn harness() -> (Harness, crate::client::Client) {
        harness_with(60, 600)
    }

    fn password_grant(h: &Harness, client: &crate::client::Client) -> crate::IssuedTokens {
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
            .expect("tokens")
    }

    #[test]
    fn expired_rows_go_in_batches_and_live_ones_stay() {
        let (h, client) = harness();
        // More revoked access tokens than one batch, so the loop must run again.
        for _ in 0..super::PRUNE_BATCH + 7 {
            let tokens = password_grant(&h, &client);
            h.services
                .revocation
                .revoke(&client, &tokens.access_token, None, None)
                .expect("revoked");
        }
        let grants = h.store.grant_count();
        assert_eq!(h.store.revoked_count(), super::PRUNE_BATCH + 7);

        // Expired, but not yet past the margin: nothing goes.
        h.clock.advance(61);
        assert_eq!(h.services.revocation.prune_expired().expect("pruned"), 0);

        // Past access expiry and margin, refresh tokens still live: only revocations go.
        h.clock.advance(60);
        let live = password_grant(&h, &client);
        h.services
            .revocation
            .revoke(&client, &live.access_token, None, None)
            .expect("revoked");
        assert_eq!(
            h.services.revocation.prune_expired().expect("pruned"),
            super::PRUNE_BATCH + 7
        );
        assert_eq!(h.store.revoked_count(), 1, "the live revocation stays");
        assert_eq!(h.store.grant_count(), grants + 1);
        let now = h.clock_now();
        assert_eq!(h.store.live_revocations_for_test(now).len(), 1);

        // Past every refresh token's expiry and margin: everything goes.
        h.clock.advance(600 + 60);
        let refresh_tokens = h.store.refresh_count();
        assert_eq!(
            h.services.revocation.prune_expired().expect("pruned"),
            1 + refresh_tokens + grants + 1
        );
        assert_eq!(h.store.grant_count(), 0);
        assert_eq!(h.store.refresh_count(), 0);
        assert_eq!(h.store.revoked_count(), 0);
    }

    #[test]
    fn a_revoked_grant_stays_while_its_access_tokens_may_live() {
        // Refresh tokens outlived by access tokens, so the grant is left without any.
        let (h, client) = harness_with(120, 10);
        let tokens = password_grant(&h, &client);
        let refresh = tokens.refresh_token.expect("refresh token");
        h.services
            .revocation
            .revoke(&client, refresh.expose(), None, None)
            .expect("revoked");
        let revocation = h.store.live_revocations_for_test(h.clock_now());
        assert_eq!(revocation.len(), 1, "the grant is revoked");

        // The refresh token is past expiry and margin; the grant's access token is not.
        h.clock.advance(75);
        assert_eq!(h.services.revocation.prune_expired().expect("pruned"), 1);
        assert_eq!(h.store.refresh_count(), 0);
        assert_eq!(
            h.store.grant_count(),
            1,
            "its access token may still be live"
        );
        assert_eq!(h.store.live_revocations_for_test(h.clock_now()), revocation);

        // Past the access token's expiry and margin: the grant goes too.
        h.clock.advance(106);
        assert_eq!(h.services.revocation.prune_expired().expect("pruned"), 1);
        assert_eq!(h.store.grant_count(), 0);
    }

    #[test]
    fn a_store_outage_is_an_error() {
        let (h, _) = harness();
        h.store
            .down
            .store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(matches!(
            h.services.revocation.prune_expired(),
            Err(Fault::Store(_))
        ));
    }
}
