//! Back-off after repeated sign-in failures, per key (a username, a client address).
//!
//! RFC 6749 §4.3.2: the password grant MUST be protected against brute-force attacks (rate
//! limiting); NIST SP 800-63B §5.2.2 likewise. A key may fail `free_failures` times; each
//! failure after that blocks it for twice as long as the one before, from `base_delay` up to
//! `max_delay` seconds. A key quiet for `max_delay` seconds starts afresh. The hosted login
//! page shares this mechanism.
//!
//! The state is in process memory: each node throttles on its own, and a restart forgets.
//! It is bounded by `capacity` keys; when full, keys past their quiet period go first, and
//! if none has, new keys are not tracked until some have (the address throttle still
//! catches a flood of made-up usernames from one place).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use crate::time::UnixTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed before the first block.
    pub free_failures: u32,
    /// Seconds of the first block.
    pub base_delay: i64,
    /// Longest block, and the quiet period after which a key's failures are forgotten.
    pub max_delay: i64,
}

impl ThrottlePolicy {
    /// Seconds `key` is blocked after its `failures`-th failure.
    fn delay_after(&self, failures: u32) -> i64 {
        let Some(over) = failures.checked_sub(self.free_failures) else {
            return 0;
        };
        if over == 0 {
            return 0;
        }
        // Doubling from base_delay; the shift is capped so it cannot overflow.
        let factor = 1i64 << (over - 1).min(30);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    blocked_until: UnixTime,
    last_failure: UnixTime,
}

/// When a block of `delay` seconds that starts within second `now` ends.
///
/// The clock counts whole seconds, so the failure happened somewhere in `[now, now + 1)`. A
/// block ending at `now + delay` could last almost nothing (a failure at `now + 0.99` and a
/// 1 s delay); ending at `now + delay + 1` it lasts at least `delay` and at most one second
/// more, and the `Retry-After` it gives is never too short.
fn block_end(now: UnixTime, delay: i64) -> UnixTime {
    if delay == 0 {
        return now;
    }
    now.plus_seconds(delay.saturating_add(1))
}

/// Failures counted per key.
pub struct FailureThrottle {
    policy: ThrottlePolicy,
    capacity: usize,
    entries: Mutex<HashMap<String, Entry>>,
}

impl FailureThrottle {
    pub fn new(policy: ThrottlePolicy, capacity: usize) -> Self {
        Self {
            policy,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until `key` may try again, or `None` if it may now.
    pub fn retry_after(&self, key: &str, now: UnixTime) -> Option<i64> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(key)?;
        let wait = now.seconds_until(entry.blocked_until);
        (wait > 0).then_some(wait)
    }

    pub fn record_failure(&self, key: &str, now: UnixTime) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let quiet = self.policy.max_delay;
        if !entries.contains_key(key) && entries.len() >= self.capacity {
            entries.retain(|_, entry| now.0 - entry.last_failure.0 <= quiet);
            if entries.len() >= self.capacity {
                return;
            }
        }
        let entry = entries.entry(key.to_owned()).or_insert(Entry {
            failures: 0,
            blocked_until: now,
            last_failure: now,
        });
        if now.0 - entry.last_failure.0 > quiet {
            entry.failures = 0;
        }
        entry.failures = entry.failures.saturating_add(1);
        entry.last_failure = now;
        entry.blocked_until = block_end(now, self.policy.delay_after(entry.failures));
    }

    /// Forgets `key`'s failures (after a success).
    pub fn forget(&self, key: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

/// How sign-in failures are throttled: per username, and per client address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignInPolicy {
    pub per_username: ThrottlePolicy,
    pub per_address: ThrottlePolicy,
}

impl Default for SignInPolicy {
    /// Five free failures per username and twenty per address, then 1 s doubling to 15 min.
    fn default() -> Self {
        let policy = |free_failures| ThrottlePolicy {
            free_failures,
            base_delay: 1,
            max_delay: 15 * 60,
        };
        Self {
            per_username: policy(5),
            per_address: policy(20),
        }
    }
}

/// Most keys each throttle tracks: a few MiB at most.
const CAPACITY: usize = 100_000;

/// The password grant's throttle (and the login page's).
pub struct SignInThrottle {
    by_username: FailureThrottle,
    by_address: FailureThrottle,
}

impl SignInThrottle {
    pub fn new(policy: SignInPolicy) -> Self {
        Self {
            by_username: FailureThrottle::new(policy.per_username, CAPACITY),
            by_address: FailureThrottle::new(policy.per_address, CAPACITY),
        }
    }

