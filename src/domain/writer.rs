//! The JDBCWriter record as the controller serves it and every client shows it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::SharedStr;

/// One JDBCWriter: identity, placement, lifecycle state and progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Writer {
    /// Stable OMS-style id, e.g. `10.18.3.122-9000:connector_v2:np_4w3a8kz1-incr_trans-1-0:0000000001`.
    pub id: String,
    /// Operator-facing name, unique in a fleet.
    pub name: String,
    /// IP address of the server the writer runs on.
    pub server_ip: String,
    /// Region (data centre) the writer runs in.
    pub region: SharedStr,
    /// The migration project the writer belongs to.
    pub project: Project,
    /// What the writer synchronises.
    pub kind: WriterKind,
    /// Lifecycle state.
    pub status: WriterStatus,
    /// Instant up to which data has been written to the destination, if any.
    #[serde(with = "super::rfc3339::option", default)]
    pub checkpoint: Option<DateTime<Utc>>,
    /// How far the checkpoint is behind the store's newest data, in milliseconds.
    pub latency_ms: Option<u64>,
    /// The store the writer pulls change data from, with its retained range.
    pub store: Store,
    /// Last error, for failed writers.
    pub message: Option<SharedStr>,
    /// Bumped on every change of state (status, checkpoint reset, message).
    pub version: u64,
    /// When the version last changed.
    #[serde(with = "super::rfc3339")]
    pub updated_at: DateTime<Utc>,
    /// The status in the backend's own word when jwctl does not know it (`status` is then
    /// `unknown`), e.g. an OMS status such as `MONITORING`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_status: Option<SharedStr>,
}

/// A migration project (OMS ids look like `np_4w3a8kz1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Project {
    pub id: SharedStr,
    pub name: SharedStr,
}

/// A change-log store and the range of incremental data it still holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    pub id: SharedStr,
    /// Oldest change data still retained.
    #[serde(with = "super::rfc3339")]
    pub earliest: DateTime<Utc>,
    /// Newest change data received.
    #[serde(with = "super::rfc3339")]
    pub latest: DateTime<Utc>,
}

impl Writer {
    /// The migration project as people read it: `name (id)`.
    pub fn project_label(&self) -> String {
        format!("{} ({})", self.project.name, self.project.id)
    }

    /// The status as people read it: the label, or the backend's own word for a status jwctl
    /// does not know.
    pub fn status_label(&self) -> &str {
        match (&self.status, &self.backend_status) {
            (WriterStatus::Unknown, Some(word)) => word,
            (status, _) => status.label(),
        }
    }
}

impl Store {
    /// Whether `at` lies in the retained range, inclusive at both ends.
    pub fn holds(&self, at: DateTime<Utc>) -> bool {
        self.earliest <= at && at <= self.latest
    }
}

/// What a writer synchronises; only incremental writers can replay data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WriterKind {
    /// Incremental data synchronization.
    Incremental,
    /// Full data migration.
    Full,
}

impl WriterKind {
    /// Wire name (`incremental` / `full`).
    pub fn as_str(self) -> &'static str {
        match self {
            WriterKind::Incremental => "incremental",
            WriterKind::Full => "full",
        }
    }

    /// Human label as the console shows it.
    pub fn label(self) -> &'static str {
        match self {
            WriterKind::Incremental => "Incremental",
            WriterKind::Full => "Full",
        }
    }
}

/// Lifecycle state of a writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WriterStatus {
    Running,
    Starting,
    Pausing,
    Stopped,
    Failed,
    /// A status the backend reports that jwctl does not know; `Writer::backend_status` has
    /// it. Neither started nor paused from jwctl.
    Unknown,
}

impl WriterStatus {
    /// Every status, in display order.
    pub const ALL: [WriterStatus; 6] = [
        WriterStatus::Running,
        WriterStatus::Starting,
        WriterStatus::Pausing,
        WriterStatus::Stopped,
        WriterStatus::Failed,
        WriterStatus::Unknown,
    ];

    /// Its position in [`WriterStatus::ALL`]: an index into per-status counts.
    pub fn index(self) -> usize {
        match self {
            WriterStatus::Running => 0,
            WriterStatus::Starting => 1,
            WriterStatus::Pausing => 2,
            WriterStatus::Stopped => 3,
            WriterStatus::Failed => 4,
            WriterStatus::Unknown => 5,
        }
    }

    /// Wire name (`running`, `stopped`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            WriterStatus::Running => "running",
            WriterStatus::Starting => "starting",
            WriterStatus::Pausing => "pausing",
            WriterStatus::Stopped => "stopped",
            WriterStatus::Failed => "failed",
            WriterStatus::Unknown => "unknown",
        }
    }

    /// Human label as the console shows it.
    pub fn label(self) -> &'static str {
        match self {
            WriterStatus::Running => "Running",
            WriterStatus::Starting => "Starting",
            WriterStatus::Pausing => "Pausing",
            WriterStatus::Stopped => "Stopped",
            WriterStatus::Failed => "Failed",
            WriterStatus::Unknown => "Unknown",
        }
    }

    /// Whether the writer is in a passing state on its way to another.
    pub fn is_transitional(self) -> bool {
        matches!(self, WriterStatus::Starting | WriterStatus::Pausing)
    }

    /// Where a transitional status ends (starting → running, pausing → stopped); any other
    /// status is already settled.
    pub fn settled(self) -> WriterStatus {
        match self {
            WriterStatus::Starting => WriterStatus::Running,
            WriterStatus::Pausing => WriterStatus::Stopped,
            other => other,
        }
    }

    /// Whether an operator may start the writer (console: "not running").
    pub fn can_start(self) -> bool {
        matches!(self, WriterStatus::Stopped | WriterStatus::Failed)
    }

    /// Whether an operator may pause the writer.
    pub fn can_pause(self) -> bool {
        matches!(self, WriterStatus::Running | WriterStatus::Starting)
    }
}

impl fmt::Display for WriterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind name that is neither `incremental` nor `full`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown writer kind '{0}': use incremental or full")]
pub struct UnknownKind(pub String);

impl FromStr for WriterKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [WriterKind::Incremental, WriterKind::Full]
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// A status name that is not one of the six.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status '{0}': use one of running, starting, pausing, stopped, failed, unknown")]
pub struct UnknownStatus(pub String);

impl FromStr for WriterStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        WriterStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == wanted)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_status_index_is_its_place_in_all() {
        for (at, status) in WriterStatus::ALL.iter().enumerate() {
            assert_eq!(status.index(), at, "{status:?}");
        }
    }

    use super::*;

    #[test]
    fn transitional_statuses_settle_and_others_stay() {
        let settled: Vec<WriterStatus> = WriterStatus::ALL.iter().map(|s| s.settled()).collect();
        use WriterStatus::*;
        assert_eq!(
            settled,
            vec![Running, Running, Stopped, Stopped, Failed, Unknown]
        );
    }

    #[test]
    fn names_round_trip() {
        for kind in [WriterKind::Incremental, WriterKind::Full] {
            assert_eq!(kind.as_str().parse(), Ok(kind));
        }
        for status in WriterStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        assert!("partial".parse::<WriterKind>().is_err());
        assert!("paused".parse::<WriterStatus>().is_err());
    }
}
