//! Client authentication (rule 1), registration and the client cache, on fakes.

use crate::client::GrantType;
use crate::clients::{AuthError, ClientCredentials, NewClient};
use crate::scope::Scope;
use crate::secret::Secret;
use crate::testing::scenario::*;
use std::sync::atomic::Ordering;

// Rule 1: authenticate the client first.

#[test]
fn authenticates_with_the_right_secret_only() {
    let h = harness();
    let (client, secret) = client(&h, &[GrantType::ClientCredentials], false);
    let creds = |secret: Option<Secret>| ClientCredentials {
        client_id: client.id.to_string(),
        secret,
    };
    assert_eq!(
        h.services
            .clients
            .authenticate(&creds(secret.clone()))
            .map(|c| c.id),
        Ok(client.id.clone())
    );
    assert_eq!(
        h.services
            .clients
            .authenticate(&creds(Some(Secret::new("nope")))),
        Err(AuthError::InvalidClient)
    );
    assert_eq!(
        h.services.clients.authenticate(&creds(None)),
        Err(AuthError::InvalidClient)
    );
    let unknown = ClientCredentials {
        client_id: "unknown".into(),
        secret,
    };
    assert_eq!(
        h.services.clients.authenticate(&unknown),
        Err(AuthError::InvalidClient)
    );
}

#[test]
fn public_clients_authenticate_by_id_and_may_not_present_a_secret() {
    let h = harness();
    let (client, secret) = client(&h, &[GrantType::Password, GrantType::RefreshToken], true);
    assert!(secret.is_none());
    let by_id = ClientCredentials {
        client_id: client.id.to_string(),
        secret: None,
    };
    assert!(h.services.clients.authenticate(&by_id).is_ok());
    let with_secret = ClientCredentials {
        client_id: client.id.to_string(),
        secret: Some(Secret::new("x")),
    };
    assert_eq!(
        h.services.clients.authenticate(&with_secret),
        Err(AuthError::InvalidClient)
    );
}

#[test]
fn store_outage_is_unavailable_not_invalid_client() {
    let h = harness();
    let client = confidential(&h);
    h.store.down.store(true, Ordering::SeqCst);
    let creds = ClientCredentials {
        client_id: client.id.to_string(),
        secret: None,
    };
    assert!(matches!(
        h.services.clients.authenticate(&creds),
        Err(AuthError::Unavailable(_))
    ));
}

// Admin rules.

#[test]
fn public_client_cannot_have_client_credentials() {
    let h = harness();
    let result = h.services.clients.create_client(NewClient {
        name: "spa".into(),
        grant_types: vec![GrantType::ClientCredentials],
        scope: Scope::default(),
        public: true,
        redirects: Default::default(),
    });
    assert!(result.is_err());
}

#[test]
fn client_secret_is_256_bits_and_only_its_hash_is_kept() {
    let h = harness();
    let (client, secret) = client(&h, &[GrantType::ClientCredentials], false);
    let secret = secret.expect("confidential");
    assert!(secret.expose().len() >= 43, "32 bytes, base64url");
    assert_eq!(client.secret_hash, Some(secret.hash()));
}

#[test]
fn deleting_a_client_revokes_its_grants() {
    let h = harness();
    let client = confidential(&h);
    let tokens = user_tokens(&h, &client);
    assert_eq!(
        h.services
            .clients
            .delete_client(client.id.as_str(), &crate::audit::Initiator::cli())
            .ok(),
        Some(true)
    );
    assert!(!active(&h, &confidential(&h), &tokens.access_token));
}

#[test]
fn a_deleted_client_stops_authenticating_at_once_on_this_node() {
    let h = harness();
    let (client, secret) = client(&h, &[GrantType::ClientCredentials], false);
    let creds = ClientCredentials {
        client_id: client.id.to_string(),
        secret,
    };
    assert!(
        h.services.clients.authenticate(&creds).is_ok(),
        "now cached"
    );
    assert_eq!(
        h.services
            .clients
            .delete_client(client.id.as_str(), &crate::audit::Initiator::cli())
            .ok(),
        Some(true)
    );
    assert_eq!(
        h.services.clients.authenticate(&creds),
        Err(AuthError::InvalidClient)
    );
}

#[test]
fn cached_clients_are_reread_after_the_ttl() {
    let h = harness();
    let (client, secret) = client(&h, &[GrantType::ClientCredentials], false);
    let creds = ClientCredentials {
        client_id: client.id.to_string(),
        secret,
    };
    assert!(h.services.clients.authenticate(&creds).is_ok());
    // Deleted behind the service's back, as by another node.
    crate::ports::ClientStore::delete_client(
        h.store.as_ref(),
        &client.id,
        h.clock_now(),
        &crate::testing::test_audit(),
    )
    .expect("deleted");
    assert!(
        h.services.clients.authenticate(&creds).is_ok(),
        "served from the cache within the TTL"
    );
    h.clock.advance(h.services.config().client_cache_ttl);
    assert_eq!(
        h.services.clients.authenticate(&creds),
        Err(AuthError::InvalidClient)
    );
}

#[test]
fn unknown_client_ids_are_cached_like_known_ones() {
    let h = harness();
    let unknown = ClientCredentials {
        client_id: "made-up".into(),
        secret: Some(Secret::new("guess")),
    };
    assert_eq!(
        h.services.clients.authenticate(&unknown),
        Err(AuthError::InvalidClient)
    );
    // No store read within the TTL: the store being down does not show.
    h.store.down.store(true, Ordering::SeqCst);
    assert_eq!(
        h.services.clients.authenticate(&unknown),
        Err(AuthError::InvalidClient),
        "answered from the cache, as a known client would be"
    );
    h.clock.advance(h.services.config().client_cache_ttl);
    assert!(
        matches!(
            h.services.clients.authenticate(&unknown),
            Err(AuthError::Unavailable(_))
        ),
        "re-read after the TTL"
    );
}
