//! The subscriber thread: subscribes, loads, then runs sync rounds, each a `PING` on the
//! subscription whose reply comes back behind every event published before it was sent.
//! On any error the replica stops being whole (checks go to Redis directly), and the thread
//! reconnects, subscribes and loads again.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ciam_contract::{ContractVersion, DenylistKeys, EventKind, RevocationEvent};
use ciam_domain::ports::Denylist;
use ciam_domain::{Cutoff, CutoffKind, DenylistError, GrantId, Jti, Revocation, UnixTime};
use redis::{PushKind, RedisResult, Value};

use super::rounds::Wake;
use super::{load, Replica};

/// With no check asking, a round still runs this often: events are applied as they come
/// and a dead connection is noticed.
const IDLE_ROUND: Duration = Duration::from_millis(100);
/// The longest pause between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

pub(super) fn spawn(
    replica: Arc<Replica>,
    client: redis::Client,
    keys: DenylistKeys,
    timeout: Duration,
) -> Result<(), DenylistError> {
    thread::Builder::new()
        .name("ciam-denylist-replica".into())
        .spawn(move || {
            let _on_exit = BreakOnExit(&replica);
            run(&replica, &client, &keys, timeout);
        })
        .map(drop)
        .map_err(|e| DenylistError::caused_by("cannot start the denylist replica", e))
}

/// However the thread ends, even by a panic, the replica stops being whole and waiting
/// checks are released: futures waiting for a round have no deadline of their own.
struct BreakOnExit<'a>(&'a Replica);

impl Drop for BreakOnExit<'_> {
    fn drop(&mut self) {
        self.0.rounds.broken();
    }
}

fn run(replica: &Replica, client: &redis::Client, keys: &DenylistKeys, timeout: Duration) {
    let mut backoff = Duration::from_millis(50);
    while !replica.rounds.is_stopped() {
        match subscription(replica, client, keys, timeout) {
            Ok(()) => return,
            Err(error) => {
                replica.rounds.broken();
                tracing::warn!(%error, "denylist replica lost its subscription; checks ask Redis until it is back");
                thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

fn connect(client: &redis::Client, timeout: Duration) -> RedisResult<redis::Connection> {
    let conn = client.get_connection_with_timeout(timeout)?;
    conn.set_read_timeout(Some(timeout))?;
    conn.set_write_timeout(Some(timeout))?;
    Ok(conn)
}

/// One subscription, from connecting to its first error; `Ok` only when stopped.
fn subscription(
    replica: &Replica,
    client: &redis::Client,
    keys: &DenylistKeys,
    timeout: Duration,
) -> RedisResult<()> {
    let mut conn = connect(client, timeout)?;
    conn.send_packed_command(
        &redis::cmd("SUBSCRIBE")
            .arg(keys.channel())
            .get_packed_command(),
    )?;
    while !matches!(reply(replica, conn.recv_response()?), Reply::Subscribed) {}
    // Subscribed first, loaded second: a key written during the load is in the scan or in an
    // event read after it (the deny script writes the key and publishes in one step).
    let loaded = load::load(&replica.set, &mut connect(client, timeout)?, keys)?;
    replica.rounds.loaded();
    tracing::info!(loaded, "denylist replica loaded; checks answer from memory");
    let ping = redis::cmd("PING").get_packed_command();
    loop {
        let Wake::Round(round) = replica.rounds.next_round(IDLE_ROUND) else {
            return Ok(());
        };
        conn.send_packed_command(&ping)?;
        while !matches!(reply(replica, conn.recv_response()?), Reply::Pong) {}
        replica.rounds.completed(round);
    }
}

enum Reply {
    Subscribed,
    Pong,
    /// An event (applied) or anything else.
    Other,
}

/// Classifies one value read on the subscription (RESP2 arrays or RESP3 pushes), applying
/// an event.
fn reply(replica: &Replica, value: Value) -> Reply {
    match value {
        Value::Array(items) => match items.as_slice() {
            [Value::BulkString(kind), _, Value::BulkString(payload)] if kind == b"message" => {
                apply(replica, payload);
                Reply::Other
            }
            [Value::BulkString(kind), ..] if kind == b"subscribe" => Reply::Subscribed,
            [Value::BulkString(kind), ..] if kind == b"pong" => Reply::Pong,
            _ => Reply::Other,
        },
        Value::Push { kind, data } => match (kind, data.as_slice()) {
            (PushKind::Message, [_, Value::BulkString(payload)]) => {
                apply(replica, payload);
                Reply::Other
            }
            (PushKind::Subscribe, _) => Reply::Subscribed,
            _ => Reply::Other,
        },
        Value::SimpleString(pong) if pong.eq_ignore_ascii_case("pong") => Reply::Pong,
        _ => Reply::Other,
    }
}

fn apply(replica: &Replica, payload: &[u8]) {
    match serde_json::from_slice::<RevocationEvent>(payload) {
        Ok(event) if event.v == ContractVersion::V2.number() => match revocation(event) {
            Some(entry) => {
                // The in-process denylist only fails on a poisoned lock.
                if let Err(error) = replica.set.deny(&[entry], unix_now()) {
                    tracing::error!(%error, "denylist replica cannot record an event");
                }
            }
            None => tracing::warn!("cut-off event without its cut-off ignored"),
        },
        Ok(event) => tracing::warn!(v = event.v, "revocation event of another version ignored"),
        Err(error) => tracing::warn!(%error, "unreadable revocation event ignored"),
    }
}

/// The revocation an event announces.
pub(super) fn revocation(event: RevocationEvent) -> Option<Revocation> {
    let until = UnixTime(event.until);
    let cutoff = |kind| {
        event.cutoff.map(|at| {
            Revocation::Cutoff(Cutoff {
                kind,
                id: event.id.clone(),
                at: UnixTime(at),
                until,
            })
        })
    };
    match event.kind {
        EventKind::Jti => Some(Revocation::AccessToken {
            jti: Jti::new(event.id),
            until,
        }),
        EventKind::Gid => Some(Revocation::Grant {
            grant_id: GrantId::new(event.id),
            until,
        }),
        EventKind::Sub => cutoff(CutoffKind::Subject),
        EventKind::Cid => cutoff(CutoffKind::Client),
    }
}

pub(super) fn unix_now() -> UnixTime {
    UnixTime(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
    )
}
