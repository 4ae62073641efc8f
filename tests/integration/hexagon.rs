//! The dependency directions of docs/architecture.md, checked on the real dependency graph.

use std::collections::BTreeSet;
use std::process::Command;

/// The normal (non-dev) dependency names of `package`, transitively.
fn dependency_tree(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            package,
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn assert_free_of(package: &str, banned: &[&str]) {
    let tree = dependency_tree(package);
    assert!(tree.contains(package), "{package} not found: {tree:?}");
    let found: Vec<&String> = tree
        .iter()
        .filter(|name| {
            banned
                .iter()
                .any(|b| name.as_str() == *b || name.starts_with(&format!("{b}-")))
        })
        .collect();
    assert!(found.is_empty(), "{package} must not depend on {found:?}");
}

#[test]
fn the_domain_has_no_framework_driver_or_runtime() {
    assert_free_of(
        "ciam-domain",
        &[
            "actix",
            "actix-web",
            "diesel",
            "redis",
            "tokio",
            "r2d2",
            "jsonwebtoken",
            "lettre",
            // Metrics are recorded at the edge and in adapters, never in a rule.
            "metrics",
        ],
    );
}

/// The Prometheus exporter is the composition root's choice: the edge and the adapters
/// record through the `metrics` facade only.
#[test]
fn only_the_composition_root_knows_the_metrics_exporter() {
    for package in ["ciam-http", "ciam-store", "ciam-denylist"] {
        assert_free_of(package, &["metrics-exporter-prometheus"]);
    }
    assert!(dependency_tree("ciam").contains("metrics-exporter-prometheus"));
}

#[test]
fn adapters_and_the_edge_do_not_depend_on_each_other() {
    let workspace = [
        "ciam-store",
        "ciam-denylist",
        "ciam-crypto",
        "ciam-notify",
        "ciam-mail",
        "ciam-http",
    ];
    for package in workspace {
        let others: Vec<&str> = workspace
            .iter()
            .copied()
            .filter(|p| *p != package)
            .collect();
        assert_free_of(package, &others);
    }
    assert_free_of(
        "ciam-http",
        &["diesel", "redis", "r2d2", "jsonwebtoken", "argon2"],
    );
}

#[test]
fn the_published_contract_stands_alone() {
    assert_free_of(
        "ciam-contract",
        &[
            "ciam-domain",
            "actix",
            "diesel",
            "redis",
            "tokio",
            "jsonwebtoken",
            "ciam-store",
            "ciam-denylist",
        ],
    );
}

#[test]
fn the_resource_server_sdk_depends_only_on_the_published_contract() {
    assert_free_of(
        "ciam-resource",
        &[
            "ciam-domain",
            "ciam-store",
            "ciam-denylist",
            "ciam-http",
            "ciam-crypto",
            "diesel",
        ],
    );
}
