//! The v1 HTTP API (axum): the route table, request parsing, handlers, request logging.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::header::IF_MATCH;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tower_http::compression::CompressionLayer;

use super::audit_routes as audit;
use super::auth::{Gate, require_identity};
use super::auth_limit::FailedAuthLimiter;
use super::backend::{Backend, Operation, OperationRequest};
use super::error::{ApiError, clip};
use super::feed::Feed;
use super::idempotency::{IdempotencyStore, idempotent};
use super::identities::Identities;
use super::replicas::ThisReplica;
use super::store::StateStore;
use crate::api::{ErrorCode, Health, Identity, Role, StartRequest};

/// Largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Every endpoint of the API. The router is built from this table, and a test checks
/// `assets/openapi.yaml` against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Health,
    Deployment,
    Writers,
    Writer,
    Audit,
    Start,
    Pause,
    Events,
    Whoami,
    AuditLog,
    FleetHealth,
    WriterHistory,
    History,
}

impl Endpoint {
    /// All endpoints.
    pub const ALL: [Endpoint; 13] = [
        Endpoint::Health,
        Endpoint::Deployment,
        Endpoint::Writers,
        Endpoint::Writer,
        Endpoint::Audit,
        Endpoint::Start,
        Endpoint::Pause,
        Endpoint::Events,
        Endpoint::Whoami,
        Endpoint::AuditLog,
        Endpoint::FleetHealth,
        Endpoint::WriterHistory,
        Endpoint::History,
    ];

    /// HTTP method, upper case.
    pub fn method(self) -> &'static str {
        match self {
            Endpoint::Start | Endpoint::Pause => "POST",
            _ => "GET",
        }
    }

    /// Path pattern as in the OpenAPI description.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Health => "/v1/health",
            Endpoint::Deployment => "/v1/deployment",
            Endpoint::Writers => "/v1/writers",
            Endpoint::Writer => "/v1/writers/{id}",
            Endpoint::Audit => "/v1/writers/{id}/audit",
            Endpoint::Start => "/v1/writers/{id}/start",
            Endpoint::Pause => "/v1/writers/{id}/pause",
            Endpoint::Events => "/v1/events",
            Endpoint::Whoami => "/v1/whoami",
            Endpoint::AuditLog => "/v1/audit",
            Endpoint::FleetHealth => "/v1/fleet/health",
            Endpoint::WriterHistory => "/v1/writers/{id}/history",
            Endpoint::History => "/v1/history",
        }
    }

    /// The role a request needs; `None` for the one route that needs no token.
    pub fn role_needed(self) -> Option<Role> {
        match self {
            Endpoint::Health => None,
            Endpoint::Start | Endpoint::Pause => Some(Role::Operator),
            Endpoint::Deployment
            | Endpoint::Writers
            | Endpoint::Writer
            | Endpoint::Audit
            | Endpoint::Events
            | Endpoint::Whoami
            | Endpoint::AuditLog
            | Endpoint::FleetHealth
            | Endpoint::WriterHistory
            | Endpoint::History => Some(Role::Viewer),
        }
    }

    fn handler(self) -> MethodRouter<AppState> {
        let filter = match self.method() {
            "POST" => MethodFilter::POST,
            _ => MethodFilter::GET,
        };
        match self {
            Endpoint::Health => on(filter, health),
            Endpoint::Deployment => on(filter, deployment),
            Endpoint::Writers => on(filter, list_writers),
            Endpoint::Writer => on(filter, get_writer),
            Endpoint::Audit => on(filter, audit::writer_audit),
            Endpoint::AuditLog => on(filter, audit::audit_log),
            Endpoint::FleetHealth => on(filter, super::health::health),
            Endpoint::WriterHistory => on(filter, super::history_routes::writer_history),
            Endpoint::History => on(filter, super::history_routes::history),
            Endpoint::Start => on(filter, start_writer),
            Endpoint::Pause => on(filter, pause_writer),
            Endpoint::Events => on(filter, events),
            Endpoint::Whoami => on(filter, whoami),
        }
    }
}

