//! Pruning through the real app on the real adapters: once expired, revocations, refresh
//! tokens and grants leave the store, so it stops growing with every token ever revoked
//! (issue 13, defect 8), while live revocations answer as before.

use std::time::Duration;

use ciam_domain::{Revocation, Secret, UnixTime};

use crate::support::{Kind, TestApp};

/// Access and refresh token lifetime: long enough for the live token to outlive the test's
/// few steps after the sleep, short enough to wait out.
const TTL: i64 = 4;

/// Every revocation row in the store, expired or not.
fn stored_revocations(app: &TestApp) -> Vec<Revocation> {
    app.ports
        .store
        .live_revocations(UnixTime(0))
        .expect("store")
}

async fn expired_rows_leave_the_store_and_live_ones_stay(kind: Kind) {
    let app = TestApp::with_config(kind, |config| {
        config.access_token_ttl = TTL;
        config.refresh_token_ttl = TTL;
        // Prune as soon as a row has expired; production keeps a clock-skew margin.
        config.prune_margin = 0;
    });
    let client = app.confidential();
    let revoked = 10;
    for _ in 0..revoked {
        let token = app.cc_token(&client).await;
        assert_eq!(app.revoke(&client, &token).await.status, 200);
    }
    // A grant revoked through its refresh token.
    let (_, refresh) = app.user_tokens(&client).await;
    assert_eq!(app.revoke(&client, &refresh).await.status, 200);
    let refresh_hash = Secret::new(refresh).hash();
    assert!(app
        .ports
        .store
        .find_refresh_token(&refresh_hash)
        .expect("store")
        .is_some());

    actix_web::rt::time::sleep(Duration::from_secs(TTL as u64 + 1)).await;
    // Expired, and still stored.
    assert_eq!(stored_revocations(&app).len(), revoked + 1);

    let live = app.cc_token(&client).await;
    assert_eq!(app.revoke(&client, &live).await.status, 200);
    let live_before = app
        .ports
        .store
        .live_revocations(app_now())
        .expect("live revocations");
    assert_eq!(live_before.len(), 1);

    // The revoked access tokens, the refresh token and its grant.
    assert_eq!(
        app.services.revocation.prune_expired().expect("pruned"),
        revoked + 1 + 1
    );
    assert_eq!(
        stored_revocations(&app),
        live_before,
        "only the live revocation is left"
    );
    assert_eq!(
        app.ports
            .store
            .find_refresh_token(&refresh_hash)
            .expect("store"),
        None
    );
    assert_eq!(app.services.revocation.prune_expired().expect("pruned"), 0);

    // The live revocation still holds, here and after a restart's rebuild from the store.
    assert!(!app.is_active(&client, &live).await);
    let restarted = app.restarted();
    assert!(!restarted.is_active(&client, &live).await);
}

fn app_now() -> UnixTime {
    use ciam_domain::ports::Clock;
    ciam_crypto::SystemClock.now()
}

crate::on_every_backend!(expired_rows_leave_the_store_and_live_ones_stay);
