//! Rate limiting of failed authentications, per peer address: a bucket of [`BURST`] failures
//! that refills by one every [`REFILL`]. A peer whose bucket is empty gets 429 `rate_limited`
//! for every request, correct token or not, until it refills — so guessing tokens costs a
//! second a guess, and an operator who mistyped theirs is back within seconds.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::backend::lock;

/// Failures a peer may make in a row before it is limited.
pub(crate) const BURST: u32 = 10;
/// One more failure is allowed this long after the last was counted.
pub(crate) const REFILL: Duration = Duration::from_secs(1);
/// Peers remembered before those with a full bucket again are forgotten.
const REMEMBERED: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Failures still allowed at `at`.
    left: f64,
    at: Instant,
}

impl Bucket {
    fn now(self, now: Instant) -> Bucket {
        let refilled = now.saturating_duration_since(self.at).as_secs_f64() / REFILL.as_secs_f64();
        Bucket {
            left: (self.left + refilled).min(f64::from(BURST)),
            at: now,
        }
    }
}

/// The failed authentications of recent peers.
#[derive(Debug, Default)]
pub(crate) struct FailedAuthLimiter {
    peers: Mutex<HashMap<IpAddr, Bucket>>,
}

impl FailedAuthLimiter {
    /// How long `peer` must wait before it may try again, if it is limited at `now`.
    pub fn wait(&self, peer: IpAddr, now: Instant) -> Option<Duration> {
        let bucket = lock(&self.peers).get(&peer).map(|b| b.now(now))?;
        (bucket.left < 1.0).then(|| REFILL.mul_f64(1.0 - bucket.left))
    }

    /// Counts a failed authentication of `peer` at `now`; true when it used the last one
    /// allowed (the peer is limited from now on).
    pub fn failed(&self, peer: IpAddr, now: Instant) -> bool {
        let mut peers = lock(&self.peers);
        if peers.len() >= REMEMBERED {
            peers.retain(|_, bucket| bucket.now(now).left < f64::from(BURST));
        }
        let full = Bucket {
            left: f64::from(BURST),
            at: now,
        };
        let bucket = peers.entry(peer).or_insert(full);
        *bucket = bucket.now(now);
        bucket.left = (bucket.left - 1.0).max(0.0);
        bucket.left < 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_is_limited_after_a_burst_and_freed_as_the_bucket_refills() {
        let limiter = FailedAuthLimiter::default();
        let (peer, other) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        let t = Instant::now();
        for _ in 1..BURST {
            assert!(!limiter.failed(peer, t));
        }
        assert_eq!(limiter.wait(peer, t), None);
        assert!(limiter.failed(peer, t), "the last failure allowed");
        assert_eq!(limiter.wait(peer, t), Some(REFILL));
        assert_eq!(limiter.wait(other, t), None, "other peers are not limited");
        assert_eq!(limiter.wait(peer, t + REFILL / 2), Some(REFILL / 2));
        assert_eq!(
            limiter.wait(peer, t + REFILL),
            None,
            "one more try a second later"
        );
        assert!(limiter.failed(peer, t + REFILL));
        assert!(limiter.wait(peer, t + REFILL).is_some());
    }
}
