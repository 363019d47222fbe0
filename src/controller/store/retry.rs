//! Writes that are safe to make again (they set a value, never add one), tried again in the
//! background while the database does not answer, so that what was done is recorded once it
//! is back: the answer an Idempotency-Key gives again, OMS's answer in an audit entry.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::StoreError;

/// How often a write the database did not answer is tried again.
const AGAIN_EVERY: Duration = Duration::from_secs(1);

/// A write that may be made again.
pub(crate) type Rewrite = Arc<dyn Fn() -> Result<(), StoreError> + Send + Sync>;

/// What became of a try.
#[derive(Debug)]
pub(crate) enum Written {
    /// The database took it.
    Now,
    /// The database did not answer (from [`write_or_try_again`]: it is tried again in the
    /// background).
    Unanswered(StoreError),
    /// It failed otherwise, for good.
    Failed(String),
}

/// Makes `write` on the blocking pool; while the database does not answer, again every second
/// in the background until `until`, telling `settled` how that ended (`Err` says why not).
pub(crate) async fn write_or_try_again(
    write: Rewrite,
    until: Instant,
    settled: impl FnOnce(Result<(), String>) + Send + 'static,
) -> Written {
    let first = attempt(&write).await;
    if matches!(first, Written::Unanswered(_)) {
        tokio::spawn(async move {
            settled(again(&write, until).await);
        });
    }
    first
}

async fn attempt(write: &Rewrite) -> Written {
    let write = Arc::clone(write);
    match tokio::task::spawn_blocking(move || write()).await {
        Ok(Ok(())) => Written::Now,
        Ok(Err(unanswered @ StoreError::Unavailable { .. })) => Written::Unanswered(unanswered),
        Ok(Err(error)) => Written::Failed(error.to_string()),
        Err(error) => Written::Failed(error.to_string()),
    }
}

async fn again(write: &Rewrite, until: Instant) -> Result<(), String> {
    loop {
        tokio::time::sleep(AGAIN_EVERY).await;
        match attempt(write).await {
            Written::Now => return Ok(()),
            Written::Unanswered(error) if Instant::now() + AGAIN_EVERY >= until => {
                return Err(error.to_string());
            }
            Written::Unanswered(_) => {}
            Written::Failed(error) => return Err(error),
        }
    }
}