    /// Seconds until a sign-in as `username` from `address` may be tried, or `None`. Asked
    /// before any password work, so a blocked attempt costs nothing.
    pub fn retry_after(
        &self,
        username: &str,
        address: Option<IpAddr>,
        now: UnixTime,
    ) -> Option<i64> {
        let by_address = address.and_then(|a| self.by_address.retry_after(&address_key(a), now));
        let by_username = self.by_username.retry_after(username, now);
        by_username.max(by_address)
    }

    /// Counts a failure: a wrong password and an unknown username alike, so the throttle
    /// tells nothing about which usernames exist.
    pub fn failed(&self, username: &str, address: Option<IpAddr>, now: UnixTime) {
        self.by_username.record_failure(username, now);
        if let Some(address) = address {
            self.by_address.record_failure(&address_key(address), now);
        }
    }

    /// A success clears the username's failures (not the address's: one right password
    /// must not reset a guessing run over many accounts).
    pub fn succeeded(&self, username: &str) {
        self.by_username.forget(username);
    }
}

/// The key of a client address: an IPv4 address, or an IPv6 /64 (one subscriber's
/// allocation, which a client can roam inside at will).
pub fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: ThrottlePolicy = ThrottlePolicy {
        free_failures: 3,
        base_delay: 1,
        max_delay: 60,
    };

    #[test]
    fn free_failures_then_doubling_blocks_up_to_the_maximum() {
        let throttle = FailureThrottle::new(POLICY, 100);
        let mut now = UnixTime(1_000);
        let mut waits = Vec::new();
        for _ in 0..10 {
            throttle.record_failure("alice", now);
            let wait = throttle.retry_after("alice", now).unwrap_or(0);
            waits.push(wait);
            now = now.plus_seconds(wait);
        }
        // Each block lasts its delay plus the rest of the second the failure fell in.
        assert_eq!(waits, [0, 0, 0, 2, 3, 5, 9, 17, 33, 61]);
        assert_eq!(throttle.retry_after("bob", now), None, "keys are separate");
    }

    #[test]
    fn a_quiet_key_starts_afresh_and_a_success_forgets() {
        let throttle = FailureThrottle::new(POLICY, 100);
        let now = UnixTime(1_000);
        for _ in 0..5 {
            throttle.record_failure("alice", now);
        }
        assert_eq!(throttle.retry_after("alice", now), Some(3));
        let later = now.plus_seconds(POLICY.max_delay + 1);
        throttle.record_failure("alice", later);
        assert_eq!(
            throttle.retry_after("alice", later),
            None,
            "one failure anew"
        );
        for _ in 0..5 {
            throttle.record_failure("alice", later);
        }
        throttle.forget("alice");
        assert_eq!(throttle.retry_after("alice", later), None);
    }

    #[test]
    fn a_block_lasts_its_full_delay_whatever_the_fraction_of_the_second() {
        let throttle = FailureThrottle::new(POLICY, 100);
        let failed_at = UnixTime(1_000);
        for _ in 0..4 {
            throttle.record_failure("alice", failed_at);
        }
        // The fourth failure may have happened at 1000.99: one second on is still 1001.x.
        let one_second_on = failed_at.plus_seconds(1);
        assert_eq!(throttle.retry_after("alice", one_second_on), Some(1));
        assert_eq!(
            throttle.retry_after("alice", failed_at.plus_seconds(2)),
            None
        );
    }

    #[test]
    fn memory_is_bounded_and_quiet_keys_make_room() {
        let throttle = FailureThrottle::new(POLICY, 2);
        let now = UnixTime(1_000);
        for key in ["a", "b", "c"] {
            for _ in 0..4 {
                throttle.record_failure(key, now);
            }
        }
        assert!(throttle.retry_after("a", now).is_some());
        assert_eq!(throttle.retry_after("c", now), None, "full: not tracked");
        let later = now.plus_seconds(POLICY.max_delay + 1);
        for _ in 0..4 {
            throttle.record_failure("c", later);
        }
        assert!(throttle.retry_after("c", later).is_some(), "room was made");
    }

    #[test]
    fn ipv6_addresses_are_throttled_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("ip");
        assert_eq!(address_key(mapped), "192.0.2.7");
    }
}
