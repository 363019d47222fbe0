//! The change feed, above the backend seam: consoles receive changes, not the whole fleet.
//!
//! A scanner visits every writer's view (every second, and at once when the backend signals a
//! change), compares it with what was last published of it ([`tracker`]), and publishes what
//! changed at one new fleet revision: to `GET /v1/writers?since=REV` (from the tracker) and to
//! every `GET /v1/events` subscriber (one framed delta, shared). Each run publishes revisions
//! from a span it took in the controller's database, so they never go backwards across a
//! restart and never mean one thing on one replica and another on the next.

mod stream;
mod tracker;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

use super::ControllerError;
use super::backend::{Backend, blocking, lock};
use super::error::ApiError;
use super::history::{self, Series};
use super::store::{StateStore, StoreError};
use crate::api::{ErrorCode, HistoryPoint, HistorySeries, WriterDelta};
use crate::domain::{HistoryWindow, SharedClock};
use stream::{Frame, Subscription, delta_frame, reset_frame};
pub(crate) use tracker::{Changes, Rules, Tracker, Unanswerable};

/// Progress is looked at this often (other changes go out when the backend signals them).
const SCAN_EVERY: Duration = Duration::from_secs(1);
/// At least this long between two scans, so a burst of signals makes few scans.
const SCAN_SPACING: Duration = Duration::from_millis(50);
/// And at least this many times as long as the last scan took, so scanning a huge fleet
/// (450 ms at a million writers on this machine) keeps to a third of a core instead of
/// taking all of one from the consoles and requests beside it.
const SCAN_RESTS: u32 = 2;
/// Revisions a run takes in the database at its start, which no other run of any replica
/// publishes: a revision another replica (or an earlier run) published is never mistaken for
/// one of this run's, and is answered 410. 2^32 last over six years at twenty revisions a
/// second, and keep revisions below 2^53 (exact in a JSON number) for two million runs.
const REVISION_SPAN: u64 = 1 << 32;
/// Published deltas a subscriber may fall behind by before it is reset.
const EVENT_BUFFER: usize = 64;
/// A scan slower than this is logged as a warning.
const SLOW_SCAN: Duration = Duration::from_millis(250);

/// The change feed of a controller.
#[derive(Debug)]
pub(crate) struct Feed {
    /// The controller's state: revisions are reserved and histories saved there.
    store: Arc<dyn StateStore>,
    backend: Arc<dyn Backend>,
    clock: SharedClock,
    tracker: Mutex<Tracker>,
    /// The tracker's revision, readable without waiting for a scan.
    revision: AtomicU64,
    /// The last revision of this run's span (taken in the store).
    reserved: Mutex<u64>,
    events: broadcast::Sender<Frame>,
    stopping: watch::Receiver<bool>,
    scanner: Mutex<Option<JoinHandle<()>>>,
}

impl Feed {
    /// Starts the feed of `backend` above every revision an earlier run used (read from and
    /// reserved in `store`, at `place`), knowing the writers as they are now, and scans until
    /// `stopping` turns true.
    pub async fn start(
        backend: Arc<dyn Backend>,
        clock: SharedClock,
        store: Arc<dyn StateStore>,
        place: String,
        stopping: watch::Receiver<bool>,
    ) -> Result<Arc<Feed>, ControllerError> {
        let visited = backend.clone();
        let now = clock.now();
        let opened = store.clone();
        let (bound, tracker, took) = tokio::task::spawn_blocking(move || {
            let store = opened;
            let start = store
                .take_revisions(REVISION_SPAN)
                .map_err(ControllerError::database(&place))?;
            let bound = start.saturating_add(REVISION_SPAN - 1);
            let saved = history::load(&*store).map_err(ControllerError::database(&place))?;
            let started = Instant::now();
            let tracker = Tracker::new(Rules::default(), start, now, saved, |visit| {
                visited.visit(visit);
            });
            Ok::<_, ControllerError>((bound, tracker, started.elapsed()))
        })
        .await
        .map_err(|e| ControllerError::Runtime(e.to_string()))??;
        tracing::info!(
            revision = tracker.revision(),
            writers = tracker.len(),
            ms = took.as_millis() as u64,
            "change feed started"
        );
        let feed = Arc::new(Feed {
            store,
            revision: AtomicU64::new(tracker.revision()),
            backend,
            clock,
            tracker: Mutex::new(tracker),
            reserved: Mutex::new(bound),
            events: broadcast::channel(EVENT_BUFFER).0,
            stopping: stopping.clone(),
            scanner: Mutex::new(None),
        });
        let scanner = tokio::spawn(scan_periodically(feed.clone(), stopping));
        *lock(&feed.scanner) = Some(scanner);
        Ok(feed)
    }

