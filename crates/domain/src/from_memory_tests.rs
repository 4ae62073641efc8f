//! What an event loop may have answered without waiting (`*_from_memory`): the same answer
//! as the full use case, or `None` whenever that answer needs the store or a long
//! computation.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::access_token::alg::SigningAlg;
use crate::client::{Client, GrantType};
use crate::clients::ClientCredentials;
use crate::issuance::GrantRequest;
use crate::secret::Secret;
use crate::testing::scenario::*;
use crate::testing::Harness;

const ADDRESS: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));

fn credentials(client: &Client, secret: &Secret) -> ClientCredentials {
    ClientCredentials {
        client_id: client.id.to_string(),
        secret: Some(secret.clone()),
    }
}

fn cc() -> GrantRequest {
    GrantRequest::ClientCredentials { scope: None }
}

#[test]
fn a_client_authenticates_from_memory_only_once_the_cache_holds_it() {
    let h = harness();
    let (client, secret) = client(&h, &[GrantType::ClientCredentials], false);
    let secret = secret.expect("confidential");
    let clients = &h.services.clients;
    assert!(clients
        .authenticate_from_memory(&credentials(&client, &secret))
        .is_none());
    clients
        .authenticate(&credentials(&client, &secret))
        .expect("from the store");
    let from_memory = clients.authenticate_from_memory(&credentials(&client, &secret));
    assert_eq!(
        from_memory.expect("cached").expect("authenticated").id,
        client.id
    );
    let wrong = credentials(&client, &Secret::new("wrong"));
    assert!(clients
        .authenticate_from_memory(&wrong)
        .expect("cached")
        .is_err());
}

#[test]
fn without_a_client_cache_nothing_authenticates_from_memory() {
    let h = Harness::new(|config| config.client_cache_ttl = 0);
    let (client, secret) = client(&h, &[GrantType::ClientCredentials], false);
    let secret = secret.expect("confidential");
    h.services
        .clients
        .authenticate(&credentials(&client, &secret))
        .expect("from the store");
    assert!(h
        .services
        .clients
        .authenticate_from_memory(&credentials(&client, &secret))
        .is_none());
}

#[test]
fn client_credentials_are_issued_from_memory_as_the_full_grant_issues_them() {
    let h = harness();
    let client = confidential(&h);
    let tokens = &h.services.tokens;
    assert!(
        tokens.issue_from_memory(&client, &cc()).is_none(),
        "no key ring read yet"
    );
    let full = tokens.issue(&client, cc()).expect("issued");
    let issued = tokens
        .issue_from_memory(&client, &cc())
        .expect("an EdDSA key ring just read")
        .expect("issued");
    assert_eq!(
        (issued.expires_in, &issued.scope, &issued.refresh_token),
        (full.expires_in, &full.scope, &full.refresh_token)
    );
    assert!(active(&h, &client, &issued.access_token));

    let (without_the_grant, _) =
        crate::testing::scenario::client(&h, &[GrantType::Password], false);
    assert!(matches!(
        tokens.issue_from_memory(&without_the_grant, &cc()),
        Some(Err(crate::issuance::TokenError::UnauthorizedClient))
    ));
    let refresh = GrantRequest::RefreshToken {
        refresh_token: Secret::new("anything"),
        scope: None,
    };
    assert!(
        tokens.issue_from_memory(&client, &refresh).is_none(),
        "a grant that reads the store"
    );
}

#[test]
fn nothing_is_issued_from_memory_with_a_key_ring_due_for_a_re_read_or_rs256_signing() {
    let h = harness();
    let client = confidential(&h);
    h.advance(h.services.config().key_refresh_interval + 1);
    assert!(h
        .services
        .tokens
        .issue_from_memory(&client, &cc())
        .is_none());
    h.services
        .tokens
        .issue(&client, cc())
        .expect("re-reads the ring");
    assert!(h
        .services
        .tokens
        .issue_from_memory(&client, &cc())
        .is_some());

    let rs256 = Harness::new(|config| config.access_token_alg = SigningAlg::RS256);
    let client = confidential(&rs256);
    assert!(rs256
        .services
        .tokens
        .issue_from_memory(&client, &cc())
        .is_none());
}

#[test]
fn a_live_access_token_of_the_client_is_revoked_from_memory_as_the_full_path_revokes_it() {
    let h = harness();
    let client = confidential(&h);
    let revocation = &h.services.revocation;
    let (by_memory, by_store) = (cc_token(&h, &client), cc_token(&h, &client));
    let pending = revocation
        .begin_revoke_from_memory(&client, &by_memory, ADDRESS)
        .expect("answered from memory")
        .expect("queued");
    drop(pending.lead);
    assert_eq!(pending.completion.wait(Duration::from_secs(5)), Ok(()));
    revocation
        .revoke(&client, &by_store, None, ADDRESS)
        .expect("revoked");
    assert!(!active(&h, &client, &by_memory));
    let trail = h.store.audit_trail();
    let [.., from_memory, full] = trail.as_slice() else {
        panic!("two entries: {trail:?}");
    };
    let mut expected = full.event.clone();
    expected.target = from_memory.event.target.clone();
    assert_eq!(
        from_memory.event, expected,
        "the same entry but for its token"
    );
}

#[test]
fn what_needs_the_store_is_not_revoked_from_memory() {
    let h = harness();
    let client = confidential(&h);
    let other = confidential(&h);
    let revocation = &h.services.revocation;
    let tokens = user_tokens(&h, &client);
    let refresh = tokens.refresh_token.expect("refresh token");
    // Another client's token: its refusal is audited. A refresh token, or garbage: looked up.
    for token in [tokens.access_token.as_str(), refresh.expose(), "garbage"] {
        assert!(revocation
            .begin_revoke_from_memory(&other, token, ADDRESS)
            .is_none());
    }
    assert!(revocation
        .begin_revoke_from_memory(&client, refresh.expose(), ADDRESS)
        .is_none());
    // A key ring due for a re-read.
    let token = cc_token(&h, &client);
    h.advance(h.services.config().key_refresh_interval + 1);
    assert!(revocation
        .begin_revoke_from_memory(&client, &token, ADDRESS)
        .is_none());
    assert_eq!(h.store.revoked_count(), 0);
}
