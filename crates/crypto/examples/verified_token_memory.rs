//! Measures the memory the verified-token cache costs per entry: resident memory before
//! and after decoding N distinct access tokens of ciam's shape (a 22-character jti and
//! client id, a user id, a grant id, an https issuer) through a codec that remembers them.
//!
//!     cargo run --release -p ciam-crypto --example verified_token_memory -- 65536
//!
//! Figures are recorded in docs/scaling.md.

use ciam_crypto::JwtCodec;
use ciam_domain::ports::AccessTokenCodec;
use ciam_domain::{AccessClaims, ClientId, GrantId, Jti, KeyRing, Kid, SigningAlg, UnixTime};
use ciam_testkit::resident_kib;

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(65_536);
    // A second argument of 0 measures the same decodes with the cache off: the baseline.
    let capacity = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(count);
    let codec = JwtCodec::with_verified_tokens(capacity);
    let key = codec
        .generate_key(Kid::new("k1"), SigningAlg::EdDSA, UnixTime(0))
        .expect("key");
    let ring = KeyRing::new(vec![key.clone()]);
    let claims = |i: usize| AccessClaims {
        iss: "https://id.example.com".into(),
        sub: format!("{i:0>22}"),
        aud: "https://id.example.com".into(),
        exp: UnixTime(2_000_000_000),
        iat: UnixTime(1_999_999_700),
        jti: Jti::new(format!("{i:0>22}")),
        client_id: ClientId::new("c".repeat(22)),
        scope: "read write".into(),
        gid: Some(GrantId::new(format!("{i:0>22}"))),
    };
    // Signed first, so the tokens' own memory is not counted.
    let tokens: Vec<String> = (0..count)
        .map(|i| codec.sign(&key, &claims(i)).expect("signed"))
        .collect();
    let before = resident_kib();
    for token in &tokens {
        codec.decode(token, &ring).expect("verifies");
    }
    let after = resident_kib();
    println!(
        "{count} tokens of {} bytes: resident {before} KiB -> {after} KiB, {:.0} bytes per entry",
        tokens[0].len(),
        (after.saturating_sub(before) as f64 * 1024.0) / count as f64
    );
}