    /// The fleet revision: every change published so far is at or below it.
    pub fn revision(&self) -> u64 {
        self.revision.load(Ordering::Acquire)
    }

    /// One scan: publishes what changed, if anything. Blocks (run it off the async workers).
    pub fn scan(&self) -> Option<u64> {
        if let Err(error) = self.reserve_next() {
            tracing::error!(
                "cannot reserve fleet revisions in the database ({error}); changes are not \
                 published until it can"
            );
            return None;
        }
        let now = self.clock.now();
        let started = Instant::now();
        let delta = {
            let mut tracker = lock(&self.tracker);
            let delta = tracker.scan(now, |visit| self.backend.visit(visit));
            self.revision.store(tracker.revision(), Ordering::Release);
            delta
        };
        let took = started.elapsed();
        if took > SLOW_SCAN {
            tracing::warn!(ms = took.as_millis() as u64, "a change feed scan was slow");
        }
        tracing::debug!(
            us = took.as_micros() as u64,
            published = delta.as_ref().map_or(0, |d| d.revision),
            "change feed scan"
        );
        let delta = delta?;
        match delta_frame(&delta) {
            Ok(frame) => {
                tracing::debug!(
                    revision = delta.revision,
                    writers = delta.writers.len(),
                    progress = delta.progress.len(),
                    removed = delta.removed.len(),
                    bytes = frame.bytes.len(),
                    "delta published"
                );
                // No subscriber is not an error.
                let _ = self.events.send(frame);
            }
            Err(error) => tracing::error!("serialising a delta failed: {error}"),
        }
        Some(delta.revision)
    }

    /// Makes sure the next revision is this run's: once its span is used up, the feed moves
    /// on to a new one (a `since` from the old one is then answered 410).
    fn reserve_next(&self) -> Result<(), StoreError> {
        let mut reserved = lock(&self.reserved);
        let next = self.revision().saturating_add(1);
        if next > *reserved {
            let start = self.store.take_revisions(REVISION_SPAN)?;
            lock(&self.tracker).move_to(start);
            self.revision.store(start, Ordering::Release);
            *reserved = start.saturating_add(REVISION_SPAN - 1);
        }
        Ok(())
    }

    /// `GET /v1/writers?since=REV[&region=R]`.
    pub async fn delta_since(
        self: &Arc<Self>,
        since: u64,
        region: Option<String>,
    ) -> Result<WriterDelta, ApiError> {
        let changes = lock(&self.tracker)
            .since(since, region.as_deref())
            .map_err(expired)?;
        self.complete(changes).await
    }

    /// The delta of `changes`, whole writers read from the backend as they are now (a writer
    /// gone meanwhile is left out: the next delta removes it).
    async fn complete(self: &Arc<Self>, changes: Changes) -> Result<WriterDelta, ApiError> {
        let Changes {
            revision,
            whole,
            progress,
            removed,
        } = changes;
        let backend = self.backend.clone();
        let writers = if whole.is_empty() {
            Vec::new()
        } else {
            blocking("reading changed writers failed", move || {
                Ok(whole
                    .iter()
                    .filter_map(|id| backend.writer(id).ok())
                    .collect())
            })
            .await?
        };
        Ok(WriterDelta {
            revision,
            writers,
            progress,
            removed,
        })
    }

