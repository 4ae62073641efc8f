//! Loading the copy: every revocation key of the version (`SCAN MATCH` + `MGET`), and in v2
//! the cut-offs' expiries (`PTTL`), merged into the set. On a cluster, the scan runs on
//! every primary and the values are read with a `GET` each (see `link`).

use ciam_contract::EventKind;

use super::{unix_now_millis, Shared};
use crate::denylist::key_value;
use crate::denylist::link::{Link, Lookup};

/// Keys per `SCAN` (and `MGET`) batch of a load.
const SCAN_BATCH: usize = 1000;

impl Shared {
    /// Merges every revocation key into the set; returns whether the completeness marker
    /// was present before the scan began.
    pub(super) fn load(&self, conn: &mut Link) -> redis::RedisResult<bool> {
        let complete = self.marker_present(conn)?;
        let pattern = self.keys.revoked_pattern();
        conn.scan(&pattern, SCAN_BATCH, |conn, keys| {
            self.load_batch(conn, keys)
        })?;
        Ok(complete)
    }

    /// Merges one `SCAN` batch: the revocation keys among `keys` (the v2 pattern matches the
    /// marker too), their values, and the cut-offs' expiries, which are their `until`.
    fn load_batch(&self, conn: &mut Link, keys: &[String]) -> redis::RedisResult<()> {
        let found: Vec<(EventKind, &str, &str)> = keys
            .iter()
            .filter_map(|key| {
                let (kind, id) = self.keys.parse_key(key)?;
                Some((kind, id, key.as_str()))
            })
            .collect();
        if found.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = found.iter().map(|(.., key)| (*key).to_owned()).collect();
        let (values, _) = conn.lookup(Lookup::Values, &names, None)?;
        let values: Vec<Option<Vec<u8>>> = redis::from_redis_value(values)?;
        let cutoffs: Vec<&str> = found
            .iter()
            .filter(|(kind, ..)| kind.is_cutoff())
            .map(|(.., key)| *key)
            .collect();
        let mut expiries = expiries(conn, &cutoffs)?.into_iter();
        self.set.extend(
            found
                .iter()
                .zip(values)
                .filter_map(|(&(kind, id, _), value)| {
                    // Taken for every cut-off, read or not, so that the two lists stay aligned.
                    let expiry = if kind.is_cutoff() {
                        expiries.next().flatten()
                    } else {
                        None
                    };
                    // None: gone since the scan saw it (it expired). A value that is not a number
                    // breaks the contract; it counts as revoked, as ciam's own check counts it.
                    let value = key_value(&value?);
                    let until = if kind.is_cutoff() { expiry? } else { value };
                    Some((kind, id, value, until))
                }),
        );
        Ok(())
    }
}

/// When each key expires, in local Unix seconds rounded up, or `None` for a key gone
/// (`i64::MAX` for one without an expiry, which the contract never writes: kept, not
/// dropped). From `PTTL`, not `PEXPIRETIME`: the contract asks for Redis 6.2, which lacks
/// the latter, and a remaining time added to the local clock read *after* the answer can
/// only come out late, never early, on the clock the checks and the sweep use. Late is
/// harmless: every token a cut-off covers has expired by its `until`.
fn expiries(conn: &mut Link, keys: &[&str]) -> redis::RedisResult<Vec<Option<i64>>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let ttls = conn.pttls(keys)?;
    let now = unix_now_millis();
    Ok(ttls
        .into_iter()
        .map(|ttl| match ttl {
            -2 => None,
            ttl if ttl < 0 => Some(i64::MAX),
            ttl => Some(now.saturating_add(ttl).saturating_add(999) / 1000),
        })
        .collect())
}
