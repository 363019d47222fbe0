//! The lead: the replica that drives the backend (the simulation, or OMS polling). A SQLite
//! file is one process's alone, so its lead is never contested and nothing is claimed. A
//! shared database holds a lease of [`LEASE_MS`]: a replica claims it before it drives
//! anything and renews it every second; a replica that finds it held by another whose lease
//! has not run out does not start.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::ControllerError;
use chrono::{DateTime, Utc};

use super::store::{LEASE_MS, LeaseHolder, StateStore, StoreError};

/// How often the lease is renewed: several renewals fit in one lease.
const RENEW_EVERY: Duration = Duration::from_secs(1);

/// Claims the lead in `store` (at `place`) for `me`, then renews it every second until
/// `stopping`, and gives it up then (the task answered); nothing to do for a store without a
/// lease.
pub(crate) async fn claim(
    store: Arc<dyn StateStore>,
    me: LeaseHolder,
    place: &str,
    mut stopping: watch::Receiver<bool>,
) -> Result<Option<JoinHandle<()>>, ControllerError> {
    if store.lease().is_none() {
        return Ok(None);
    }
    let claimed = {
        let (store, me) = (store.clone(), me.clone());
        tokio::task::spawn_blocking(move || claim_lead(&*store, &me))
            .await
            .map_err(|e| ControllerError::Runtime(e.to_string()))?
            .map_err(ControllerError::database(place))?
    };
    if let Some((holder, until)) = claimed {
        return Err(ControllerError::LeadHeld {
            place: place.to_string(),
            holder: format!(
                "{} on {} (pid {}, listening on {})",
                holder.replica, holder.host, holder.pid, holder.listen
            ),
            until: until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
    }
    Ok(Some(tokio::spawn(async move {
        let mut renewals = tokio::time::interval(RENEW_EVERY);
        renewals.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = renewals.tick() => {}
                _ = stopping.wait_for(|stop| *stop) => break,
            }
            let (store, me) = (store.clone(), me.clone());
            match tokio::task::spawn_blocking(move || claim_lead(&*store, &me)).await {
                Ok(Ok(None)) => {}
                Ok(Ok(Some((holder, _)))) => tracing::error!(
                    replica = %holder.replica,
                    host = %holder.host,
                    "another replica holds the lead: this one was cut off from the database \
                     for longer than a lease ({LEASE_MS} ms)"
                ),
                Ok(Err(error)) => tracing::warn!("renewing the lead failed: {error}"),
                Err(error) => tracing::warn!("renewing the lead failed: {error}"),
            }
        }
        let released = tokio::task::spawn_blocking(move || {
            store
                .lease()
                .map_or(Ok(()), |lease| lease.release_lead(&me))
        })
        .await;
        if let Ok(Err(error)) = released {
            tracing::warn!("giving the lead up failed: {error}");
        }
    })))
}

/// [`super::store::Lease::claim_lead`] in `store` (uncontested without a lease).
fn claim_lead(
    store: &dyn StateStore,
    me: &LeaseHolder,
) -> Result<Option<(LeaseHolder, DateTime<Utc>)>, StoreError> {
    match store.lease() {
        Some(lease) => lease.claim_lead(me),
        None => Ok(None),
    }
}
