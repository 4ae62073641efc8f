//! The revocation queue: batches, leads and completions, on fakes.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::queue::{MAX_BATCH, MAX_QUEUED};
use super::{Completion, PendingRevocation, RevokeError};
use crate::client::Client;
use crate::testing::scenario::*;
use crate::testing::Harness;

/// Polls once, as an event loop would before the outcome is known.
fn poll(completion: &mut Completion) -> Poll<Result<(), RevokeError>> {
    Pin::new(completion).poll(&mut Context::from_waker(Waker::noop()))
}

fn begin(h: &Harness, client: &Client) -> PendingRevocation {
    begin_token(h, client, &cc_token(h, client))
}

fn begin_token(h: &Harness, client: &Client, token: &str) -> PendingRevocation {
    h.services
        .revocation
        .begin_revoke(client, token, None, None)
        .expect("checks pass")
}

#[test]
fn revocations_queued_behind_a_lead_are_written_in_its_one_batch_and_answered_only_then() {
    let h = harness();
    let client = confidential(&h);
    let first = begin(&h, &client);
    let lead = first
        .lead
        .expect("nobody was writing: the first request leads");
    let mut waiting: Vec<Completion> = vec![first.completion];
    for _ in 0..4 {
        let next = begin(&h, &client);
        assert!(next.lead.is_none(), "one lead at a time");
        waiting.push(next.completion);
    }
    for completion in &mut waiting {
        assert!(
            poll(completion).is_pending(),
            "answered before it was written"
        );
    }
    assert_eq!(h.store.revoked_count(), 0);
    assert!(h.denylist.is_empty());

    assert!(lead.run_once().is_none(), "one batch held everything");
    assert_eq!(h.store.revoked_count(), 5);
    assert_eq!(h.denylist.len(), 5);
    for completion in &mut waiting {
        assert_eq!(poll(completion), Poll::Ready(Ok(())));
    }
    // The lead was given up with the queue empty: the next request leads again.
    assert!(begin(&h, &client).lead.is_some());
}

#[test]
fn a_lead_writes_one_batch_at_a_time_and_hands_itself_back_while_more_is_pending() {
    let h = harness();
    let client = confidential(&h);
    let first = begin(&h, &client);
    let mut rest: Vec<Completion> = (0..MAX_BATCH)
        .map(|_| begin(&h, &client).completion)
        .collect();
    let lead = first
        .lead
        .expect("leads")
        .run_once()
        .expect("one revocation is left over");
    assert_eq!(h.store.revoked_count(), MAX_BATCH);
    let mut last = rest.pop().expect("one more than a batch");
    assert!(poll(&mut last).is_pending());
    lead.run();
    assert_eq!(poll(&mut last), Poll::Ready(Ok(())));
    assert_eq!(h.store.revoked_count(), MAX_BATCH + 1);
}

#[test]
fn a_failed_store_write_fails_its_whole_batch_and_denies_nothing_then_the_next_is_tried_afresh() {
    let h = harness();
    let client = confidential(&h);
    let tokens = [cc_token(&h, &client), cc_token(&h, &client)];
    h.store.down.store(true, Ordering::SeqCst);
    let first = begin_token(&h, &client, &tokens[0]);
    let second = begin_token(&h, &client, &tokens[1]);
    drop(first.lead);
    for completion in [first.completion, second.completion] {
        assert!(matches!(
            completion.wait(Duration::from_secs(5)),
            Err(RevokeError::Unavailable(_))
        ));
    }
    assert!(h.denylist.is_empty(), "visible before durable");
    h.store.down.store(false, Ordering::SeqCst);
    let token = cc_token(&h, &client);
    assert_eq!(
        h.services.revocation.revoke(&client, &token, None, None),
        Ok(())
    );
    assert_eq!(h.store.revoked_count(), 1);
}

#[test]
fn a_lead_dropped_unrun_still_writes_what_waits_for_it() {
    let h = harness();
    let client = confidential(&h);
    let first = begin(&h, &client);
    let mut second = begin(&h, &client).completion;
    drop(first.lead);
    assert_eq!(poll(&mut second), Poll::Ready(Ok(())));
    assert_eq!(
        first.completion.wait(Duration::from_secs(5)),
        Ok(()),
        "the dropped lead's own"
    );
}

#[test]
fn a_revocation_nobody_writes_in_time_is_answered_unavailable() {
    let h = harness();
    let client = confidential(&h);
    let pending = begin(&h, &client);
    let held = pending.lead.expect("leads");
    assert!(matches!(
        pending.completion.wait(Duration::from_millis(20)),
        Err(RevokeError::Unavailable(_))
    ));
    held.run();
    assert_eq!(h.store.revoked_count(), 1, "written late, all the same");
}

#[test]
fn a_full_queue_refuses_at_once_instead_of_growing() {
    let h = harness();
    let client = confidential(&h);
    let first = begin(&h, &client);
    let mut queued: Vec<Completion> = (1..MAX_QUEUED)
        .map(|_| begin(&h, &client).completion)
        .collect();
    let mut refused = begin(&h, &client);
    assert!(refused.lead.is_none());
    assert!(matches!(
        poll(&mut refused.completion),
        Poll::Ready(Err(RevokeError::Unavailable(_)))
    ));
    first.lead.expect("leads").run();
    assert_eq!(h.store.revoked_count(), MAX_QUEUED);
    for completion in &mut queued {
        assert_eq!(poll(completion), Poll::Ready(Ok(())));
    }
}

#[test]
fn a_denylist_write_that_fails_after_the_commit_fails_the_batch_and_leaves_it_durable() {
    let h = harness();
    let client = confidential(&h);
    let token = cc_token(&h, &client);
    h.denylist.down.store(true, Ordering::SeqCst);
    let pending = begin_token(&h, &client, &token);
    drop(pending.lead);
    assert!(matches!(
        pending.completion.wait(Duration::from_secs(5)),
        Err(RevokeError::Unavailable(_))
    ));
    assert_eq!(h.store.revoked_count(), 1);
    h.denylist.down.store(false, Ordering::SeqCst);
    // The failure was remembered: the catch-up writes it.
    assert!(h
        .services
        .revocation
        .reconcile_denylist_if_incomplete()
        .expect("reconciled")
        .is_some());
    assert_eq!(h.denylist.len(), 1);
}
