//! The history routes: one writer's points and events (`GET /v1/writers/{id}/history`) and
//! the latency series of up to 200 writers at once, for sparklines (`GET /v1/history`).

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::audit_routes::AUDIT_MAX_LIMIT;
use super::backend::{AuditFilter, blocking};
use super::error::ApiError;
use super::history::events;
use super::http::{AppState, query_problem, writer_id};
use crate::api::{HISTORY_MAX_IDS, WriterHistory};
use crate::domain::HistoryWindow;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WriterHistoryQuery {
    window: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistoryQuery {
    window: Option<String>,
    ids: Option<String>,
}

fn bad_query(rejection: &QueryRejection) -> ApiError {
    ApiError::bad_request(format!(
        "{}; the parameters are window (15m or 6h) and, for /v1/history, ids",
        query_problem(rejection)
    ))
}

fn window(window: Option<String>) -> Result<HistoryWindow, ApiError> {
    window.map_or(Ok(HistoryWindow::default()), |w| {
        w.parse()
            .map_err(|e: crate::domain::UnknownWindow| ApiError::bad_request(e.to_string()))
    })
}

/// `GET /v1/writers/{id}/history[?window=15m|6h]`: 404 for a writer the backend does not have.
pub(crate) async fn writer_history(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<WriterHistoryQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let id = writer_id(id)?;
    let Query(query) = query.map_err(|e| bad_query(&e))?;
    let window = window(query.window)?;
    state.backend.writer(&id)?;
    let feed = state.feed.clone();
    let asked = id.clone();
    let points = blocking(
        "reading a history",
        move || Ok(feed.history(&asked, window)),
    )
    .await?;
    let from = points.first().map(|p| p.t);
    let filter = AuditFilter {
        writer: Some(id.clone()),
        since: from,
        limit: AUDIT_MAX_LIMIT,
        ..AuditFilter::default()
    };
    let audit = state.backend.clone().audit(filter).await?;
    let events = from.map_or_else(Vec::new, |from| events(&points, &audit, from));
    Ok(Json(WriterHistory {
        writer: id,
        window,
        step_s: window.step_secs(),
        points,
        events,
    })
    .into_response())
}

/// `GET /v1/history?ids=ID,ID,…[&window=15m|6h]`: at most 200 ids.
pub(crate) async fn history(
    State(state): State<AppState>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| bad_query(&e))?;
    let window = window(query.window)?;
    let ids: Vec<String> = query
        .ids
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect();
    if ids.is_empty() {
        return Err(ApiError::bad_request(
            "ids is missing: give the writers' ids, separated by commas (at most 200)",
        ));
    }
    if ids.len() > HISTORY_MAX_IDS {
        return Err(ApiError::bad_request(format!(
            "{} ids asked for; at most {HISTORY_MAX_IDS} at a time: split the request",
            ids.len()
        )));
    }
    let feed = state.feed.clone();
    let answer = blocking(
        "reading histories",
        move || Ok(feed.latencies(&ids, window)),
    )
    .await?;
    Ok(Json(answer).into_response())
}
