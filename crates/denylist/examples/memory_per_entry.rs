//! Measures the memory one live revocation costs in the in-process denylist (the embedded
//! default's denylist, and ciam's replica of the Redis one): resident memory before and
//! after inserting N access-token revocations with ciam's 22-character jtis.
//!
//!     cargo run --release -p ciam-denylist --example memory_per_entry -- 1000000
//!
//! Figures are recorded in docs/scaling.md.

use ciam_denylist::InProcessDenylist;
use ciam_domain::ports::Denylist;
use ciam_domain::{Jti, Revocation, UnixTime};
use ciam_testkit::resident_kib;

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let now = UnixTime(1_000);
    let denylist = InProcessDenylist::new();
    let before = resident_kib();
    for chunk in (0..count).collect::<Vec<_>>().chunks(10_000) {
        let entries: Vec<Revocation> = chunk
            .iter()
            .map(|i| Revocation::AccessToken {
                // The shape of ciam's jtis: 16 random bytes, base64url without padding.
                jti: Jti::new(format!("{i:0>22}")),
                until: UnixTime(2_000),
            })
            .collect();
        denylist.deny(&entries, now).expect("in-process deny");
    }
    let after = resident_kib();
    println!(
        "{count} entries: resident {before} KiB -> {after} KiB, {:.0} bytes per entry",
        (after.saturating_sub(before) as f64 * 1024.0) / count as f64
    );
    assert_eq!(denylist.len(), count);
}