/// What the handlers share: the backend that owns the writers, and its change feed.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub backend: Arc<dyn Backend>,
    pub feed: Arc<Feed>,
    pub replica: Arc<ThisReplica>,
    /// Whether the state database answers (reads say since when it has not).
    pub store: Arc<dyn StateStore>,
}

/// On every answer to a read while the state database does not answer: since when, RFC 3339.
pub const STALE_SINCE: &str = "jwctl-stale-since";

/// The whole application: routes, auth, body limit, JSON fallbacks, gzip when the client
/// accepts it (never for the event stream: the default predicate skips `text/event-stream`),
/// request logging.
pub(crate) fn router(
    state: AppState,
    identities: Arc<Identities>,
    idempotency: Arc<IdempotencyStore>,
) -> Router {
    let limiter = Arc::new(FailedAuthLimiter::default());
    let mut routes = Router::new();
    for endpoint in Endpoint::ALL {
        let handler = match endpoint.role_needed() {
            None => endpoint.handler(),
            Some(role) => {
                let gate = Gate {
                    identities: identities.clone(),
                    limiter: limiter.clone(),
                    role,
                };
                let mut handler = endpoint.handler();
                if endpoint.method() == "POST" {
                    // Inside the gate: the key is the identity's.
                    handler = handler.route_layer(middleware::from_fn_with_state(
                        idempotency.clone(),
                        idempotent,
                    ));
                }
                handler.route_layer(middleware::from_fn_with_state(gate, require_identity))
            }
        };
        routes = routes.route(endpoint.path(), handler);
    }
    routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            state.store.clone(),
            mark_stale,
        ))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Marks the answer to a read with [`STALE_SINCE`] while the state database does not answer:
/// it comes from what this replica last had.
async fn mark_stale(
    State(store): State<Arc<dyn StateStore>>,
    request: Request,
    next: Next,
) -> Response {
    let read = request.method() == axum::http::Method::GET;
    let mut response = next.run(request).await;
    if read
        && let Some(since) = store.unreachable_since()
        && let Ok(value) = axum::http::HeaderValue::from_str(
            &since.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        )
    {
        response.headers_mut().insert(STALE_SINCE, value);
    }
    response
}

/// Logs method, path, status and duration (whole milliseconds) of every request, never its
/// headers: mutations, refusals and errors at info, other reads at debug.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = clip(request.uri().path(), 300);
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if method == axum::http::Method::GET && status < 400 {
        tracing::debug!(%method, %path, status, ms, "request");
    } else {
        tracing::info!(%method, %path, status, ms, "request");
    }
    response
}

async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        format!(
            "no such route: {} {}; the API lives under /v1 (see assets/openapi.yaml)",
            request.method(),
            clip(request.uri().path(), 200)
        ),
    )
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!(
            "{} is not allowed on {}; see assets/openapi.yaml for the methods of each route",
            request.method(),
            clip(request.uri().path(), 200)
        ),
    )
}

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

async fn whoami(Extension(identity): Extension<Identity>) -> Response {
    Json(identity).into_response()
}

async fn deployment(State(state): State<AppState>) -> Response {
    let mut deployment = state.backend.deployment();
    let (replica, store) = (state.replica.clone(), state.store.clone());
    deployment.replicas = match tokio::task::spawn_blocking(move || replica.replicas(&*store)).await
    {
        Ok(replicas) => replicas,
        Err(error) => {
            return ApiError::internal("listing the replicas failed", &error).into_response();
        }
    };
    Json(deployment).into_response()
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    region: Option<String>,
    since: Option<u64>,
}

const SINCE_HINT: &str = "since must be a fleet revision (a whole number from the revision of GET /v1/writers or of a delta)";

