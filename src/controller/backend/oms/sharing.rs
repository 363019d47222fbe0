//! Replicas sharing one OMS through the state database: the leader alone polls OMS and stores
//! each project whose writers changed; every replica reads what was stored every
//! [`FOLLOW_EVERY`] (so a describe after an operation through one replica shows in every
//! other's reads within a second), and operations take turns across replicas through a
//! database lock, so If-Match has exactly one winner among them. The leader takes each poll
//! in during a turn of its own, so that a poll never stores what OMS said before an
//! operation over what it said after.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use super::Oms;
use crate::api::ErrorCode;
use crate::controller::backend::{blocking, lock};
use crate::controller::error::ApiError;
use crate::controller::store::{HeldLock, OmsProject};

/// The database lock an operation on OMS holds among the replicas.
const OPERATIONS_LOCK: &str = "jwctl_oms_operations";

/// How often every replica reads the projects the others stored.
const FOLLOW_EVERY: Duration = Duration::from_millis(200);

/// Calls to OMS one operation makes at most: describe, reset and resume, describe.
const CALLS_PER_OPERATION: u32 = 4;

/// What a stored project holds, to tell whether it changed.
fn digest(project: &OmsProject) -> u64 {
    let mut hasher = DefaultHasher::new();
    project.writers.hash(&mut hasher);
    project.failed.hash(&mut hasher);
    hasher.finish()
}

impl Oms {
    /// Stores `projects` (those whose writers changed since this replica last stored or read
    /// them) for the other replicas, with the time of the poll they come from when given.
    /// A failure is logged: the next poll stores them all again.
    pub(super) async fn publish(&self, projects: &[String], polled: Option<DateTime<Utc>>) {
        if !self.shared {
            return;
        }
        // Not while reading what was stored: a read from before this store must not be
        // taken for news after it.
        let _not_reading = self.followed.lock().await;
        let changed: Vec<OmsProject> = {
            let fleet = lock(&self.fleet);
            let mut stored = lock(&self.stored);
            fleet
                .shared(projects.iter().map(String::as_str))
                .into_iter()
                .filter(|project| {
                    stored.insert(project.id.clone(), digest(project)) != Some(digest(project))
                })
                .collect()
        };
        if changed.is_empty() && polled.is_none() {
            return;
        }
        let Some(store) = lock(&self.store).clone() else {
            return;
        };
        let saved = tokio::task::spawn_blocking(move || match store.shared() {
            Some(shared) => shared.save_oms_projects(&changed, polled),
            None => Ok(()),
        })
        .await;
        let failed = match saved {
            Ok(Ok(())) => return,
            Ok(Err(error)) => error.to_string(),
            Err(error) => error.to_string(),
        };
        lock(&self.stored).clear();
        tracing::warn!(
            error = %failed,
            "storing OMS's writers for the other replicas failed; they show them as before \
             until the next poll is stored"
        );
    }

    /// Takes in the projects stored since it last read them that differ from what this
    /// replica has (none with a store of its own).
    pub(super) async fn catch_up(&self) {
        if !self.shared {
            return;
        }
        let mut followed = self.followed.lock().await;
        *followed = self.take_in_stored(*followed).await;
    }

    /// Takes in the projects stored after `after` that differ from what this replica has;
    /// answers the last revision read.
    async fn take_in_stored(&self, after: u64) -> u64 {
        let Some(store) = lock(&self.store).clone() else {
            return after;
        };
        let read = tokio::task::spawn_blocking(move || {
            store
                .shared()
                .map(|shared| shared.oms_projects_since(after))
        })
        .await;
        let stored = match read {
            Ok(Some(Ok(stored))) => stored,
            Ok(None) => return after,
            Ok(Some(Err(error))) => {
                tracing::debug!(%error, "reading the projects other replicas stored failed");
                return after;
            }
            Err(error) => {
                tracing::warn!(%error, "reading the projects other replicas stored failed");
                return after;
            }
        };
        let last = stored
            .projects
            .iter()
            .map(|p| p.revision)
            .max()
            .unwrap_or(after);
        let new: Vec<OmsProject> = {
            let mut known = lock(&self.stored);
            stored
                .projects
                .into_iter()
                .filter(|project| {
                    known.insert(project.id.clone(), digest(project)) != Some(digest(project))
                })
                .collect()
        };
        let mut fleet = lock(&self.fleet);
        let polled_later = stored
            .polled
            .is_some_and(|at| fleet.last_poll.is_none_or(|seen| at > seen));
        if polled_later {
            fleet.last_poll = stored.polled;
        }
        if !new.is_empty() {
            fleet.take_in(&new);
        }
        if polled_later || !new.is_empty() {
            self.changes.notify_one();
        }
        last
    }

    /// How long an operation waits for its turn at most: as long as another one may take.
    pub(super) fn turn_wait(&self) -> Duration {
        self.config.timeout * CALLS_PER_OPERATION + Duration::from_secs(5)
    }

    /// The answer to an operation that waited [`Oms::turn_wait`] in vain.
    pub(super) fn busy(&self, waited: Duration) -> ApiError {
        ApiError::new(
            ErrorCode::OmsTimeout,
            format!(
                "another operation on OMS (through this replica or another) has been going on \
                 for over {} s (each call to OMS may take up to {} s); nothing was sent: try \
                 again",
                waited.as_secs(),
                self.config.timeout.as_secs()
            ),
        )
    }

    /// Waits up to `wait` for this replica's turn to operate on OMS among all replicas (none
    /// is needed with a store of its own).
    pub(super) async fn take_turn(
        self: &Arc<Self>,
        wait: Duration,
    ) -> Result<Option<HeldLock>, ApiError> {
        if !self.shared {
            return Ok(None);
        }
        const FAILED: &str = "taking the turn to operate on OMS failed";
        let this = Arc::clone(self);
        blocking(FAILED, move || {
            let store = lock(&this.store).clone().ok_or_else(super::shutting_down)?;
            let Some(shared) = store.shared() else {
                return Ok(None);
            };
            match shared.hold_lock(OPERATIONS_LOCK, wait) {
                Ok(Some(held)) => Ok(Some(held)),
                Ok(None) => Err(this.busy(this.turn_wait())),
                Err(error) => Err(ApiError::store(FAILED, &error)),
            }
        })
        .await
    }
}

/// Hands the turn back off the async workers (closing its connection writes to the network).
pub(super) fn end_turn(turn: Option<HeldLock>) {
    if let Some(turn) = turn {
        tokio::task::spawn_blocking(move || drop(turn));
    }
}

/// Reads what the other replicas stored every [`FOLLOW_EVERY`] until `stopping`.
pub(super) async fn follow(oms: Weak<Oms>, mut stopping: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(FOLLOW_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopping.wait_for(|stopping| *stopping) => return,
        }
        let Some(oms) = oms.upgrade() else {
            return;
        };
        oms.catch_up().await;
    }
}