    /// `GET /v1/events[?since=REV]`.
    pub async fn subscribe(self: &Arc<Self>, since: Option<u64>) -> axum::response::Response {
        let (live, changes, revision) = {
            let tracker = lock(&self.tracker);
            // Subscribed under the tracker lock: every delta after `revision` is received.
            let live = self.events.subscribe();
            let changes = since.map(|since| tracker.since(since, None));
            (live, changes, tracker.revision())
        };
        let mut subscription = Subscription {
            first: None,
            live: Some(live),
            at: revision,
            stopping: self.stopping.clone(),
        };
        match changes {
            None => {}
            Some(Err(why)) => {
                subscription.first = Some(reset_frame(revision, expired(why).message));
                subscription.live = None;
            }
            Some(Ok(changes))
                if changes.whole.is_empty()
                    && changes.progress.is_empty()
                    && changes.removed.is_empty() => {}
            Some(Ok(changes)) => {
                let framed = match self.complete(changes).await {
                    Ok(delta) => delta_frame(&delta).map_err(|e| e.to_string()),
                    Err(error) => Err(error.message),
                };
                match framed {
                    Ok(frame) => subscription.first = Some(frame.bytes),
                    Err(error) => {
                        tracing::error!("building a catch-up delta failed: {error}");
                        subscription.first = Some(reset_frame(
                            revision,
                            "the controller could not build the changes since your revision; \
                             load the full list (GET /v1/writers) and subscribe again from its \
                             revision"
                                .to_string(),
                        ));
                        subscription.live = None;
                    }
                }
            }
        }
        subscription.into_response()
    }

    /// Waits for the scanner to end (after `stopping` turned true), then saves every writer's
    /// history.
    pub async fn close(self: &Arc<Self>) {
        let scanner = lock(&self.scanner).take();
        let Some(scanner) = scanner else {
            return;
        };
        let _ = scanner.await;
        let feed = self.clone();
        let saved = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let tracker = lock(&feed.tracker);
            history::save(&*feed.store, tracker.all_series()).map(|n| (n, started.elapsed()))
        })
        .await;
        match saved {
            Ok(Ok((writers, took))) => {
                tracing::info!(writers, ms = took.as_millis() as u64, "histories saved")
            }
            Ok(Err(error)) => tracing::error!("saving histories at shutdown failed: {error}"),
            Err(error) => tracing::error!("saving histories at shutdown failed: {error}"),
        }
    }

    /// Writer `id`'s points in `window` now: all null for a writer no scan has seen yet.
    pub fn history(&self, id: &str, window: HistoryWindow) -> Vec<HistoryPoint> {
        let now = self.clock.now();
        let tracker = lock(&self.tracker);
        match tracker.series(id) {
            Some(series) => series.points(window, now),
            None => Series::default().points(window, now),
        }
    }

    /// The latency series in `window` of each of `ids` the feed knows; the others in the
    /// second list.
    pub fn latencies(&self, ids: &[String], window: HistoryWindow) -> HistorySeries {
        let now = self.clock.now();
        let tracker = lock(&self.tracker);
        let mut answer = HistorySeries {
            step_s: window.step_secs(),
            ..HistorySeries::default()
        };
        for id in ids {
            match tracker.series(id) {
                Some(series) => {
                    let points = series.points(window, now);
                    answer
                        .series
                        .insert(id.clone(), points.iter().map(|p| p.latency_ms).collect());
                }
                None => answer.unknown.push(id.clone()),
            }
        }
        answer
    }
}

/// The 410 answered for a `since` the feed cannot answer.
fn expired(why: Unanswerable) -> ApiError {
    let message = match why {
        Unanswerable::TooOld { since, oldest } => format!(
            "revision {since} is older than the oldest this controller can answer from \
             ({oldest}: it restarted, changes that old were dropped, or the revision comes from \
             another replica); load the full list (GET /v1/writers) and follow on from its \
             revision"
        ),
        Unanswerable::Future { since, revision } => format!(
            "revision {since} is newer than this controller's ({revision}): it comes from \
             another replica, another controller or an earlier database; load the full list \
             (GET /v1/writers) and follow on from its revision"
        ),
    };
    ApiError::new(ErrorCode::RevisionExpired, message)
}

async fn scan_periodically(feed: Arc<Feed>, mut stopping: watch::Receiver<bool>) {
    let changes = feed.backend.changes();
    let mut tick = tokio::time::interval(SCAN_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = changes.notified() => {}
            _ = stopping.wait_for(|stopping| *stopping) => return,
        }
        let scanning = feed.clone();
        let started = Instant::now();
        if let Err(error) = tokio::task::spawn_blocking(move || scanning.scan()).await {
            tracing::error!("a change feed scan failed: {error}");
        }
        let rest = started.elapsed().saturating_mul(SCAN_RESTS);
        tokio::time::sleep(rest.max(SCAN_SPACING)).await;
    }
}

#[cfg(test)]
mod tests;
