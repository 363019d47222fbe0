//! The audit routes: one writer's log (`GET /v1/writers/{id}/audit`) and the log across
//! writers, by writer, actor and time (`GET /v1/audit`).

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::backend::AuditFilter;
use super::error::ApiError;
use super::http::{AppState, query_problem, writer_id};
use crate::api::AuditLog;
use crate::domain::rfc3339;

/// Entries answered when the query gives no `limit`.
pub(crate) const AUDIT_DEFAULT_LIMIT: u32 = 20;
/// The largest `limit`.
pub(crate) const AUDIT_MAX_LIMIT: u32 = 500;

const QUERY_RULES: &str = "limit must be a number from 0 to 500, since an RFC 3339 time \
(e.g. 2026-11-24T07:54:49Z)";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WriterAuditQuery {
    limit: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditLogQuery {
    writer: Option<String>,
    actor: Option<String>,
    since: Option<String>,
    limit: Option<u32>,
}

fn limit(limit: Option<u32>) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(AUDIT_DEFAULT_LIMIT);
    if limit > AUDIT_MAX_LIMIT {
        return Err(ApiError::bad_request(format!(
            "limit {limit} is too large; {QUERY_RULES}"
        )));
    }
    Ok(limit)
}

fn bad_query(rejection: &QueryRejection) -> ApiError {
    ApiError::bad_request(format!("{}; {QUERY_RULES}", query_problem(rejection)))
}

/// `GET /v1/writers/{id}/audit`: 404 for a writer the backend does not have.
pub(crate) async fn writer_audit(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<WriterAuditQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let id = writer_id(id)?;
    let Query(query) = query.map_err(|e| bad_query(&e))?;
    let limit = limit(query.limit)?;
    state.backend.writer(&id)?;
    let filter = AuditFilter {
        writer: Some(id),
        limit,
        ..AuditFilter::default()
    };
    let entries = state.backend.clone().audit(filter).await?;
    Ok(Json(AuditLog { entries }).into_response())
}

/// `GET /v1/audit[?writer=&actor=&since=&limit=]`: newest first; an unknown writer or actor
/// has no entries.
pub(crate) async fn audit_log(
    State(state): State<AppState>,
    query: Result<Query<AuditLogQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| bad_query(&e))?;
    let since = query
        .since
        .map(|text| {
            rfc3339::parse(text.trim()).map_err(|e| {
                ApiError::bad_request(format!("since {text:?} is not valid ({e}); {QUERY_RULES}"))
            })
        })
        .transpose()?;
    let filter = AuditFilter {
        writer: query.writer.filter(|w| !w.is_empty()),
        actor: query.actor.filter(|a| !a.is_empty()),
        since,
        limit: limit(query.limit)?,
    };
    let entries = state.backend.clone().audit(filter).await?;
    Ok(Json(AuditLog { entries }).into_response())
}
