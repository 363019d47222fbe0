//! `GET /v1/fleet/health`: per region, how many writers are in each status and how many
//! running writers are in each latency band — where an operator looks first.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::backend::{Backend, blocking};
use super::error::ApiError;
use super::http::AppState;
use crate::api::{FleetHealth, LatencyBands, RegionHealth};
use crate::domain::WriterStatus;

/// The health of `backend`'s fleet now, regions in name order.
pub(crate) fn fleet_health(backend: &dyn Backend) -> FleetHealth {
    let mut regions: BTreeMap<String, RegionHealth> = BTreeMap::new();
    backend.visit(&mut |view| {
        let region = regions
            .entry(view.region().to_string())
            .or_insert_with(|| RegionHealth {
                region: view.region().to_string(),
                statuses: WriterStatus::ALL
                    .iter()
                    .map(|status| (status.as_str().to_string(), 0))
                    .collect(),
                latency_bands: LatencyBands::default(),
            });
        if let Some(count) = region.statuses.get_mut(view.status().as_str()) {
            *count += 1;
        }
        if view.status() == WriterStatus::Running
            && let Some(latency) = view.latency_ms()
        {
            region.latency_bands.count(latency);
        }
    });
    FleetHealth {
        regions: regions.into_values().collect(),
    }
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
