//! Revocation reaches the verifier in every mode, against a real ciam and a real Redis.

use std::time::{Duration, Instant};

use ciam_resource::{
    DenylistConfig, IntrospectionConfig, RedisConfig, Rejection, Verifier, VerifierConfig,
};

use crate::support::ciam::{Ciam, Options};
use crate::support::{assert_eventually, verifier, Mode, EVERY_MODE, SERVER_CONTRACT};

/// How long a revocation may take to show: synced mode is one pub/sub hop; introspection
/// is bounded by the (test's 300 ms) positive cache.
const PROPAGATION: Duration = Duration::from_secs(3);

#[test]
fn a_revoked_access_token_is_refused_in_every_mode() {
    let ciam = Ciam::shared_full_stack();
    let client = ciam.client();
    let verifiers: Vec<(Mode, Verifier)> = EVERY_MODE
        .iter()
        .map(|mode| (*mode, verifier(ciam, *mode, &client)))
        .collect();
    let tokens = ciam.password_tokens(&client, "read");
    let bystander = ciam.password_tokens(&client, "read");
    let no_grant = ciam.client_token(&client);
    for (mode, verifier) in &verifiers {
        let claims = verifier
            .verify(&tokens.access)
            .unwrap_or_else(|e| panic!("{mode:?}: a fresh token is refused: {e}"));
        assert_eq!(claims.iss, ciam.issuer);
        assert!(claims.gid.is_some(), "password-grant tokens carry gid");
        assert!(verifier.verify(&no_grant).is_ok(), "{mode:?}");
        // Synced mode answers without I/O; Redis mode always needs its round trip;
        // introspection only until the positive answer is cached.
        let without_io = verifier.verify_nonblocking(&tokens.access).is_some();
        assert_eq!(without_io, *mode != Mode::Redis, "{mode:?}");
    }

    ciam.revoke(&client, &tokens.access);
    ciam.revoke(&client, &no_grant);
    for (mode, verifier) in &verifiers {
        for token in [&tokens.access, &no_grant] {
            assert_eventually(
                verifier,
                token,
                Err(Rejection::Revoked),
                PROPAGATION,
                &format!("{mode:?}: revoked access token"),
            );
        }
        // Only that token: another of the same user and client is fine.
        assert!(verifier.verify(&bystander.access).is_ok(), "{mode:?}");
    }
}

#[test]
fn revoking_a_refresh_token_refuses_its_grants_access_tokens_in_every_mode() {
    let ciam = Ciam::shared_full_stack();
    let client = ciam.client();
    let verifiers: Vec<(Mode, Verifier)> = EVERY_MODE
        .iter()
        .map(|mode| (*mode, verifier(ciam, *mode, &client)))
        .collect();
    let first = ciam.password_tokens(&client, "read");
    let second = ciam.refresh(&client, &first.refresh);
    let other_grant = ciam.password_tokens(&client, "read");
    for (mode, verifier) in &verifiers {
        for token in [&first.access, &second.access, &other_grant.access] {
            assert!(verifier.verify(token).is_ok(), "{mode:?}");
        }
    }

    ciam.revoke(&client, &second.refresh);
    for (mode, verifier) in &verifiers {
        for token in [&first.access, &second.access] {
            assert_eventually(
                verifier,
                token,
                Err(Rejection::Revoked),
                PROPAGATION,
                &format!("{mode:?}: access token of a revoked grant"),
            );
        }
        assert!(verifier.verify(&other_grant.access).is_ok(), "{mode:?}");
    }
}

#[test]
fn introspection_mode_works_against_the_embedded_default() {
    let ciam = Ciam::shared_embedded();
    let client = ciam.client();
    let verifier = verifier(ciam, Mode::Introspection, &client);
    let tokens = ciam.password_tokens(&client, "read");
    let other = ciam.password_tokens(&client, "read");
    assert!(verifier.verify(&tokens.access).is_ok());
    assert!(verifier.verify(&other.access).is_ok());
    // The positive answer is cached: the same check needs no I/O.
    assert!(verifier.verify_nonblocking(&tokens.access).is_some());

    ciam.revoke(&client, &tokens.access);
    ciam.revoke(&client, &other.refresh);
    for token in [&tokens.access, &other.access] {
        let took = assert_eventually(
            &verifier,
            token,
            Err(Rejection::Revoked),
            PROPAGATION,
            "introspection",
        );
        assert!(took <= Duration::from_millis(600), "cache bound: {took:?}");
    }
}

