//! The URL that names a Redis Cluster, for ciam (`CIAM_REDIS_URL`) and resource servers
//! alike: `redis+cluster://[user:password@]host:port,host:port,…` (seed nodes; any one
//! that answers suffices). docs/redis-denylist.md, "Redis Cluster".

use std::fmt;

/// The scheme that selects a cluster.
pub const CLUSTER_SCHEME: &str = "redis+cluster://";

/// Why a cluster URL was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterUrlError(&'static str);

impl fmt::Display for ClusterUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ClusterUrlError {}

/// Whether `url` names a cluster.
pub fn is_cluster_url(url: &str) -> bool {
    url.starts_with(CLUSTER_SCHEME)
}

/// `redis+cluster://[user:password@]h1:p1,h2:p2` → `redis://[user:password@]h1:p1`, ….
pub fn cluster_seed_urls(url: &str) -> Result<Vec<String>, ClusterUrlError> {
    let rest = url.strip_prefix(CLUSTER_SCHEME).ok_or(ClusterUrlError(
        "a cluster URL starts with redis+cluster://",
    ))?;
    let (auth, hosts) = match rest.rsplit_once('@') {
        Some((auth, hosts)) => (format!("{auth}@"), hosts),
        None => (String::new(), rest),
    };
    let hosts = hosts.trim_end_matches('/');
    if hosts.contains('/') {
        return Err(ClusterUrlError(
            "a cluster URL names no database (a cluster has only database 0)",
        ));
    }
    let seeds: Vec<String> = hosts
        .split(',')
        .map(str::trim)
        .filter(|host| !host.is_empty())
        .map(|host| format!("redis://{auth}{host}"))
        .collect();
    if seeds.is_empty() {
        return Err(ClusterUrlError(
            "a cluster URL names at least one node: redis+cluster://host:port,…",
        ));
    }
    Ok(seeds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_urls_become_seed_nodes() {
        assert_eq!(
            cluster_seed_urls("redis+cluster://127.0.0.1:7000, 127.0.0.1:7001").expect("valid"),
            vec!["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"]
        );
        assert_eq!(
            cluster_seed_urls("redis+cluster://u:p@a:1,b:2/").expect("valid"),
            vec!["redis://u:p@a:1", "redis://u:p@b:2"]
        );
        assert!(cluster_seed_urls("redis+cluster://").is_err());
        assert!(cluster_seed_urls("redis+cluster://a:1/3").is_err());
        assert!(cluster_seed_urls("redis://a:1").is_err());
        assert!(is_cluster_url("redis+cluster://a:1"));
        assert!(!is_cluster_url("redis://a:1"));
    }
}
