//! The shared domain: writers, their statuses and stores, the start/pause rules, timestamps
//! and the clock. Used alike by the controller, the client, the CLI and the TUI.

pub mod clock;
pub mod format;
pub mod history;
pub mod id_index;
pub mod latency_band;
pub mod rfc3339;
pub mod rules;
pub mod shared_str;
pub mod status_set;
pub mod timestamp;
pub mod writer;

pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use format::{
    format_ago, format_bytes, format_duration_ms, format_range, format_utc, localize_times,
};
pub use history::{HistoryWindow, UnknownWindow};
pub use id_index::{IdIndex, Identified};
pub use latency_band::{LatencyBand, Tally};
pub use rules::{
    PausePlan, ReplaySpan, RuleViolation, StartPlan, check_replay, plan_pause, plan_start,
};
pub use shared_str::{SharedStr, interning};
pub use status_set::{STATUS_WORDS, StatusSet, UnknownStatusWord};
pub use timestamp::{ACCEPTED_FORMS, TimestampError, Zone, parse_timestamp};
pub use writer::{Project, Store, UnknownKind, UnknownStatus, Writer, WriterKind, WriterStatus};
