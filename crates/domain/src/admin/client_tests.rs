//! The admin API's client directory and key rotation on fakes.

use std::sync::atomic::Ordering;

use super::{AdminAuthError, AdminCaller, AdminOpError, ClientDraft, ADMIN_SCOPE};
use crate::access_token::alg::SigningAlg;
use crate::client::{Client, GrantType};
use crate::clients::{ClientCredentials, InvalidClient, NewClient};
use crate::issuance::GrantRequest;
use crate::keys::KeyRing;
use crate::scope::Scope;
use crate::testing::scenario::*;
use crate::testing::Harness;

fn admin(h: &Harness) -> (Client, AdminCaller) {
    let (client, _) = h
        .services
        .clients
        .create_client(NewClient {
            name: "back office".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scope: Scope::parse(ADMIN_SCOPE).expect("scope"),
            public: false,
            redirects: Default::default(),
        })
        .expect("client");
    let token = admin_token(h, &client);
    let caller = h.services.admin.authorize(&token, None).expect("an admin");
    (client, caller)
}

fn admin_token(h: &Harness, client: &Client) -> String {
    h.services
        .tokens
        .issue(
            client,
            GrantRequest::ClientCredentials {
                scope: Some(Scope::parse(ADMIN_SCOPE).expect("scope")),
            },
        )
        .expect("token")
        .access_token
}

fn draft(grants: &[&str]) -> ClientDraft {
    ClientDraft {
        name: "api".into(),
        grant_types: grants.iter().map(|g| (*g).to_owned()).collect(),
        scope: "read write".into(),
        ..Default::default()
    }
}

#[test]
fn a_created_client_shows_its_secret_once_and_never_its_hash() {
    let h = harness();
    let (_, caller) = admin(&h);
    let admin = &h.services.admin;
    let (view, secret) = admin
        .create_client(&caller, draft(&["client_credentials"]))
        .expect("created");
    let secret = secret.expect("confidential");
    assert!(!view.public);
    assert_eq!(view.scope.to_string(), "read write");
    let creds = ClientCredentials {
        client_id: view.id.to_string(),
        secret: Some(secret.clone()),
    };
    assert!(h.services.clients.authenticate(&creds).is_ok());
    let read = admin.get_client(&caller, view.id.as_str()).expect("read");
    assert_eq!(read, view);
    let shown = format!("{read:?}");
    assert!(!shown.contains(secret.expose()) && !shown.contains(secret.hash().as_str()));
    let public = ClientDraft {
        public: true,
        ..draft(&["password", "refresh_token"])
    };
    let (view, secret) = admin.create_client(&caller, public).expect("created");
    assert!(view.public && secret.is_none());
}

#[test]
fn a_client_that_breaks_a_rule_is_refused_with_the_rule() {
    let h = harness();
    let (_, caller) = admin(&h);
    let admin = &h.services.admin;
    let refused = |draft: ClientDraft| match admin.create_client(&caller, draft) {
        Err(AdminOpError::InvalidClient(invalid)) => invalid,
        other => panic!("not refused: {other:?}"),
    };
    assert_eq!(refused(draft(&["implicit"])), InvalidClient::GrantTypes);
    assert_eq!(refused(draft(&[])), InvalidClient::GrantTypes);
    assert_eq!(
        refused(ClientDraft {
            scope: "bad\"scope".into(),
            ..draft(&["password"])
        }),
        InvalidClient::Scope
    );
    assert_eq!(
        refused(ClientDraft {
            name: " \n ".into(),
            ..draft(&["password"])
        }),
        InvalidClient::Name
    );
    assert_eq!(
        refused(ClientDraft {
            public: true,
            ..draft(&["client_credentials"])
        }),
        InvalidClient::PublicClientCredentials
    );
    assert_eq!(
        refused(draft(&["authorization_code"])),
        InvalidClient::RedirectUriRequired
    );
    assert!(matches!(
        refused(ClientDraft {
            redirect_uris: vec!["http://evil.example/cb".into()],
            ..draft(&["authorization_code"])
        }),
        InvalidClient::RedirectUri(_)
    ));
    assert!(matches!(
        refused(ClientDraft {
            backchannel_logout_uri: Some("com.example.app:/logout".into()),
            ..draft(&["password"])
        }),
        InvalidClient::BackchannelLogoutUri(_)
    ));
    assert_eq!(
        h.services
            .clients
            .list_page(None, None)
            .map(|p| p.clients.len()),
        Ok(1),
        "only the admin client exists"
    );
}

