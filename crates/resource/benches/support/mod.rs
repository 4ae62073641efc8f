//! What the benchmarks share: the tests' local keys, and a Redis denylist filled the way
//! ciam fills it.

#![allow(dead_code)]

#[path = "../../tests/support/keys.rs"]
pub mod keys;

use std::time::Duration;

use ciam_resource::DenylistKeys;

/// Writes `count` live revocations under `prefix` (half `jti`, half `gid`, each expiring in
/// an hour, `SET … EXAT` as ciam does) and the completeness marker.
pub fn fill_redis(url: &str, prefix: &str, count: usize) {
    let keys = DenylistKeys::new(prefix);
    let client = redis::Client::open(url).expect("redis url");
    let mut conn = client
        .get_connection_with_timeout(Duration::from_secs(5))
        .expect("redis connection");
    let until = keys::now() + 3600;
    let ids: Vec<usize> = (0..count).collect();
    for chunk in ids.chunks(10_000) {
        let mut pipe = redis::pipe();
        for n in chunk {
            let key = if n % 2 == 0 {
                keys.jti(&format!("revoked-jti-{n}"))
            } else {
                keys.grant(&format!("revoked-gid-{n}"))
            };
            pipe.cmd("SET")
                .arg(key)
                .arg(until)
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
