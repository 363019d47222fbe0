//! The v1 HTTP/JSON wire format shared by the controller and the client.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{HistoryWindow, RuleViolation, Writer, WriterStatus};

/// What an identity may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything: writers, their audit, the event stream.
    Viewer,
    /// Also starts and pauses writers.
    Operator,
}

impl Role {
    /// All roles, least privileged first.
    pub const ALL: [Role; 2] = [Role::Viewer, Role::Operator];

    /// The role as written in the tokens file and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
        }
    }

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| format!("unknown role {text:?}: use viewer or operator"))
    }
}

/// The identity of a controller's single token (`--token-file`), an operator.
pub const DEFAULT_IDENTITY: &str = "default";

/// `GET /v1/whoami`: the identity the request's token authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    pub role: Role,
}

/// `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// `GET /v1/deployment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    pub regions: Vec<String>,
    pub multi_region: bool,
    /// Who owns the writers behind this controller.
    #[serde(default)]
    pub backend: BackendInfo,
    /// The controller processes serving this state; exactly one leads (drives the backend).
    #[serde(default)]
    pub replicas: Vec<Replica>,
}

/// One controller process (`jwctl serve`) serving the shared state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replica {
    /// Random, chosen when the process starts.
    pub id: String,
    /// The machine it runs on.
    pub host: String,
    /// The address it listens on.
    pub listen: String,
    pub pid: u32,
    /// Whether it drives the backend (polls OMS, or runs the simulation).
    pub leader: bool,
    /// When it started serving.
    pub started: DateTime<Utc>,
    /// Since when it leads; absent for a replica that does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_since: Option<DateTime<Utc>>,
    /// When it was last known to be alive.
    pub last_seen: DateTime<Utc>,
}

/// The backend behind a controller and how fresh its data is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendInfo {
    pub kind: BackendKind,
    /// The OMS the controller polls, without credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When the last complete poll ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_poll: Option<DateTime<Utc>>,
    /// Seconds between polls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_secs: Option<u64>,
    /// Projects whose last describe failed: their writers are as last seen.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_projects: Vec<FailedProject>,
}

/// Which backend owns the writers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// The controller's own simulated fleet (the demo).
    #[default]
    Simulated,
    /// A real OMS, polled.
    Oms,
}

/// A project whose describe failed in the last poll, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedProject {
    pub id: String,
    pub error: String,
}

/// `GET /v1/writers`: every writer (optionally of one region) and the fleet revision, which
/// changes whenever any writer's state changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterList {
    pub revision: u64,
    pub writers: Vec<Writer>,
}

/// `GET /v1/writers?since=REV`, and the data of a `delta` event of `GET /v1/events`: what
/// changed after revision `REV`, up to and including `revision`.
///
/// A writer appears in at most one of the three lists. `writers` holds the writers added or
/// changed in anything but progress (status, version, message, …), whole; `progress` the
/// running writers whose only change is their checkpoint and latency; `removed` the ids of
/// writers that are gone. Applying the delta to the list at `REV` gives the list at
/// `revision`. A heartbeat event carries `revision` alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterDelta {
    pub revision: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writers: Vec<Writer>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub progress: Vec<Progress>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
}

impl WriterDelta {
    /// Whether nothing changed (a heartbeat).
    pub fn is_empty(&self) -> bool {
        self.writers.is_empty() && self.progress.is_empty() && self.removed.is_empty()
    }
}

/// A running writer's progress. Compact on the wire, as an array: `["ID", checkpoint in
/// Unix milliseconds or null, latency_ms or null]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ProgressWire", into = "ProgressWire")]
pub struct Progress {
    pub id: String,
    pub checkpoint: Option<DateTime<Utc>>,
    pub latency_ms: Option<u64>,
}

type ProgressWire = (String, Option<i64>, Option<u64>);

impl From<ProgressWire> for Progress {
    fn from((id, checkpoint, latency_ms): ProgressWire) -> Self {
        Progress {
            id,
            checkpoint: checkpoint.and_then(DateTime::from_timestamp_millis),
            latency_ms,
        }
    }
}

