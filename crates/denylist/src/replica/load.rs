//! Loading the replica: every v2 key (`SCAN MATCH` + `MGET`), and the cut-offs' expiries
//! (`PTTL`), merged into the in-process denylist.

use ciam_contract::{DenylistKeys, EventKind};
use ciam_domain::ports::Denylist;
use ciam_domain::{Cutoff, CutoffKind, GrantId, Jti, Revocation, UnixTime};
use redis::RedisResult;

use super::subscriber::unix_now;
use crate::memory::InProcessDenylist;

/// Keys per `SCAN` (and `MGET`) batch.
const SCAN_BATCH: usize = 1000;

/// Merges every revocation key into `set`; returns how many were merged.
pub(super) fn load(
    set: &InProcessDenylist,
    conn: &mut redis::Connection,
    keys: &DenylistKeys,
) -> RedisResult<usize> {
    let pattern = keys.revoked_pattern();
    let mut cursor: u64 = 0;
    let mut loaded = 0;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(SCAN_BATCH)
            .query(conn)?;
        loaded += load_batch(set, conn, keys, &batch)?;
        if next == 0 {
            return Ok(loaded);
        }
        cursor = next;
    }
}

fn load_batch(
    set: &InProcessDenylist,
    conn: &mut redis::Connection,
    keys: &DenylistKeys,
    batch: &[String],
) -> RedisResult<usize> {
    let found: Vec<(EventKind, &str, &str)> = batch
        .iter()
        .filter_map(|key| {
            let (kind, id) = keys.parse_key(key)?;
            Some((kind, id, key.as_str()))
        })
        .collect();
    if found.is_empty() {
        return Ok(0);
    }
    // Values and remaining lifetimes in one round trip: a cut-off's value is the cut-off,
    // its key's expiry is its `until`.
    let mut pipe = redis::pipe();
    for (.., key) in &found {
        pipe.cmd("GET").arg(*key).cmd("PTTL").arg(*key);
    }
    let replies: Vec<(Option<String>, i64)> = pipe.query(conn)?;
    let now = unix_now();
    let entries: Vec<Revocation> = found
        .iter()
        .zip(replies)
        .filter_map(|(&(kind, id, _), (value, ttl))| {
            // Gone since the scan saw it: expired.
            let value = value?;
            // A value that is not a number breaks the contract: it counts as revoked for
            // as long as it lives, as the direct check counts it.
            let number = value.trim().parse::<i64>().ok();
            let expiry = match ttl {
                -2 => return None,
                ttl if ttl < 0 => i64::MAX,
                // Rounded up: late is harmless, early would drop an entry that still matters.
                ttl => now.0.saturating_add((ttl + 999) / 1000),
            };
            Some(entry(kind, id, number, UnixTime(expiry)))
        })
        .collect();
    set.deny(&entries, now).map_err(|e| {
        redis::RedisError::from((redis::ErrorKind::Client, "replica", e.to_string()))
    })?;
    Ok(entries.len())
}

/// The revocation a key holds: `number` is its value (None if unreadable), `expiry` when
/// Redis drops it.
fn entry(kind: EventKind, id: &str, number: Option<i64>, expiry: UnixTime) -> Revocation {
    let cutoff = |kind| {
        Revocation::Cutoff(Cutoff {
            kind,
            id: id.to_owned(),
            // Unreadable: covers every token issued until the key goes.
            at: number.map_or(expiry, UnixTime),
            until: expiry,
        })
    };
    match kind {
        EventKind::Jti => Revocation::AccessToken {
            jti: Jti::new(id),
            until: expiry,
        },
        EventKind::Gid => Revocation::Grant {
            grant_id: GrantId::new(id),
            until: expiry,
        },
        EventKind::Sub => cutoff(CutoffKind::Subject),
        EventKind::Cid => cutoff(CutoffKind::Client),
    }
}
