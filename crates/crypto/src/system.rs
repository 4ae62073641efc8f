use std::time::{SystemTime, UNIX_EPOCH};

use ciam_domain::ports::{Clock, Random};
use ciam_domain::UnixTime;

/// Wall-clock time.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        UnixTime(i64::try_from(seconds).unwrap_or(i64::MAX))
    }
}

/// The operating system's CSPRNG (getrandom).
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) {
        // Without an OS random source no secret can be made safely: stop rather than
        // hand out guessable tokens.
        #[allow(clippy::expect_used)]
        getrandom::fill(buf).expect("the operating system's random source failed");
    }
}