#[test]
fn a_wrong_introspection_secret_fails_closed() {
    let ciam = Ciam::shared_embedded();
    let client = ciam.client();
    let token = ciam.client_token(&client);
    let verifier = Verifier::new(VerifierConfig::new(
        &ciam.issuer,
        &ciam.issuer,
        DenylistConfig::Introspection(IntrospectionConfig::new(&client.id, "wrong")),
    ))
    .expect("verifier");
    assert_eq!(
        verifier.verify(&token).map(|_| ()),
        Err(Rejection::IssuerUnavailable)
    );
}

#[test]
fn an_unreachable_issuer_fails_closed() {
    let dead = format!("http://127.0.0.1:{}", ciam_testkit::free_port());
    let ciam = Ciam::shared_embedded();
    let client = ciam.client();
    let token = ciam.client_token(&client);

    // No keys can be fetched.
    let started = Instant::now();
    let verifier = Verifier::new(VerifierConfig::new(
        &dead,
        &dead,
        DenylistConfig::Introspection(IntrospectionConfig::new(&client.id, &client.secret)),
    ))
    .expect("a verifier starts without its issuer");
    assert_eq!(
        verifier.verify(&token).map(|_| ()),
        Err(Rejection::IssuerUnavailable)
    );
    assert_eq!(
        verifier.wait_ready(Duration::from_millis(200)),
        Err(Rejection::IssuerUnavailable)
    );

    // Keys known, introspection endpoint down.
    let verifier = Verifier::new(VerifierConfig::new(
        &ciam.issuer,
        &ciam.issuer,
        DenylistConfig::Introspection(IntrospectionConfig {
            endpoint: Some(format!("{dead}/oauth2/introspect")),
            ..IntrospectionConfig::new(&client.id, &client.secret)
        }),
    ))
    .expect("verifier");
    assert_eq!(
        verifier.verify(&token).map(|_| ()),
        Err(Rejection::IssuerUnavailable)
    );
    assert!(started.elapsed() < Duration::from_secs(5), "prompt");
}

#[test]
fn redis_mode_fails_closed_when_redis_is_unreachable_or_incomplete() {
    let ciam = Ciam::shared_full_stack();
    let client = ciam.client();
    let token = ciam.client_token(&client);

    let dead = Verifier::new(VerifierConfig::new(
        &ciam.issuer,
        &ciam.issuer,
        DenylistConfig::Redis(RedisConfig {
            prefix: ciam.redis_prefix().to_owned(),
            timeout: Duration::from_millis(200),
            contract: SERVER_CONTRACT,
            ..RedisConfig::new(format!("redis://127.0.0.1:{}", ciam_testkit::free_port()))
        }),
    ))
    .expect("verifier");
    let started = Instant::now();
    assert_eq!(
        dead.verify(&token).map(|_| ()),
        Err(Rejection::DenylistUnavailable)
    );
    assert!(started.elapsed() < Duration::from_secs(2), "prompt");

    // A prefix ciam never wrote: no completeness marker, so no answer (contract v2, the
    // default: its marker is `{prefix}:v2:complete`).
    let redis = ciam_testkit::redis::shared();
    let prefix = ciam_testkit::redis::unique_prefix("incomplete");
    let config = |require_complete| {
        VerifierConfig::new(
            &ciam.issuer,
            &ciam.issuer,
            DenylistConfig::Redis(RedisConfig {
                prefix: prefix.clone(),
                require_complete,
                ..RedisConfig::new(&redis.url)
            }),
        )
    };
    let strict = Verifier::new(config(true)).expect("verifier");
    assert_eq!(
        strict.verify(&token).map(|_| ()),
        Err(Rejection::DenylistUnavailable)
    );
    let lenient = Verifier::new(config(false)).expect("verifier");
    assert!(lenient.verify(&token).is_ok());
    let marker = ciam_resource::DenylistKeys::v2(prefix.clone()).complete();
    assert_eq!(redis.command(&["SET", &marker, "1"]).expect("SET"), "+OK");
    assert!(strict.verify(&token).is_ok());
}

#[test]
fn a_ciam_with_short_tokens_sees_them_expire() {
    let ciam = Ciam::start(Options {
        access_token_ttl: 1,
        ..Options::embedded()
    });
    let client = ciam.client();
    let token = ciam.client_token(&client);
    let mut config = crate::support::config(&ciam, Mode::Introspection, &client);
    config.leeway = Duration::ZERO;
    let verifier = Verifier::new(config).expect("verifier");
    let (answer, _) = crate::support::until_answer(
        &verifier,
        &token,
        Err(Rejection::Expired),
        Duration::from_secs(4),
    );
    assert_eq!(answer.map(|_| ()), Err(Rejection::Expired));
}
