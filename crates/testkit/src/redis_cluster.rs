//! A throwaway Redis Cluster on free loopback ports: three primaries, optionally one
//! replica each, without persistence. Every node is a `redis-server --cluster-enabled yes`
//! under a watchdog; `redis-cli --cluster create` assigns the slots. Dropping the cluster
//! stops its nodes. Every wait is bounded.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::redis::{bulk_command, raw_command};
use crate::{free_port, on_path, spawn_with_watchdog};

const PRIMARIES: usize = 3;
/// The bound on starting the nodes, on forming the cluster, and on a failover.
const WAIT: Duration = Duration::from_secs(30);
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// A running local cluster.
pub struct TestCluster {
    nodes: Vec<Node>,
    /// Where the nodes keep their `nodes-{port}.conf`.
    _dir: tempfile::TempDir,
}

struct Node {
    port: u16,
    watchdog: Child,
    /// Stopped by [`TestCluster::kill`]: no longer waited for nor asked.
    killed: bool,
}

impl TestCluster {
    /// Three primaries.
    pub fn start() -> TestCluster {
        TestCluster::start_with_replicas(0)
    }

    /// Three primaries with `replicas` replicas each. A failed primary is replaced by its
    /// replica after `cluster-node-timeout` (1 s here).
    pub fn start_with_replicas(replicas: usize) -> TestCluster {
        for program in ["redis-server", "redis-cli"] {
            assert!(
                on_path(program),
                "{program} not found: `apt-get install redis-server` (it brings redis-cli)"
            );
        }
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary directory: {e}"));
        let dir_path = dir
            .path()
            .to_str()
            .expect("temporary directory is UTF-8")
            .to_owned();
        let count = PRIMARIES * (1 + replicas);
        let nodes: Vec<Node> = (0..count).map(|_| Node::launch(&dir_path)).collect();
        let cluster = TestCluster { nodes, _dir: dir };
        cluster.create(replicas);
        cluster
    }

    fn create(&self, replicas: usize) {
        let addresses: Vec<String> = self
            .ports()
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let mut args = vec!["--cluster".to_owned(), "create".to_owned()];
        args.extend(addresses);
        args.extend([
            "--cluster-replicas".into(),
            replicas.to_string(),
            "--cluster-yes".into(),
        ]);
        let output = Command::new("timeout")
            .arg(WAIT.as_secs().to_string())
            .arg("redis-cli")
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run redis-cli: {e}"));
        assert!(
            output.status.success(),
            "redis-cli --cluster create failed: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        self.wait_until_ok();
    }

    /// Waits until every node still running says `cluster_state:ok` and every replica is
    /// in sync.
    pub fn wait_until_ok(&self) {
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = self.live().all(|node| {
                let ok = node
                    .bulk(&["CLUSTER", "INFO"])
                    .is_ok_and(|info| info.contains("cluster_state:ok"));
                let synced = node.bulk(&["INFO", "replication"]).is_ok_and(|info| {
                    info.contains("role:master") || info.contains("master_link_status:up")
                });
                ok && synced
            });
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster is not ok within {WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The ciam URL: `redis+cluster://127.0.0.1:p1,…` (every node a seed).
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .ports()
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        format!("redis+cluster://{}", hosts.join(","))
    }

    /// `redis://127.0.0.1:p` of each node, for clients that connect to nodes one by one.
    pub fn node_urls(&self) -> Vec<String> {
        self.ports()
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect()
    }

    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|n| n.port).collect()
    }

