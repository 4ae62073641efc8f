//! What the replica's test files share: a real clock, settings for a test Redis, a replica
//! started and loaded, and Redis's own count of the commands it ran.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ciam_denylist::{RedisSettings, ReplicatedDenylist};
use ciam_domain::UnixTime;
use ciam_testkit::redis::TestRedis;

pub fn real_now() -> UnixTime {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    UnixTime(i64::try_from(secs).expect("fits"))
}

pub fn settings(server: &TestRedis, prefix: &str) -> RedisSettings {
    RedisSettings {
        url: server.url.clone(),
        key_prefix: prefix.to_owned(),
        pool_size: 4,
        timeout: Duration::from_secs(1),
        write_v1: false,
    }
}

/// A replica of `server`'s denylist under `prefix`, loaded.
pub fn replicated(server: &TestRedis, prefix: &str) -> ReplicatedDenylist {
    let denylist = ReplicatedDenylist::start(settings(server, prefix)).expect("start");
    assert!(
        denylist.wait_whole(Duration::from_secs(10)),
        "replica loaded"
    );
    denylist
}

/// How many times Redis has run `command` since it started.
pub fn calls(server: &TestRedis, command: &str) -> u64 {
    let stats = server
        .command(&["INFO", "commandstats"])
        .expect("INFO commandstats");
    let head = format!("cmdstat_{command}:calls=");
    stats
        .lines()
        .find_map(|line| line.strip_prefix(&head))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().expect("a count"))
}
