//! Writes that are safe to make again (they set a value, never add one), tried again in the
//! background while the database does not answer, so that what was done is recorded once it
//! is back: the answer an Idempotency-Key gives again, OMS's answer in an audit entry.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::StoreError;

/// How often a write the database did not answer is tried again.
const AGAIN_EVERY: Duration = Duration::from_secs(1);

/// A write that may be made again.
type Rewrite = Arc<dyn Fn() -> Result<(), StoreError> + Send + Sync>;

/// What a write records, for the log.
pub(crate) struct Record {
    /// What is written, e.g. "OMS's answer to audit entry 7".
    pub what: String,
    /// What it means when it is never written.
    pub if_lost: String,
}

/// Makes `write` on the blocking pool; while the database does not answer, again every second
/// in the background until `until`. Logs what became of it, saying what `record` is.
pub(crate) async fn write_or_try_again(
    write: impl Fn() -> Result<(), StoreError> + Send + Sync + 'static,
    until: Instant,
    record: Record,
) {
    let write: Rewrite = Arc::new(write);
    match attempt(&write).await {
        Ok(()) => {}
        Err(Failure::Unanswered(error)) => {
            tracing::warn!(
                "{} was not written, the database did not answer ({error}); trying again every \
                 {} s for {} s",
                record.what,
                AGAIN_EVERY.as_secs(),
                until.saturating_duration_since(Instant::now()).as_secs()
            );
            tokio::spawn(async move {
                match again(&write, until).await {
                    Ok(()) => tracing::info!("{} is written now", record.what),
                    Err(error) => lost(&record, &error),
                }
            });
        }
        Err(Failure::Other(error)) => lost(&record, &error),
    }
}

fn lost(record: &Record, error: &str) {
    tracing::error!(
        "{} was not written ({error}): {}",
        record.what,
        record.if_lost
    );
}

/// Why a try failed.
enum Failure {
    /// The database did not answer: worth trying again.
    Unanswered(StoreError),
    /// For good.
    Other(String),
}

async fn attempt(write: &Rewrite) -> Result<(), Failure> {
    let write = Arc::clone(write);
    match tokio::task::spawn_blocking(move || write()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(unanswered @ StoreError::Unavailable { .. })) => {
            Err(Failure::Unanswered(unanswered))
        }
        Ok(Err(error)) => Err(Failure::Other(error.to_string())),
        Err(error) => Err(Failure::Other(error.to_string())),
    }
}

async fn again(write: &Rewrite, until: Instant) -> Result<(), String> {
    loop {
        tokio::time::sleep(AGAIN_EVERY).await;
        match attempt(write).await {
            Ok(()) => return Ok(()),
            Err(Failure::Unanswered(error)) if Instant::now() + AGAIN_EVERY >= until => {
                return Err(error.to_string());
            }
            Err(Failure::Unanswered(_)) => {}
            Err(Failure::Other(error)) => return Err(error),
        }
    }
}
