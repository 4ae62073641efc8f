//! Introspection, on fakes.

use crate::client::GrantType;
use crate::introspection::{IntrospectError, Introspection};
use crate::testing::scenario::*;
use crate::{DenylistError, Freshness};

// Introspection.

#[test]
fn introspection_reports_live_tokens_and_hides_other_clients_refresh_tokens() {
    let h = harness();
    let owner = confidential(&h);
    let other = confidential(&h);
    let tokens = user_tokens(&h, &owner);
    let refresh_token = tokens.refresh_token.expect("rt");
    assert!(matches!(
        h.services
            .introspection
            .introspect(&other, &tokens.access_token, None),
        Ok(Introspection::Access(_))
    ));
    assert!(matches!(
        h.services
            .introspection
            .introspect(&owner, refresh_token.expose(), None),
        Ok(Introspection::Refresh { .. })
    ));
    assert_eq!(
        h.services
            .introspection
            .introspect(&other, refresh_token.expose(), None),
        Ok(Introspection::Inactive)
    );
}

#[test]
fn public_clients_may_not_introspect() {
    let h = harness();
    let (public, _) = client(&h, &[GrantType::Password], true);
    assert_eq!(
        h.services
            .introspection
            .introspect(&public, "anything", None),
        Err(IntrospectError::PublicClient)
    );
}

// After a fence.

#[test]
fn after_a_fence_a_revoked_access_token_is_inactive_and_a_live_one_active() {
    let h = harness();
    let client = confidential(&h);
    let live = cc_token(&h, &client);
    let revoked = cc_token(&h, &client);
    h.services
        .revocation
        .revoke(&client, &revoked, None, None)
        .expect("revoked");
    let introspect = |token: &str, freshness| {
        h.services
            .introspection
            .introspect_after(&client, token, None, freshness)
    };
    assert!(matches!(
        introspect(&live, Freshness::Current),
        Ok(Introspection::Access(_))
    ));
    assert_eq!(
        introspect(&revoked, Freshness::Current),
        Ok(Introspection::Inactive)
    );
    assert_eq!(
        introspect(&revoked, Freshness::Unknown),
        Ok(Introspection::Inactive)
    );
}

#[test]
fn a_failed_fence_makes_the_store_answer() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    // Revoked while the denylist was away: only the store knows, until a rebuild.
    revoke_while_the_denylist_is_down(&h, &client, &token);
    let failed = Freshness::Failed(DenylistError::new("round lost"));
    assert_eq!(
        h.services
            .introspection
            .introspect_after(&client, &token, None, failed),
        Ok(Introspection::Inactive)
    );
}
