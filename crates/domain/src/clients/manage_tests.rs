//! Operators' client management on fakes: paging, redirect URI changes and secret rotation,
//! each taking effect on this node at once and on others within the cache's TTL.

use std::sync::atomic::Ordering;

use crate::client::{GrantType, Redirects};
use crate::clients::{
    AuthError, ClientChangeError, ClientCredentials, InvalidClient, ListClientsError, NewClient,
};
use crate::ports::ClientAdminStore;
use crate::scope::Scope;
use crate::secret::Secret;
use crate::testing::scenario::*;
use crate::testing::Harness;

fn creds(id: &str, secret: Option<Secret>) -> ClientCredentials {
    ClientCredentials {
        client_id: id.to_owned(),
        secret,
    }
}

/// An authorization code client redirecting to `uri`.
fn web_client(h: &Harness, uri: &str) -> crate::client::Client {
    h.services
        .clients
        .create_client(NewClient {
            name: "web".into(),
            grant_types: vec![GrantType::AuthorizationCode],
            scope: Scope::default(),
            public: true,
            redirects: Redirects {
                redirect_uris: vec![uri.into()],
                ..Default::default()
            },
        })
        .expect("created")
        .0
}

#[test]
fn a_rotated_secret_replaces_the_old_one_at_once_on_this_node() {
    let h = harness();
    let (client, old) = client(&h, &[GrantType::ClientCredentials], false);
    let id = client.id.as_str();
    assert!(
        h.services
            .clients
            .authenticate(&creds(id, old.clone()))
            .is_ok(),
        "cached now"
    );
    let (rotated, new) = h
        .services
        .clients
        .rotate_secret(id, &crate::audit::Initiator::cli())
        .expect("rotated")
        .expect("exists");
    assert_ne!(Some(&new), old.as_ref());
    assert!(new.expose().len() >= 43, "32 bytes, base64url");
    assert_eq!(
        rotated.secret_hash,
        Some(new.hash()),
        "only the hash is kept"
    );
    assert_eq!(
        h.services.clients.authenticate(&creds(id, old)),
        Err(AuthError::InvalidClient),
        "the old secret stops at once, cache or not"
    );
    assert!(h
        .services
        .clients
        .authenticate(&creds(id, Some(new)))
        .is_ok());
}

#[test]
fn another_nodes_change_is_seen_within_the_ttl() {
    let h = harness();
    let (client, old) = client(&h, &[GrantType::ClientCredentials], false);
    let id = client.id.as_str();
    assert!(h
        .services
        .clients
        .authenticate(&creds(id, old.clone()))
        .is_ok());
    // Rotated behind this node's back, as by another node.
    let new = Secret::new("rotated elsewhere");
    h.store
        .set_client_secret(&client.id, &new.hash(), &crate::testing::test_audit())
        .expect("written");
    assert!(
        h.services
            .clients
            .authenticate(&creds(id, old.clone()))
            .is_ok(),
        "this node's cached copy, within the TTL"
    );
    h.clock.advance(h.services.config().client_cache_ttl);
    assert_eq!(
        h.services.clients.authenticate(&creds(id, old)),
        Err(AuthError::InvalidClient)
    );
    assert!(h
        .services
        .clients
        .authenticate(&creds(id, Some(new)))
        .is_ok());
}

#[test]
fn a_public_client_has_no_secret_to_rotate() {
    let h = harness();
    let (public, _) = client(&h, &[GrantType::Password], true);
    assert_eq!(
        h.services
            .clients
            .rotate_secret(public.id.as_str(), &crate::audit::Initiator::cli()),
        Err(ClientChangeError::Public)
    );
    let read = h.services.clients.find_client(public.id.as_str());
    assert!(read.expect("read").expect("exists").is_public());
    for unknown in ["nobody", "", "a\0b"] {
        assert_eq!(
            h.services
                .clients
                .rotate_secret(unknown, &crate::audit::Initiator::cli()),
            Ok(None)
        );
    }
}