impl From<Progress> for ProgressWire {
    fn from(progress: Progress) -> Self {
        (
            progress.id,
            progress.checkpoint.map(|at| at.timestamp_millis()),
            progress.latency_ms,
        )
    }
}

/// The event types of `GET /v1/events` (Server-Sent Events; the data of each is one JSON
/// object on one line).
pub mod events {
    /// A [`super::WriterDelta`]; the event's `id` is its revision.
    pub const DELTA: &str = "delta";
    /// Nothing changed for a while: `{"revision": N}`.
    pub const HEARTBEAT: &str = "heartbeat";
    /// The controller cannot bring this subscriber up to date with deltas (its revision is
    /// too old, or it fell too far behind): `{"revision": N, "reason": "…"}`. The stream
    /// ends; reload the full list and subscribe again from its revision.
    pub const RESET: &str = "reset";
}

/// The data of a `reset` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamReset {
    pub revision: u64,
    pub reason: String,
}

/// Body of `POST /v1/writers/{id}/start`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// RFC 3339 instant to replay from, or null to resume from the checkpoint.
    #[serde(default)]
    pub replay_from: Option<String>,
}

/// An operation recorded in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditAction {
    Start,
    Pause,
}

/// One audit log entry: who did what to which writer, when, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: u64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub writer_id: String,
    pub action: AuditAction,
    pub replay_from: Option<DateTime<Utc>>,
    /// `ok`, `noop`, the error code the request was refused with, or (OMS) `unanswered`:
    /// sent to OMS, whose answer is not recorded (yet, when the database did not take it).
    pub result: String,
    pub message: Option<String>,
}

/// `GET /v1/fleet/health`: per region, writers by status and running writers by latency.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetHealth {
    pub regions: Vec<RegionHealth>,
}

/// One region of [`FleetHealth`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionHealth {
    pub region: String,
    /// Writers per status, every status named (zero included).
    pub statuses: std::collections::BTreeMap<String, u64>,
    pub latency_bands: LatencyBands,
}

/// Running writers by latency; one with no latency known is in none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LatencyBands {
    pub lt_1s: u64,
    #[serde(rename = "1s_to_10s")]
    pub from_1s_to_10s: u64,
    #[serde(rename = "10s_to_60s")]
    pub from_10s_to_60s: u64,
    pub ge_60s: u64,
}

impl LatencyBands {
    /// The wire form of per-band counts in [`crate::domain::LatencyBand::ALL`] order.
    pub fn from_counts([lt_1s, from_1s_to_10s, from_10s_to_60s, ge_60s]: [u64; 4]) -> Self {
        LatencyBands {
            lt_1s,
            from_1s_to_10s,
            from_10s_to_60s,
            ge_60s,
        }
    }
}

/// What `GET /v1/audit` is asked for: each field given narrows the entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// One writer's entries (its id).
    pub writer: Option<String>,
    /// One identity's entries.
    pub actor: Option<String>,
    /// Entries at or after this instant.
    pub since: Option<DateTime<Utc>>,
    /// At most this many (0 to 500), the newest.
    pub limit: u32,
}

/// `GET /v1/writers/{id}/audit`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
}

/// Every error the API answers with: `{"error":{"code":"…","message":"…"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The code and human message of an API error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    /// With `version_mismatch`: the writer as the controller has it now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub writer: Option<Box<Writer>>,
}

