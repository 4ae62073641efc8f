//! Metrics from the built `ciam` binary (docs/operations.md): on the main listener by
//! default; with `CIAM_METRICS_LISTEN` on that address alone. The starter Grafana
//! dashboard and the alert rules name only metrics a live server exports.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::scrape::Scrape;
use crate::support::server::{client_credentials_client, post_form, Server};

const DASHBOARD: &str = include_str!("../../docs/grafana/ciam-dashboard.json");
const ALERTS: &str = include_str!("../../docs/prometheus/alerts.yml");

/// GET `url`: the status and the body.
fn get(url: &str) -> (u16, String) {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(10))
        .build();
    match agent.get(url).call() {
        Ok(response) => (response.status(), response.into_string().expect("body")),
        Err(ureq::Error::Status(status, response)) => {
            (status, response.into_string().unwrap_or_default())
        }
        Err(error) => panic!("{url}: {error}"),
    }
}

fn scrape(url: &str) -> Scrape {
    let (status, body) = get(url);
    assert_eq!(status, 200, "{url}: {body}");
    Scrape::parse(&body)
}

/// Scrapes until `ready` holds (the reconciler's first tick is a second after start).
fn scrape_until(url: &str, ready: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let scraped = scrape(url);
        if ready(&scraped) || Instant::now() > deadline {
            return scraped;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_separate_metrics_listener_serves_metrics_and_the_main_one_does_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let metrics_listen = format!("127.0.0.1:{}", ciam_testkit::free_port());
    let env = [("CIAM_METRICS_LISTEN", metrics_listen.as_str())];
    let (id, secret) = client_credentials_client(dir.path(), &env);
    let mut server = Server::start(dir.path(), &env);
    let metrics_url = format!("http://{metrics_listen}/metrics");

    let (status, body) = get(&server.url("/metrics"));
    assert_eq!(status, 404, "the main listener hides /metrics: {body}");
    assert!(!body.contains("ciam_http_requests_total"));
    let (status, _) = get(&format!("http://{metrics_listen}/healthz"));
    assert_eq!(status, 404, "the metrics listener serves /metrics alone");

    let before = scrape(&metrics_url);
    let client = [
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let (status, token) = post_form(&server.url("/oauth2/token"), &client);
    assert_eq!(status, 200);
    let access_token = token["access_token"].as_str().expect("access_token");
    let revoke = [
        ("token", access_token),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    assert_eq!(post_form(&server.url("/oauth2/revoke"), &revoke).0, 200);
    // The process is this test's own: the counters moved by exactly what it did.
    let after = scrape_until(&metrics_url, |s| {
        s.value("ciam_reconciler_runs_total", &[("outcome", "complete")]) >= 1.0
    });
    let issued = [("grant_type", "client_credentials")];
    assert_eq!(
        after.value("ciam_tokens_issued_total", &issued)
            - before.value("ciam_tokens_issued_total", &issued),
        1.0
    );
    assert_eq!(
        after.value("ciam_revocations_total", &[("kind", "token")]),
        1.0
    );
    let main_metrics = [("route", "unmatched"), ("method", "GET"), ("status", "404")];
    assert_eq!(after.value("ciam_http_requests_total", &main_metrics), 1.0);

    // Sampled at the scrape: the pool, and the denylist confirmed complete a moment ago.
    assert!(after.value("ciam_db_pool_connections", &[]) >= 1.0);
    assert_eq!(after.value("ciam_db_pool_max_connections", &[]), 16.0);
    assert!(after.value("ciam_db_pool_wait_seconds_count", &[]) >= 1.0);
    assert!(after.value("ciam_denylist_staleness_seconds", &[]) < 5.0);
    assert!(after.value("ciam_reconciler_duration_seconds_count", &[]) >= 2.0);
    assert_eq!(
        after.value("ciam_reconciler_runs_total", &[("outcome", "failed")]),
        0.0
    );
    assert_eq!(
        after.value("ciam_build_info", &[("version", env!("CARGO_PKG_VERSION"))]),
        1.0
    );
    assert!(!after.text.contains(&secret) && !after.text.contains(access_token));

    dashboard_and_alerts_name_exported_metrics(&after);

    // SIGTERM stops both listeners, and the process exits cleanly.
    let exited = server.terminate(Duration::from_secs(15));
    assert!(exited.is_some_and(|status| status.success()), "{exited:?}");
    assert!(
        std::net::TcpStream::connect(&metrics_listen).is_err(),
        "the metrics listener is closed"
    );
}

#[test]
fn metrics_are_on_the_main_listener_by_default() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(dir.path(), &[]);
    let scraped = scrape(&server.url("/metrics"));
    let health = [("route", "/healthz"), ("method", "GET"), ("status", "200")];
    assert!(
        scraped.value("ciam_http_requests_total", &health) >= 1.0,
        "the start-up health checks were counted"
    );
}

/// Every `ciam_*` name in the dashboard's and the alerts' expressions is a metric the live
/// server exports (a histogram's `_bucket`, `_sum` and `_count` by its family).
fn dashboard_and_alerts_name_exported_metrics(scraped: &Scrape) {
    let exported = scraped.families();
    let dashboard: Value = serde_json::from_str(DASHBOARD).expect("the dashboard is JSON");
    assert!(dashboard["panels"]
        .as_array()
        .is_some_and(|p| p.len() >= 10));
    let mut expressions = Vec::new();
    collect_expressions(&dashboard, &mut expressions);
    let alerts: Value = serde_norway::from_str(ALERTS).expect("the alerts are YAML");
    let rules = alerts["groups"][0]["rules"].as_array().expect("rules");
    assert!(rules.len() >= 5);
    for rule in rules {
        assert!(rule["alert"].is_string() && rule["labels"]["severity"].is_string());
        expressions.push(rule["expr"].as_str().expect("expr").to_owned());
    }
    let named = metric_names(&expressions);
    assert!(named.len() >= 12, "{named:?}");
    for name in &named {
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|family| exported.contains(*family))
            .unwrap_or(name);
        assert!(
            exported.contains(family),
            "{name} is not exported: {exported:?}"
        );
    }
}

fn collect_expressions(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr" | "query", Value::String(expr)) => found.push(expr.clone()),
                    _ => collect_expressions(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_expressions(v, found)),
        _ => {}
    }
}

/// The `ciam_…` identifiers in PromQL expressions.
fn metric_names(expressions: &[String]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for expr in expressions {
        let mut rest = expr.as_str();
        while let Some(start) = rest.find("ciam_") {
            let tail = &rest[start..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            names.insert(tail[..end].to_owned());
            rest = &tail[end..];
        }
    }
    names
}
