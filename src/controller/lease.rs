//! The lead: the replica that drives the backend (the simulation's transitions and
//! checkpoints, or OMS polling). A SQLite file is one process's alone, so that process leads
//! from its start and nothing is claimed. In a shared database every replica tries every
//! second to take or renew a lease of [`LEASE_MS`] there: the one holding it leads, and when
//! it dies another takes it within a lease and a second. A leader that cannot renew stops
//! leading before its lease can run out — counted from before each claim, and without waiting
//! for a database that does not answer — so two never lead at once while the machines' clocks
//! run at the same rate. Each try also tells the
//! database this replica is alive, for `GET /v1/deployment`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::ControllerError;
use super::replicas::ThisReplica;
use super::store::{LEASE_MS, LeaseHolder, StateStore, StoreError};
use chrono::{DateTime, Utc};

/// How often the lease is renewed, or taken when free: several renewals fit in one lease.
const RENEW_EVERY: Duration = Duration::from_secs(1);

/// A leader that could not renew for this long stops leading: its lease may run out at the
/// next renewal's time (the database's clock and this one's may differ by that).
const GIVE_UP_AFTER: Duration = Duration::from_millis(LEASE_MS as u64 - 1_000);

/// Whether this replica leads, and the task that keeps it up to date.
#[derive(Debug)]
pub(crate) struct Lead {
    /// True while this replica leads.
    pub leading: watch::Receiver<bool>,
    /// Renews or takes the lease until the shutdown, then gives it up (a shared store only).
    pub task: Option<JoinHandle<()>>,
}

/// Starts following the lead in `store` (at `place`) for `me` until `stopping`.
pub(crate) async fn follow(
    store: Arc<dyn StateStore>,
    me: Arc<ThisReplica>,
    place: &str,
    mut stopping: watch::Receiver<bool>,
) -> Result<Lead, ControllerError> {
    if store.shared().is_none() {
        me.set_leading(true);
        return Ok(Lead {
            leading: watch::channel(true).1,
            task: None,
        });
    }
    let first_asked = Instant::now();
    let first = {
        let (store, me) = (store.clone(), me.clone());
        tokio::task::spawn_blocking(move || try_lead(&*store, &me))
            .await
            .map_err(|e| ControllerError::Runtime(e.to_string()))?
            .map_err(ControllerError::database(place))?
    };
    let (leads, leading) = watch::channel(first.is_none());
    let task = tokio::spawn(async move {
        let mut renewed = first_asked;
        let mut renewals = tokio::time::interval(RENEW_EVERY);
        renewals.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = renewals.tick() => {}
                _ = stopping.wait_for(|stop| *stop) => break,
            }
            let (store, replica) = (store.clone(), me.clone());
            // The lease is counted from before the claim, which the database times later.
            let asked = Instant::now();
            let mut attempt = tokio::task::spawn_blocking(move || try_lead(&*store, &replica));
            let tried = if *leads.borrow() {
                // A leader does not outlive its lease waiting for the database's answer.
                let give_up = tokio::time::Instant::from_std(renewed + GIVE_UP_AFTER);
                tokio::select! {
                    tried = &mut attempt => tried,
                    _ = tokio::time::sleep_until(give_up) => {
                        tracing::error!(
                            "this replica stops leading: the database has not answered the \
                             renewal of its lease for {} ms",
                            renewed.elapsed().as_millis()
                        );
                        me.set_leading(false);
                        leads.send_replace(false);
                        attempt.await
                    }
                }
            } else {
                attempt.await
            };
            match tried {
                Ok(Ok(None)) => {
                    renewed = asked;
                    if !*leads.borrow() {
                        tracing::info!("this replica leads now");
                        leads.send_replace(true);
                    }
                }
                Ok(Ok(Some((holder, _)))) => {
                    if *leads.borrow() {
                        tracing::error!(
                            replica = %holder.replica,
                            host = %holder.host,
                            "another replica took the lead: this one could not renew it in time"
                        );
                        me.set_leading(false);
                        leads.send_replace(false);
                    }
                }
                Ok(Err(error)) => {
                    tracing::warn!("renewing the lead failed: {error}");
                    if *leads.borrow() && renewed.elapsed() >= GIVE_UP_AFTER {
                        tracing::error!(
                            "this replica stops leading: it could not renew its lease for {} ms",
                            renewed.elapsed().as_millis()
                        );
                        me.set_leading(false);
                        leads.send_replace(false);
                    }
                }
                Err(error) => tracing::warn!("renewing the lead failed: {error}"),
            }
        }
        let gone = tokio::task::spawn_blocking(move || {
            let holder = me.holder();
            let shared = store.shared();
            shared.map_or(Ok(()), |shared| {
                shared
                    .release_lead(&holder)
                    .and_then(|()| shared.depart(&holder))
            })
        })
        .await;
        if let Ok(Err(error)) = gone {
            tracing::warn!("giving the lead up failed: {error}");
        }
    });
    Ok(Lead {
        leading,
        task: Some(task),
    })
}

/// Takes or renews the lead for `me` in a shared `store` and records `me` as alive: answers
/// the replica holding the lead instead, if another does.
fn try_lead(
    store: &dyn StateStore,
    me: &ThisReplica,
) -> Result<Option<(LeaseHolder, DateTime<Utc>)>, StoreError> {
    let Some(shared) = store.shared() else {
        return Ok(None);
    };
    let holder = me.holder();
    let claimed = shared.claim_lead(&holder)?;
    me.set_leading(claimed.is_none());
    // Only `GET /v1/deployment` misses a heartbeat: the lead does not hang on it.
    if let Err(error) = shared.heartbeat(&holder, me.started(), me.leader_since()) {
        tracing::warn!("recording this replica as alive failed: {error}");
    }
    Ok(claimed)
}
