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
use crate::domain::{SharedStr, WriterStatus};

/// The health of `backend`'s fleet now, regions in name order. Writers are counted into
/// arrays by status position under the backend's lock; names are made once per region.
pub(crate) fn fleet_health(backend: &dyn Backend) -> FleetHealth {
    let mut regions: HashMap<SharedStr, ([u64; WriterStatus::ALL.len()], LatencyBands)> =
        HashMap::new();
    backend.visit(&mut |view| {
        let (statuses, bands) = match regions.get_mut(view.region()) {
            Some(region) => region,
            None => regions.entry(view.region().clone()).or_default(),
        };
        let status = view.status();
        if let Some(count) = statuses.get_mut(status.index()) {
            *count += 1;
        }
        if status == WriterStatus::Running
            && let Some(latency) = view.latency_ms()
        {
            bands.count(latency);
        }
    });
    let mut regions: Vec<RegionHealth> = regions
        .into_iter()
        .map(|(region, (statuses, latency_bands))| RegionHealth {
            region: region.to_string(),
            statuses: WriterStatus::ALL
                .iter()
                .zip(statuses)
                .map(|(status, count)| (status.as_str().to_string(), count))
                .collect(),
            latency_bands,
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