#[test]
fn redirect_uris_are_replaced_under_the_registration_rules_and_seen_at_once() {
    let h = harness();
    let web = web_client(&h, "https://old.example/cb");
    let id = web.id.as_str();
    assert!(h.services.clients.find(id).expect("cached").is_some());
    let changed = h
        .services
        .clients
        .set_redirect_uris(
            id,
            vec!["https://new.example/cb".into()],
            &crate::audit::Initiator::cli(),
        )
        .expect("changed")
        .expect("exists");
    assert_eq!(changed.redirects.redirect_uris, ["https://new.example/cb"]);
    let seen = h.services.clients.find(id).expect("read").expect("exists");
    assert!(
        seen.redirects_to("https://new.example/cb"),
        "not the cached copy"
    );
    assert!(!seen.redirects_to("https://old.example/cb"));

    for bad in [
        "http://evil.example/cb",
        "https://new.example/cb#x",
        "/relative",
        "javascript:alert(1)",
    ] {
        assert!(
            matches!(
                h.services.clients.set_redirect_uris(
                    id,
                    vec![bad.into()],
                    &crate::audit::Initiator::cli()
                ),
                Err(ClientChangeError::Invalid(InvalidClient::RedirectUri(_)))
            ),
            "{bad}"
        );
    }
    assert_eq!(
        h.services
            .clients
            .set_redirect_uris(id, vec![], &crate::audit::Initiator::cli()),
        Err(ClientChangeError::Invalid(
            InvalidClient::RedirectUriRequired
        )),
        "an authorization_code client keeps one"
    );
    let kept = h.services.clients.find_client(id).expect("read");
    assert_eq!(
        kept.expect("exists").redirects.redirect_uris,
        ["https://new.example/cb"],
        "a refused change wrote nothing"
    );
    // A client without the authorization code grant may have none.
    let api = confidential(&h);
    let emptied = h
        .services
        .clients
        .set_redirect_uris(api.id.as_str(), vec![], &crate::audit::Initiator::cli())
        .expect("changed");
    assert!(emptied.is_some());
    assert_eq!(
        h.services
            .clients
            .set_redirect_uris("nobody", vec![], &crate::audit::Initiator::cli()),
        Ok(None)
    );
}

#[test]
fn clients_are_listed_a_page_at_a_time_in_id_order() {
    let h = harness();
    let mut created: Vec<String> = (0..5).map(|_| confidential(&h).id.to_string()).collect();
    created.sort();
    let clients = &h.services.clients;
    let first = clients.list_page(Some(2), None).expect("page");
    let ids = |page: &crate::clients::ClientPage| {
        page.clients
            .iter()
            .map(|c| c.id.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&first), created[..2]);
    assert_eq!(
        first.next.as_ref().map(|id| id.to_string()),
        Some(created[1].clone())
    );
    let second = clients
        .list_page(Some(2), first.next.as_ref().map(|id| id.as_str()))
        .expect("page");
    assert_eq!(ids(&second), created[2..4]);
    let last = clients
        .list_page(Some(2), second.next.as_ref().map(|id| id.as_str()))
        .expect("page");
    assert_eq!((ids(&last), last.next), (created[4..].to_vec(), None));
    let exact = clients.list_page(Some(5), None).expect("page");
    assert_eq!(exact.next, None, "no empty last page");
    assert_eq!(
        clients.list_page(None, None).expect("page").clients.len(),
        5
    );
    for limit in [0, 201] {
        assert_eq!(
            clients.list_page(Some(limit), None),
            Err(ListClientsError::InvalidLimit)
        );
    }
    assert_eq!(
        clients.list_page(None, Some("a\0b")),
        Err(ListClientsError::InvalidCursor)
    );
}

#[test]
fn an_outage_changes_nothing_and_says_unavailable() {
    let h = harness();
    let (client, secret) = client(&h, &[GrantType::ClientCredentials], false);
    h.store.down.store(true, Ordering::SeqCst);
    let id = client.id.as_str();
    assert!(matches!(
        h.services
            .clients
            .rotate_secret(id, &crate::audit::Initiator::cli()),
        Err(ClientChangeError::Unavailable(_))
    ));
    assert!(matches!(
        h.services
            .clients
            .set_redirect_uris(id, vec![], &crate::audit::Initiator::cli()),
        Err(ClientChangeError::Unavailable(_))
    ));
    assert!(matches!(
        h.services.clients.list_page(None, None),
        Err(ListClientsError::Unavailable(_))
    ));
    h.store.down.store(false, Ordering::SeqCst);
    assert!(h.services.clients.authenticate(&creds(id, secret)).is_ok());
}
