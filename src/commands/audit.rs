//! `ciam audit list`: the audit trail from the command line, as the admin API shows it.

use std::time::{SystemTime, UNIX_EPOCH};

use ciam_domain::{AuditFilter, AuditRecord, AuditTrail, Outcome};
use serde_json::{json, Value};

use super::{print_json, CommandError};
use crate::cli::{AuditCommand, AuditListArgs};

pub fn run(audit: &AuditTrail, command: AuditCommand) -> Result<(), CommandError> {
    match command {
        AuditCommand::List(args) => list(audit, args),
    }
}

fn list(audit: &AuditTrail, args: AuditListArgs) -> Result<(), CommandError> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let now = i64::try_from(now)?;
    let since = args
        .since
        .as_deref()
        .map(|t| time_arg(t, now))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|t| time_arg(t, now))
        .transpose()?;
    let page = audit.list(&AuditFilter {
        since,
        until,
        user: args.user.as_deref(),
        client: args.client.as_deref(),
        kind: args.kind.as_deref(),
        after: args.after,
        limit: args.limit,
    })?;
    let entries: Vec<Value> = page.entries.iter().map(entry).collect();
    print_json(&json!({ "entries": entries, "next": page.next }))
}

fn entry(record: &AuditRecord) -> Value {
    let event = &record.event;
    let (kind, id) = event.actor.parts();
    let (outcome, reason) = match &event.outcome {
        Outcome::Success => ("success", None),
        Outcome::Failure(reason) => ("failure", Some(reason.as_str())),
    };
    json!({
        "seq": record.seq,
        "at": event.at.0,
        "actor": { "kind": kind, "id": id },
        "action": event.action.as_str(),
        "user_id": event.user_id.as_ref().map(|id| id.as_str()),
        "client_id": event.client_id.as_ref().map(|id| id.as_str()),
        "target": event.target,
        "address": event.address.map(|address| address.to_string()),
        "outcome": outcome,
        "reason": reason,
    })
}

/// A Unix time in seconds, or a time that long ago: `90s`, `15m`, `24h`, `7d`.
fn time_arg(value: &str, now: i64) -> Result<i64, CommandError> {
    if let Ok(seconds) = value.parse::<i64>() {
        return Ok(seconds);
    }
    let unit = match value.chars().last() {
        Some('s') => 1,
        Some('m') => 60,
        Some('h') => 3600,
        Some('d') => 86_400,
        _ => return Err(bad_time(value)),
    };
    let count: i64 = value[..value.len() - 1]
        .parse()
        .ok()
        .filter(|count| *count >= 0)
        .ok_or_else(|| bad_time(value))?;
    count
        .checked_mul(unit)
        .map(|ago| now - ago)
        .ok_or_else(|| bad_time(value))
}

fn bad_time(value: &str) -> CommandError {
    format!("{value:?} is neither a Unix time nor a duration like 90s, 15m, 24h or 7d").into()
}

#[cfg(test)]
mod tests {
    use super::time_arg;

    #[test]
    fn times_are_unix_seconds_or_durations_ago() {
        assert_eq!(time_arg("1700000000", 0).expect("unix"), 1_700_000_000);
        assert_eq!(time_arg("90s", 1000).expect("s"), 910);
        assert_eq!(time_arg("15m", 1000).expect("m"), 100);
        assert_eq!(time_arg("2h", 10_000).expect("h"), 2800);
        assert_eq!(time_arg("1d", 100_000).expect("d"), 13_600);
        for bad in ["", "h", "-1h", "1w", "1.5h", "99999999999999999999d"] {
            assert!(time_arg(bad, 0).is_err(), "{bad}");
        }
    }
}
