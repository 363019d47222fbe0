//! `GET /v1/fleet/health`: per region, how many writers are in each status and how many
//! running writers are in each latency band — where an operator looks first.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::backend::{Backend, blocking};
use super::error::ApiError;
use super::http::AppState;
use crate::api::{FleetHealth, LatencyBands, RegionHealth};
use crate::domain::{SharedStr, Tally, WriterStatus};

/// The health of `backend`'s fleet now, regions in name order. Writers are tallied under
/// the backend's lock; names are made once per region.
pub(crate) fn fleet_health(backend: &dyn Backend) -> FleetHealth {
    let mut regions: HashMap<SharedStr, Tally> = HashMap::new();
    backend.visit(&mut |view| {
        let tally = match regions.get_mut(view.region()) {
            Some(tally) => tally,
            None => regions.entry(view.region().clone()).or_default(),
        };
        tally.add(view.status(), view.latency_ms());
    });
    let mut regions: Vec<RegionHealth> = regions
        .into_iter()
        .map(|(region, tally)| RegionHealth {
            region: region.to_string(),
            statuses: WriterStatus::ALL
                .iter()
                .zip(tally.statuses)
                .map(|(status, count)| (status.as_str().to_string(), count))
                .collect(),
            latency_bands: LatencyBands::from_counts(tally.bands),
        })
        .collect();
    regions.sort_by(|a, b| a.region.cmp(&b.region));
    FleetHealth { regions }
}

/// `GET /v1/fleet/health`.
pub(crate) async fn health(State(state): State<AppState>) -> Result<Response, ApiError> {
    let backend = state.backend.clone();
    let health = blocking("reading the fleet's health failed", move || {
        Ok(fleet_health(backend.as_ref()))
    })
    .await?;
    Ok(Json(health).into_response())
}
