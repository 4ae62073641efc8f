//! A fence on the denylist: a wait, holding no thread, until this node's copy of the
//! denylist holds every revocation acknowledged (on any node) before the wait began.
//!
//! A denylist that keeps a local copy (the full stack's replica) can then answer from
//! memory alone. The wait is a plain `Future`, so the HTTP edge awaits it on its event loop
//! instead of parking a blocking thread per check, and many waits share one round trip.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::DenylistError;

/// What a fence ended with.
#[derive(Debug)]
pub enum Freshness {
    /// This node's copy holds every revocation acknowledged before the fence was taken:
    /// [`Denylist::is_denied_after`](super::ports::Denylist::is_denied_after) may answer
    /// from it alone.
    Current,
    /// No such promise (no local copy, or it is loading): the check is the full one.
    Unknown,
    /// The denylist did not answer in time: the check fails, as `is_denied` would.
    Failed(DenylistError),
}

/// A pending [`Freshness`]. Built by a [`Denylist`](super::ports::Denylist) adapter.
pub struct Fence(Pin<Box<dyn Future<Output = Freshness> + Send>>);

impl Fence {
    pub fn new(wait: impl Future<Output = Freshness> + Send + 'static) -> Fence {
        Fence(Box::pin(wait))
    }

    /// A fence that has nothing to wait for.
    pub fn ready(freshness: Freshness) -> Fence {
        Fence::new(std::future::ready(freshness))
    }
}

impl Future for Fence {
    type Output = Freshness;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Freshness> {
        self.0.as_mut().poll(cx)
    }
}

impl fmt::Debug for Fence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fence")
    }
}