async fn list_writers(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("{}; {SINCE_HINT}", query_problem(&e))))?;
    if let Some(since) = query.since {
        let delta = state.feed.delta_since(since, query.region).await?;
        return Ok(Json(delta).into_response());
    }
    // Read before the snapshot: nothing published at or below it is missing from the list.
    let revision = state.feed.revision();
    let body = state
        .backend
        .clone()
        .list_body(query.region, revision)
        .await?;
    Ok(json_body(body))
}

#[derive(Debug, Deserialize)]
struct EventsQuery {
    since: Option<u64>,
}

async fn events(
    State(state): State<AppState>,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::bad_request(format!("{}; {SINCE_HINT}", query_problem(&e))))?;
    Ok(state.feed.subscribe(query.since).await)
}

async fn get_writer(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = writer_id(id)?;
    Ok(Json(state.backend.writer(&id)?).into_response())
}

async fn start_writer(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let writer_id = writer_id(id)?;
    let replay_from = parse_start_body(body)?;
    let operation = Operation::Start { replay_from };
    let request = operation_request(writer_id, &headers, identity, operation)?;
    operate(state, request).await
}

async fn pause_writer(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    id: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let writer_id = writer_id(id)?;
    parse_pause_body(body)?;
    let request = operation_request(writer_id, &headers, identity, Operation::Pause)?;
    operate(state, request).await
}

/// `operation` on `writer_id` by `identity` (the audit's actor), with the If-Match version
/// from `headers`.
fn operation_request(
    writer_id: String,
    headers: &HeaderMap,
    identity: Identity,
    operation: Operation,
) -> Result<OperationRequest, ApiError> {
    Ok(OperationRequest {
        writer_id,
        operation,
        if_match: parse_if_match(headers)?,
        actor: identity.name,
    })
}

/// Hands a start or pause to the backend and answers the writer after it.
async fn operate(state: AppState, request: OperationRequest) -> Result<Response, ApiError> {
    let writer = state.backend.clone().apply(request).await?;
    Ok(Json(writer).into_response())
}

fn json_body(body: Body) -> Response {
    (
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

pub(super) fn query_problem(rejection: &QueryRejection) -> String {
    format!("the query string is not valid ({})", rejection.body_text())
}

pub(super) fn writer_id(id: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    id.map(|Path(id)| id).map_err(|e| {
        ApiError::bad_request(format!(
            "the writer id in the path is not valid ({}); percent-encode it as UTF-8",
            e.body_text()
        ))
    })
}

fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                ErrorCode::PayloadTooLarge,
                format!(
                    "the request body is larger than {} KiB; send at most {{\"replay_from\": \"<RFC 3339>\"}}",
                    BODY_LIMIT / 1024
                ),
            )
        } else {
            ApiError::bad_request(format!(
                "the request body could not be read ({})",
                rejection.body_text()
            ))
        }
    })
}

/// The replay timestamp of a start request; an empty body means `{}`.
fn parse_start_body(
    body: Result<Bytes, BytesRejection>,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let bytes = body_bytes(body)?;
    if bytes.trim_ascii().is_empty() {
        return Ok(None);
    }
    let request: StartRequest = json_object(&bytes).map_err(|e| {
        ApiError::bad_request(format!(
            "the request body is not a valid start request ({e}); send {{}}, \
             {{\"replay_from\": null}} or {{\"replay_from\": \"2026-11-24T10:30:00Z\"}}"
        ))
    })?;
    let Some(text) = request.replay_from else {
        return Ok(None);
    };
    DateTime::parse_from_rfc3339(text.trim())
        .map(|at| Some(at.with_timezone(&Utc)))
        .map_err(|e| {
            ApiError::bad_request(format!(
                "replay_from '{}' is not an RFC 3339 timestamp ({e}); give one like \
                 2026-11-24T10:30:00Z or 2026-11-24T18:30:00+08:00",
                clip(&text, 100)
            ))
        })
}

/// A pause request carries nothing: an empty body or `{}`.
fn parse_pause_body(body: Result<Bytes, BytesRejection>) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct PauseRequest {}
    let bytes = body_bytes(body)?;
    if bytes.trim_ascii().is_empty() {
        return Ok(());
    }
    json_object::<PauseRequest>(&bytes)
        .map(|_| ())
        .map_err(|e| {
            ApiError::bad_request(format!(
                "a pause request takes no parameters ({e}); send an empty body or {{}}"
            ))
        })
}