    fn live(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|node| !node.killed)
    }

    /// Stops the node at `port` at once (`SHUTDOWN NOSAVE`: its data is gone), as a crash
    /// would. A primary's replica takes over after `cluster-node-timeout`.
    pub fn kill(&mut self, port: u16) {
        let node = self
            .nodes
            .iter_mut()
            .find(|node| node.port == port)
            .unwrap_or_else(|| panic!("no node on port {port}"));
        let _ = raw_command(&addr(port), &["SHUTDOWN", "NOSAVE"], IO_TIMEOUT);
        let _ = node.watchdog.kill();
        let _ = node.watchdog.wait();
        node.killed = true;
    }

    /// The ports of the running nodes that are primaries now.
    pub fn primaries(&self) -> Vec<u16> {
        self.live()
            .filter(|node| {
                node.bulk(&["INFO", "replication"])
                    .is_ok_and(|i| i.contains("role:master"))
            })
            .map(|node| node.port)
            .collect()
    }

    /// The ports of the running nodes that are replicas now.
    pub fn replicas(&self) -> Vec<u16> {
        self.live()
            .filter(|node| {
                node.bulk(&["INFO", "replication"])
                    .is_ok_and(|i| i.contains("role:slave"))
            })
            .map(|node| node.port)
            .collect()
    }

    /// Sends one command to one node; returns the first line of the reply.
    pub fn command(&self, port: u16, args: &[&str]) -> String {
        raw_command(&addr(port), args, IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("{args:?} on port {port}: {e}"))
    }

    /// A command whose reply is one bulk string (`INFO`, `CLUSTER INFO`).
    pub fn bulk(&self, port: u16, args: &[&str]) -> String {
        bulk_command(&addr(port), args).unwrap_or_else(|e| panic!("{args:?} on port {port}: {e}"))
    }

    /// `FLUSHALL` on every primary.
    pub fn flushall(&self) {
        for port in self.primaries() {
            assert_eq!(self.command(port, &["FLUSHALL", "SYNC"]), "+OK");
        }
    }

    /// `CLUSTER FAILOVER` on the replica at `replica`: it becomes primary of its slots once
    /// it has caught up with its primary (a manual failover loses nothing). Returns when the
    /// cluster is ok again and the old primary knows it is one no more (until then both
    /// say they are primaries, which a test could not tell from no failover at all).
    pub fn failover(&self, replica: u16) {
        let replication = self.bulk(replica, &["INFO", "replication"]);
        let old_primary: u16 = replication
            .lines()
            .find_map(|line| line.strip_prefix("master_port:"))
            .and_then(|port| port.trim().parse().ok())
            .unwrap_or_else(|| panic!("{replica} is not a replica: {replication}"));
        assert_eq!(self.command(replica, &["CLUSTER", "FAILOVER"]), "+OK");
        let deadline = Instant::now() + WAIT;
        while !self
            .bulk(replica, &["INFO", "replication"])
            .contains("role:master")
            || !self
                .bulk(old_primary, &["INFO", "replication"])
                .contains("role:slave")
        {
            assert!(
                Instant::now() < deadline,
                "no failover to {replica} within {WAIT:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.wait_until_ok();
    }
}

impl Node {
    fn launch(dir: &str) -> Node {
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port();
            let port_arg = port.to_string();
            let conf = format!("nodes-{port}.conf");
            let args = [
                "--port",
                &port_arg,
                "--bind",
                "127.0.0.1",
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                &conf,
                "--cluster-node-timeout",
                "1000",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                dir,
            ];
            let mut watchdog = spawn_with_watchdog(None, "redis-server", &args);
            let deadline = Instant::now() + WAIT;
            loop {
                if raw_command(&addr(port), &["PING"], IO_TIMEOUT).is_ok_and(|r| r == "+PONG") {
                    return Node {
                        port,
                        watchdog,
                        killed: false,
                    };
                }
                if let Ok(Some(status)) = watchdog.try_wait() {
                    last = format!("redis-server exited ({status}) on port {port}");
                    break;
                }
                if Instant::now() > deadline {
                    let _ = watchdog.kill();
                    last = format!("no PONG on port {port} within {WAIT:?}");
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("a cluster node did not start: {last}");
    }

    fn bulk(&self, args: &[&str]) -> std::io::Result<String> {
        bulk_command(&addr(self.port), args)
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for node in self.nodes.iter_mut().filter(|node| !node.killed) {
            let _ = raw_command(&addr(node.port), &["SHUTDOWN", "NOSAVE"], IO_TIMEOUT);
            let _ = node.watchdog.kill();
            let _ = node.watchdog.wait();
        }
    }
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}
