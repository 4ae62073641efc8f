//! What the tests share: a real ciam, local keys, verifiers in each mode.

#![allow(dead_code)]

pub mod ciam;
pub mod keys;

use std::time::{Duration, Instant};

use ciam_resource::{
    AccessTokenClaims, ContractVersion, DenylistConfig, IntrospectionConfig, RedisConfig,
    Rejection, SyncedConfig, Verifier, VerifierConfig,
};

use self::ciam::{Ciam, Client};

/// The three ways of checking revocation against a ciam.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Redis,
    Synced,
    Introspection,
}

pub const EVERY_MODE: [Mode; 3] = [Mode::Redis, Mode::Synced, Mode::Introspection];

/// The contract version the tests against ciam read: v2, the SDK's default (ciam writes v2,
/// and v1 too unless `CIAM_REDIS_WRITE_V1=false`). tests/contract_v2.rs also tests v2 on
/// hand-written keys, and a v1 reader.
pub const SERVER_CONTRACT: ContractVersion = ContractVersion::V2;

/// A verifier of `ciam`'s tokens in `mode` (`client` authenticates introspection), ready.
pub fn verifier(ciam: &Ciam, mode: Mode, client: &Client) -> Verifier {
    let verifier = Verifier::new(config(ciam, mode, client)).expect("verifier");
    verifier
        .wait_ready(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{mode:?} verifier not ready: {e}"));
    verifier
}

pub fn config(ciam: &Ciam, mode: Mode, client: &Client) -> VerifierConfig {
    let denylist = match mode {
        Mode::Redis => DenylistConfig::Redis(RedisConfig {
            prefix: ciam.redis_prefix().to_owned(),
            contract: SERVER_CONTRACT,
            ..RedisConfig::new(ciam.redis_url())
        }),
        Mode::Synced => DenylistConfig::Synced(SyncedConfig {
            prefix: ciam.redis_prefix().to_owned(),
            contract: SERVER_CONTRACT,
            ..SyncedConfig::new(ciam.redis_url())
        }),
        Mode::Introspection => DenylistConfig::Introspection(IntrospectionConfig {
            // Short, so that the test sees the cache run out.
            cache_ttl: Duration::from_millis(300),
            ..IntrospectionConfig::new(&client.id, &client.secret)
        }),
    };
    VerifierConfig::new(&ciam.issuer, &ciam.issuer, denylist)
}

/// Polls `verify` until it answers `expected`, for at most `within`; returns the last
/// answer and how long it took.
pub fn until_answer(
    verifier: &Verifier,
    token: &str,
    expected: Result<(), Rejection>,
    within: Duration,
) -> (Result<AccessTokenClaims, Rejection>, Duration) {
    let started = Instant::now();
    loop {
        let answer = verifier.verify(token);
        if answer.as_ref().map(|_| ()).map_err(|e| *e) == expected || started.elapsed() >= within {
            return (answer, started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Asserts that `verify` comes to answer `expected` within `within`.
pub fn assert_eventually(
    verifier: &Verifier,
    token: &str,
    expected: Result<(), Rejection>,
    within: Duration,
    what: &str,
) -> Duration {
    let (answer, took) = until_answer(verifier, token, expected, within);
    assert_eq!(
        answer.map(|_| ()),
        expected,
        "{what}: not within {within:?}"
    );
    took
}