/// `bytes` as a `T` written as a JSON object, and only so: serde would also take a struct
/// from a JSON array of its fields (`["2026-11-24T07:54:49Z"]` as a replay).
fn json_object<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let kind = match &value {
        serde_json::Value::Object(_) => {
            return serde_json::from_value(value).map_err(|e| e.to_string());
        }
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Null => "null",
    };
    Err(format!("the body must be a JSON object, not {kind}"))
}

/// `If-Match: 5` or `If-Match: "5"`: the version the client expects the writer to be at.
fn parse_if_match(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(value) = headers.get(IF_MATCH) else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let trimmed = text.trim();
    let unquoted = trimmed
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(trimmed)
        .trim();
    // Digits only: `u64::from_str` would also take `+5`.
    let digits = !unquoted.is_empty() && unquoted.bytes().all(|b| b.is_ascii_digit());
    let version = digits.then(|| unquoted.parse::<u64>().ok()).flatten();
    version.map(Some).ok_or_else(|| {
        ApiError::bad_request(format!(
            "If-Match '{}' is not a writer version; send the version number from the writer, \
             e.g. If-Match: 5 or If-Match: \"5\"",
            clip(trimmed, 40)
        ))
    })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with(name: &'static str, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn if_match_takes_bare_or_quoted_versions() {
        assert_eq!(parse_if_match(&HeaderMap::new()), Ok(None));
        assert_eq!(parse_if_match(&with("if-match", "5")), Ok(Some(5)));
        assert_eq!(parse_if_match(&with("if-match", " \"7\" ")), Ok(Some(7)));
        for bad in [
            "W/\"5\"",
            "*",
            "five",
            "-1",
            "+1",
            "\"+1\"",
            "",
            "99999999999999999999",
        ] {
            let error = parse_if_match(&with("if-match", bad)).err();
            assert_eq!(error.map(|e| e.code), Some(ErrorCode::BadRequest), "{bad}");
        }
    }

    #[test]
    fn start_bodies() {
        assert_eq!(parse_start_body(Ok(Bytes::new())), Ok(None));
        assert_eq!(parse_start_body(Ok(Bytes::from_static(b"{}"))), Ok(None));
        assert_eq!(
            parse_start_body(Ok(Bytes::from_static(b"{\"replay_from\":null}"))),
            Ok(None)
        );
        let at = parse_start_body(Ok(Bytes::from_static(
            b"{\"replay_from\":\"2026-11-24T18:30:00+08:00\"}",
        )));
        assert_eq!(
            at.ok().flatten().map(crate::domain::format_utc),
            Some("2026-11-24T10:30:00Z".to_string())
        );
        for bad in [
            &b"{\"replay\":1}"[..],
            b"[",
            b"{\"replay_from\":\"yesterday\"}",
            b"[\"2026-11-24T07:54:49Z\"]",
            b"[]",
            b"[null]",
            b"\"2026-11-24T07:54:49Z\"",
            b"null",
            b"7",
        ] {
            let error = parse_start_body(Ok(Bytes::copy_from_slice(bad))).err();
            assert_eq!(error.map(|e| e.code), Some(ErrorCode::BadRequest));
        }
    }

    #[test]
    fn pause_bodies_are_empty_or_an_empty_object() {
        assert_eq!(parse_pause_body(Ok(Bytes::new())), Ok(()));
        assert_eq!(parse_pause_body(Ok(Bytes::from_static(b" {} "))), Ok(()));
        for bad in [&b"[]"[..], b"{\"force\":true}", b"null", b"\"\"", b"0"] {
            let error = parse_pause_body(Ok(Bytes::copy_from_slice(bad))).err();
            assert_eq!(error.map(|e| e.code), Some(ErrorCode::BadRequest));
        }
    }
}
