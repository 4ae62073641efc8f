//! The contract of `ClientAdminStore`: a page of clients in id order after a cursor, and
//! the two changes an operator makes to one (redirect URIs, a confidential client's
//! secret), each touching only its own field of its own row.

use std::sync::Arc;

use ciam_domain::ports::Store;
use ciam_domain::*;

use super::client;

fn ids(clients: &[Client]) -> Vec<&str> {
    clients.iter().map(|client| client.id.as_str()).collect()
}

pub(super) fn clients_are_listed_in_id_order_a_page_at_a_time<T: Store>(store: &Arc<T>) {
    assert_eq!(store.list_clients_page(None, 10).expect("list"), vec![]);
    // Inserted out of order. Lowercase hex-like ids, as generated: ordered alike by every
    // collation.
    for id in ["c3", "a1", "b2", "0f", "d4"] {
        store
            .insert_client(&client(id), &ciam_domain::testing::test_audit())
            .expect("insert");
    }
    let all = store.list_clients_page(None, 10).expect("list");
    assert_eq!(ids(&all), ["0f", "a1", "b2", "c3", "d4"]);
    assert_eq!(all[1], client("a1"), "whole clients");
    let first = store.list_clients_page(None, 2).expect("list");
    assert_eq!(ids(&first), ["0f", "a1"]);
    let second = store
        .list_clients_page(Some(&ClientId::new("a1")), 2)
        .expect("list");
    assert_eq!(ids(&second), ["b2", "c3"]);
    let last = store
        .list_clients_page(Some(&ClientId::new("c3")), 2)
        .expect("list");
    assert_eq!(ids(&last), ["d4"]);
    // A cursor that names no client (deleted since) still bounds the page.
    let between = store
        .list_clients_page(Some(&ClientId::new("b")), 10)
        .expect("list");
    assert_eq!(ids(&between), ["b2", "c3", "d4"]);
    assert_eq!(
        store
            .list_clients_page(Some(&ClientId::new("d4")), 10)
            .expect("list"),
        vec![]
    );
}

pub(super) fn redirect_uris_are_replaced_and_nothing_else<T: Store>(store: &Arc<T>) {
    let before = client("c1");
    let other = client("c2");
    store
        .insert_client(&before, &ciam_domain::testing::test_audit())
        .expect("insert");
    store
        .insert_client(&other, &ciam_domain::testing::test_audit())
        .expect("insert");
    let uris = vec![
        "https://new.example/cb".to_owned(),
        "com.example.app:/cb".to_owned(),
        "http://[::1]:8080/cb".to_owned(),
    ];
    let changed = store
        .set_client_redirect_uris(&before.id, &uris, &ciam_domain::testing::test_audit())
        .expect("update")
        .expect("exists");
    let mut expected = before.clone();
    expected.redirects.redirect_uris = uris;
    assert_eq!(changed, expected, "only the redirect URIs changed");
    assert_eq!(store.find_client(&before.id).expect("find"), Some(expected));
    assert_eq!(
        store.find_client(&other.id).expect("find"),
        Some(other),
        "another client is untouched"
    );
    let emptied = store
        .set_client_redirect_uris(&before.id, &[], &ciam_domain::testing::test_audit())
        .expect("update")
        .expect("exists");
    assert_eq!(emptied.redirects.redirect_uris, Vec::<String>::new());
    assert_eq!(
        store
            .find_client(&before.id)
            .expect("find")
            .map(|c| c.redirects.redirect_uris),
        Some(vec![])
    );
    assert_eq!(
        store
            .set_client_redirect_uris(
                &ClientId::new("nobody"),
                &[],
                &ciam_domain::testing::test_audit()
            )
            .expect("update"),
        None
    );
}

pub(super) fn a_secret_is_replaced_only_for_a_confidential_client<T: Store>(store: &Arc<T>) {
    let confidential = client("c1");
    let public = Client {
        secret_hash: None,
        ..client("p1")
    };
    store
        .insert_client(&confidential, &ciam_domain::testing::test_audit())
        .expect("insert");
    store
        .insert_client(&public, &ciam_domain::testing::test_audit())
        .expect("insert");
    let new = Secret::new("a new secret");
    let changed = store
        .set_client_secret(
            &confidential.id,
            &new.hash(),
            &ciam_domain::testing::test_audit(),
        )
        .expect("update")
        .expect("a confidential client");
    assert_eq!(
        changed,
        Client {
            secret_hash: Some(new.hash()),
            ..confidential.clone()
        }
    );
    let stored = store
        .find_client(&confidential.id)
        .expect("find")
        .expect("exists");
    let hash = stored.secret_hash.expect("a hash");
    assert!(hash.matches(&new), "the new secret matches");
    assert!(
        !hash.matches(&Secret::new("secret")),
        "the old one does not"
    );
    assert_eq!(
        store
            .set_client_secret(&public.id, &new.hash(), &ciam_domain::testing::test_audit())
            .expect("update"),
        None,
        "a public client gains no secret"
    );
    assert_eq!(store.find_client(&public.id).expect("find"), Some(public));
    assert_eq!(
        store
            .set_client_secret(
                &ClientId::new("nobody"),
                &new.hash(),
                &ciam_domain::testing::test_audit()
            )
            .expect("update"),
        None
    );
}