/// Machine-readable API error codes and their HTTP statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    /// The identity's role does not allow the request (the message names the role needed).
    Forbidden,
    /// Too many failed authentications from the peer's address: wait (`Retry-After`).
    RateLimited,
    /// An `Idempotency-Key` already used (within 24 h, by the same identity) for another
    /// request.
    IdempotencyKeyReused,
    /// Another replica has been answering a request with the same key for too long.
    IdempotencyKeyAnswering,
    WriterNotFound,
    NotFound,
    MethodNotAllowed,
    InvalidState,
    VersionMismatch,
    /// `since` names a revision the controller can no longer answer from: load the full list.
    RevisionExpired,
    PayloadTooLarge,
    ReplayNotSupported,
    ReplayOutOfRange,
    CheckpointExpired,
    /// OMS refused the operation (its code, message and advice are in the message).
    OmsRefused,
    /// OMS or its CM could not be reached, or failed.
    OmsUnavailable,
    /// OMS did not answer in time.
    OmsTimeout,
    /// The database the controller keeps its state in did not answer in time.
    StateUnavailable,
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::IdempotencyKeyAnswering => "idempotency_key_answering",
            ErrorCode::WriterNotFound => "writer_not_found",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::VersionMismatch => "version_mismatch",
            ErrorCode::RevisionExpired => "revision_expired",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::ReplayNotSupported => "replay_not_supported",
            ErrorCode::ReplayOutOfRange => "replay_out_of_range",
            ErrorCode::CheckpointExpired => "checkpoint_expired",
            ErrorCode::OmsRefused => "oms_refused",
            ErrorCode::OmsUnavailable | ErrorCode::OmsTimeout => "oms_unavailable",
            ErrorCode::StateUnavailable => "state_unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status the code is sent with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::RateLimited => 429,
            ErrorCode::WriterNotFound | ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::InvalidState | ErrorCode::IdempotencyKeyAnswering => 409,
            ErrorCode::RevisionExpired => 410,
            ErrorCode::VersionMismatch => 412,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::ReplayNotSupported
            | ErrorCode::ReplayOutOfRange
            | ErrorCode::CheckpointExpired
            | ErrorCode::OmsRefused
            | ErrorCode::IdempotencyKeyReused => 422,
            ErrorCode::OmsUnavailable => 502,
            ErrorCode::OmsTimeout => 504,
            ErrorCode::StateUnavailable => 503,
            ErrorCode::Internal => 500,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl RuleViolation {
    /// The API error code this refusal is sent with.
    pub fn code(&self) -> ErrorCode {
        match self {
            RuleViolation::InvalidState { .. } | RuleViolation::UnknownStatus { .. } => {
                ErrorCode::InvalidState
            }
            RuleViolation::ReplayNotSupported { .. } => ErrorCode::ReplayNotSupported,
            RuleViolation::ReplayOutOfRange { .. } => ErrorCode::ReplayOutOfRange,
            RuleViolation::CheckpointExpired { .. } => ErrorCode::CheckpointExpired,
        }
    }
}

/// `GET /v1/writers/{id}/history?window=15m|6h`: one writer's latency and status, step by
/// step, and what happened to it in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterHistory {
    pub writer: String,
    pub window: HistoryWindow,
    pub step_s: u32,
    /// Oldest first; the last is the step now filling.
    pub points: Vec<HistoryPoint>,
    /// Oldest first.
    pub events: Vec<HistoryEvent>,
}

/// One step of a [`WriterHistory`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// The start of the step.
    pub t: DateTime<Utc>,
    /// The highest latency seen in the step while the writer ran; null when it did not run or
    /// nothing was seen.
    pub latency_ms: Option<u64>,
    /// The status when last seen in the step; null when it was not seen.
    pub status: Option<WriterStatus>,
}

/// What a [`HistoryEvent`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistoryEventKind {
    /// Started from its checkpoint by an operator.
    Start,
    /// Started by an operator, replaying from `replay_from`.
    Replay,
    /// Paused by an operator.
    Pause,
    /// Its status changed (the step in which the controller saw the change).
    Status,
}

/// Something that happened to a writer inside a history window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEvent {
    pub t: DateTime<Utc>,
    pub kind: HistoryEventKind,
    /// Who did it (operations); null for status changes.
    pub actor: Option<String>,
    /// What happened, in words.
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_from: Option<DateTime<Utc>>,
}

/// `GET /v1/history?window=&ids=`: the latency series of several writers, for sparklines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistorySeries {
    pub step_s: u32,
    /// Per writer, a latency per step, oldest first, the last the step now filling.
    pub series: std::collections::BTreeMap<String, Vec<Option<u64>>>,
    /// Ids asked for that the controller does not have.
    pub unknown: Vec<String>,
}

/// The most ids one `GET /v1/history` may ask for.
pub const HISTORY_MAX_IDS: usize = 200;
