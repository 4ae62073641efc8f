//! Benchmark (not a test): does client authentication take longer for an unknown
//! `client_id` than for a known one with a wrong secret? If it does, response times tell
//! which ids exist. Runs 2,000 interleaved pairs of `Clients::authenticate` calls on
//! real adapters, after a warm-up, and prints the median of each and how often the unknown
//! id was the slower and the faster of its pair (equal shares mean no signal).
//!
//!     cargo run --release --example client_auth_timing -- embedded|postgres [PAIRS]

use std::time::{Duration, Instant};

use ciam::secret_url::SecretUrl;
use ciam_domain::{ClientCredentials, GrantType, NewClient, Scope, Secret};
use ciam_testkit::postgres::TestPostgres;

fn main() {
    let backend = std::env::args().nth(1).unwrap_or_else(|| "embedded".into());
    let pairs: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let _postgres;
    let url = match backend.as_str() {
        "postgres" => {
            let postgres = TestPostgres::start();
            let url = postgres.fresh_database("timing");
            _postgres = postgres;
            url
        }
        _ => dir.path().join("ciam.db").display().to_string(),
    };
    // Built by the composition root, as `ciam serve` builds it.
    let mut settings = ciam::Settings::defaults().expect("default settings");
    settings.database_url = SecretUrl::new(url);
    settings.database_pool_size = 4;
    let clients = ciam::services(&settings).expect("services").clients;
    let (client, _) = clients
        .create_client(NewClient {
            name: "bench".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scope: Scope::parse("read").expect("scope"),
            public: false,
            redirects: Default::default(),
        })
        .expect("client");
    let known = ClientCredentials {
        client_id: client.id.to_string(),
        secret: Some(Secret::new("wrong secret of the right length, forty-three")),
    };
    let unknown = ClientCredentials {
        client_id: "0123456789abcdef0123456789abcdef".into(),
        secret: Some(Secret::new("wrong secret of the right length, forty-three")),
    };
    let time = |credentials: &ClientCredentials| {
        let started = Instant::now();
        assert!(clients.authenticate(credentials).is_err());
        started.elapsed()
    };
    for _ in 0..200 {
        time(&known);
        time(&unknown);
    }
    let mut known_times = Vec::with_capacity(pairs);
    let mut unknown_times = Vec::with_capacity(pairs);
    let (mut unknown_slower, mut unknown_faster) = (0, 0);
    for i in 0..pairs {
        // Alternate which goes first, so order effects cancel out.
        let (k, u) = if i % 2 == 0 {
            let k = time(&known);
            (k, time(&unknown))
        } else {
            let u = time(&unknown);
            (time(&known), u)
        };
        unknown_slower += usize::from(u > k);
        unknown_faster += usize::from(u < k);
        known_times.push(k);
        unknown_times.push(u);
    }
    known_times.sort();
    unknown_times.sort();
    let median = |times: &[Duration]| times[times.len() / 2];
    println!(
        "{backend}: {pairs} pairs; median known id + wrong secret {:?}, unknown id {:?}; unknown slower in {:.0} % of pairs, faster in {:.0} % (the rest equal to the clock's resolution)",
        median(&known_times),
        median(&unknown_times),
        100.0 * unknown_slower as f64 / pairs as f64,
        100.0 * unknown_faster as f64 / pairs as f64
    );
}
