//! Introspection, on fakes.

use crate::client::GrantType;
use crate::introspection::{IntrospectError, Introspection};
use crate::testing::scenario::*;

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
