//! What the benchmarks share: the tests' local keys, and a Redis denylist (contract v2)
//! filled the way ciam fills it.

#![allow(dead_code)]

#[path = "../../tests/support/keys.rs"]
pub mod keys;

use std::time::Duration;

use ciam_resource::{DenylistKeys, EventKind};

/// Writes `count` live revocations under `prefix` in contract v2 (half `jti`, half `gid`,
/// each expiring in an hour, `SET … EXAT` as ciam does) and the completeness marker.
pub fn fill_redis(url: &str, prefix: &str, count: usize) {
    let keys = DenylistKeys::v2(prefix);
    let until = keys::now() + 3600;
    write(
        url,
        &keys,
        (0..count).map(|n| {
            let key = if n % 2 == 0 {
                keys.jti(&format!("revoked-jti-{n}"))
            } else {
                keys.grant(&format!("revoked-gid-{n}"))
            };
            (key, until, until)
        }),
    );
}

/// Writes `jtis` revoked `jti`s and `cutoffs` cut-offs under `prefix` in contract v2, half
/// of them subjects (`cutoff-sub-{n}`), half clients (`cutoff-cid-{n}`), each at `cutoff`
/// and expiring in an hour; and the completeness marker.
pub fn fill_redis_with_cutoffs(url: &str, prefix: &str, jtis: usize, cutoffs: usize, cutoff: i64) {
    let keys = DenylistKeys::v2(prefix);
    let until = keys::now() + 3600;
    let revoked = (0..jtis).map(|n| (keys.jti(&format!("revoked-jti-{n}")), until, until));
    let cut = (0..cutoffs).map(|n| {
        let (kind, id) = if n % 2 == 0 {
            (EventKind::Sub, format!("cutoff-sub-{n}"))
        } else {
            (EventKind::Cid, format!("cutoff-cid-{n}"))
        };
        (keys.entry(kind, &id), cutoff, until)
    });
    write(url, &keys, revoked.chain(cut));
}

/// `SET {key} {value} EXAT {until}` for each entry, in pipelines of 10,000, then the marker.
fn write(url: &str, keys: &DenylistKeys, entries: impl Iterator<Item = (String, i64, i64)>) {
    let client = redis::Client::open(url).expect("redis url");
    let mut conn = client
        .get_connection_with_timeout(Duration::from_secs(5))
        .expect("redis connection");
    let entries: Vec<(String, i64, i64)> = entries.collect();
    for chunk in entries.chunks(10_000) {
        let mut pipe = redis::pipe();
        for (key, value, until) in chunk {
            pipe.cmd("SET")
                .arg(key)
                .arg(value)
                .arg("EXAT")
                .arg(until)
                .ignore();
        }
        pipe.query::<()>(&mut conn).expect("keys written");
    }
    redis::cmd("SET")
        .arg(keys.complete())
        .arg(1)
        .query::<()>(&mut conn)
        .expect("marker written");
}

/// Percentile `p` (0–100) of sorted `values`.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64)).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