#[test]
fn redirect_uris_are_replaced_and_checked() {
    let h = harness();
    let (_, caller) = admin(&h);
    let admin = &h.services.admin;
    let (web, _) = admin
        .create_client(
            &caller,
            ClientDraft {
                redirect_uris: vec!["https://old.example/cb".into()],
                ..draft(&["authorization_code"])
            },
        )
        .expect("created");
    let id = web.id.as_str();
    let uris = vec![
        "https://new.example/cb".to_owned(),
        "http://127.0.0.1/cb".to_owned(),
    ];
    let changed = admin
        .set_client_redirect_uris(&caller, id, uris.clone())
        .expect("changed");
    assert_eq!(changed.redirects.redirect_uris, uris);
    assert_eq!(
        admin
            .get_client(&caller, id)
            .expect("read")
            .redirects
            .redirect_uris,
        uris
    );
    assert!(matches!(
        admin.set_client_redirect_uris(&caller, id, vec!["https://x.example/#f".into()]),
        Err(AdminOpError::InvalidClient(InvalidClient::RedirectUri(_)))
    ));
    assert_eq!(
        admin.set_client_redirect_uris(&caller, id, vec![]),
        Err(AdminOpError::InvalidClient(
            InvalidClient::RedirectUriRequired
        ))
    );
}

#[test]
fn rotating_a_secret_refuses_public_clients() {
    let h = harness();
    let (_, caller) = admin(&h);
    let admin = &h.services.admin;
    let (api, old) = admin
        .create_client(&caller, draft(&["client_credentials"]))
        .expect("created");
    let (view, new) = admin
        .rotate_client_secret(&caller, api.id.as_str())
        .expect("rotated");
    assert_eq!(view, api, "nothing shown changed");
    let authenticates = |secret| {
        h.services
            .clients
            .authenticate(&ClientCredentials {
                client_id: api.id.to_string(),
                secret: Some(secret),
            })
            .is_ok()
    };
    assert!(!authenticates(old.expect("confidential")));
    assert!(authenticates(new));
    let (spa, _) = admin
        .create_client(
            &caller,
            ClientDraft {
                public: true,
                ..draft(&["password"])
            },
        )
        .expect("created");
    assert_eq!(
        admin.rotate_client_secret(&caller, spa.id.as_str()),
        Err(AdminOpError::PublicClient)
    );
}

#[test]
fn deleting_a_client_ends_its_tokens_and_it() {
    let h = harness();
    let (admin_client, caller) = admin(&h);
    let target = confidential(&h);
    let tokens = user_tokens(&h, &target);
    let admin = &h.services.admin;
    admin
        .delete_client(&caller, target.id.as_str())
        .expect("deleted");
    assert!(!active(&h, &admin_client, &tokens.access_token));
    assert_eq!(
        admin.get_client(&caller, target.id.as_str()),
        Err(AdminOpError::NotFound)
    );
    assert_eq!(
        admin.delete_client(&caller, target.id.as_str()),
        Err(AdminOpError::NotFound)
    );
    // An admin client deleting itself loses its own token.
    let token = admin_token(&h, &admin_client);
    admin
        .delete_client(&caller, admin_client.id.as_str())
        .expect("deleted");
    assert_eq!(
        h.services.admin.authorize(&token, None),
        Err(AdminAuthError::InvalidToken)
    );
}

#[test]
fn unknown_and_impossible_client_ids_are_not_found() {
    let h = harness();
    let (_, caller) = admin(&h);
    let admin = &h.services.admin;
    let long = "a".repeat(300);
    for id in ["", "nobody", "a\0b", "é", long.as_str()] {
        assert_eq!(admin.get_client(&caller, id), Err(AdminOpError::NotFound));
        assert_eq!(
            admin.set_client_redirect_uris(&caller, id, vec![]),
            Err(AdminOpError::NotFound)
        );
        assert_eq!(
            admin.rotate_client_secret(&caller, id),
            Err(AdminOpError::NotFound)
        );
        assert_eq!(
            admin.delete_client(&caller, id),
            Err(AdminOpError::NotFound)
        );
    }
    assert!(matches!(
        admin.list_clients(&caller, Some(0), None),
        Err(AdminOpError::InvalidQuery(_))
    ));
    assert!(matches!(
        admin.list_clients(&caller, None, Some("a\0b")),
        Err(AdminOpError::InvalidQuery(_))
    ));
}

#[test]
fn rotating_the_signing_key_shows_the_new_kid_and_keeps_old_tokens_valid() {
    let h = harness();
    let (admin_client, caller) = admin(&h);
    let before = admin_token(&h, &admin_client);
    let key = h
        .services
        .admin
        .rotate_signing_key(&caller, None)
        .expect("rotated");
    assert_eq!(key.alg, h.services.config().access_token_alg);
    let ring = KeyRing::new(h.services.access_tokens.list_keys().expect("keys"));
    assert_eq!(
        ring.active(key.alg).map(|k| k.kid.clone()),
        Some(key.kid.clone()),
        "the new key signs"
    );
    assert!(
        h.services.admin.authorize(&before, None).is_ok(),
        "tokens signed by the retired key stay valid"
    );
    let rsa = h
        .services
        .admin
        .rotate_signing_key(&caller, Some(SigningAlg::RS256))
        .expect("rotated");
    assert_eq!(rsa.alg, SigningAlg::RS256);
    assert_ne!(rsa.kid, key.kid);
    h.store.down.store(true, Ordering::SeqCst);
    assert!(matches!(
        h.services.admin.rotate_signing_key(&caller, None),
        Err(AdminOpError::Unavailable(_))
    ));
}
