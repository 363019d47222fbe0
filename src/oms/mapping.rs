//! Pure functions from OMS's data to jwctl's domain: one [`Writer`] per Incr-Sync component
//! (incremental) and per Full-Import component (full) of a project.
//!
//! Field by field (`DescribeProjectComponents`, enterprise-oms-doc-en-10000000001792132):
//! - `id` = component `name`; `name` = its sub-task part when the name has the documented
//!   shape `host-port:connector_v2:<sub-task>:<seq>` ([`subtask_name`]), else the whole name.
//! - `server_ip` = `ip`; `region` = component `region`, else its store's, else empty.
//! - `checkpoint` = `checkpointSampleTimestamp` (epoch s), else `checkpoint` (zone-less, read
//!   in the OMS zone); `latency_ms` = `delay` (s) × 1000.
//! - `store` = the store of the component's region, else `storeList[0]`: id = store name,
//!   earliest/latest = `beginCheckpoint`/`endCheckpoint`. With no store at all the id is
//!   empty and both ends are the Unix epoch: callers must treat an empty store id as "none".
//! - project id and name from `ListProjects` (the id when the name is empty).
//! - `message` = `errorDetails` joined with `; `.
//! - `updated_at` = `gmtModify`, else `gmtCreate`, else the Unix epoch (the docs do not say
//!   what moves `gmtModify`; a controller that tracks versions should stamp its own time).
//!
//! Epoch numbers above 10^11 are read as milliseconds: the docs say seconds, this only guards
//! against an OMS that sends milliseconds (unconfirmed).

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use super::wire::{ConnectorItem, DescribeData, ProjectItem, StoreItem, WireTime, error_text};
use crate::domain::{Project, SharedStr, Store, Writer, WriterKind, WriterStatus, Zone};

/// A component's status as OMS reports it: one of jwctl's five, or a word jwctl does not know,
/// kept verbatim for the controller to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OmsStatus {
    Known(WriterStatus),
    Unknown(String),
}

/// Maps an OMS status word, case-insensitively: RUNNING → running; INIT, STARTING, RESUMING →
/// starting; STOPPING, PAUSING, SUSPENDING → pausing; STOPPED, PAUSED, SUSPEND, SUSPENDED →
/// stopped; FAILED, EXCEPTION, ERROR → failed; anything else is [`OmsStatus::Unknown`].
pub fn map_status(text: &str) -> OmsStatus {
    let word = text.trim().to_ascii_uppercase();
    let known = match word.as_str() {
        "RUNNING" => WriterStatus::Running,
        "INIT" | "STARTING" | "RESUMING" => WriterStatus::Starting,
        "STOPPING" | "PAUSING" | "SUSPENDING" => WriterStatus::Pausing,
        "STOPPED" | "PAUSED" | "SUSPEND" | "SUSPENDED" => WriterStatus::Stopped,
        "FAILED" | "EXCEPTION" | "ERROR" => WriterStatus::Failed,
        _ => return OmsStatus::Unknown(text.trim().to_string()),
    };
    OmsStatus::Known(known)
}

/// The sub-task part of `host-port:connector_v2:<sub-task>:<seq>`
/// (`np_4w3a8kz1-incr_trans-1-0`), or the whole name when it has another shape.
pub fn subtask_name(component: &str) -> &str {
    let parts: Vec<&str> = component.split(':').collect();
    match parts.as_slice() {
        [host, "connector_v2", subtask, seq]
            if !host.is_empty() && !subtask.is_empty() && !seq.is_empty() =>
        {
            subtask
        }
        _ => component,
    }
}

/// A writer mapped from OMS, with OMS's own status and a version for If-Match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedWriter {
    /// The writer; for an [`OmsStatus::Unknown`] status its `status` is `Unknown` and its
    /// `backend_status` OMS's word, so it is shown as OMS says and neither started nor paused.
    pub writer: Writer,
    /// The status as OMS reports it.
    pub status: OmsStatus,
}

/// The writers of `project`, from its `DescribeProjectComponents` data. Components without a
/// name are skipped: they cannot be addressed.
pub fn writers_of(
    project: &ProjectItem,
    components: &DescribeData,
    zone: &Zone,
) -> Vec<MappedWriter> {
    let incr = components
        .incr_sync_components
        .iter()
        .map(|c| (c, WriterKind::Incremental));
    let full = components
        .full_import_components
        .iter()
        .map(|c| (c, WriterKind::Full));
    incr.chain(full)
        .filter(|(c, _)| !c.name.trim().is_empty())
        .map(|(component, kind)| {
            let store = store_of(component, &components.store_list);
            map_writer(project, component, kind, store, zone)
        })
        .collect()
}

fn store_of<'a>(component: &ConnectorItem, stores: &'a [StoreItem]) -> Option<&'a StoreItem> {
    let same_region = stores
        .iter()
        .find(|s| !component.region.is_empty() && s.region == component.region);
    same_region.or_else(|| stores.first())
}

fn map_writer(
    project: &ProjectItem,
    component: &ConnectorItem,
    kind: WriterKind,
    store: Option<&StoreItem>,
    zone: &Zone,
) -> MappedWriter {
    let status = map_status(&component.status);
    let time = |t: &Option<WireTime>| t.as_ref().and_then(|t| wire_time(t, zone));
    let region = if component.region.is_empty() {
        store.map(|s| s.region.as_str()).unwrap_or_default()
    } else {
        component.region.as_str()
    };
    let store = Store {
        id: store.map(|s| s.name.as_str()).unwrap_or_default().into(),
        earliest: store
            .and_then(|s| time(&s.begin_checkpoint))
            .unwrap_or(DateTime::UNIX_EPOCH),
        latest: store
            .and_then(|s| time(&s.end_checkpoint))
            .unwrap_or(DateTime::UNIX_EPOCH),
    };
    let errors: Vec<String> = component.error_details.iter().map(error_text).collect();
    let mut writer = Writer {
        id: component.name.clone(),
        name: subtask_name(&component.name).to_string(),
        server_ip: component.ip.clone(),
        region: SharedStr::interned(region),
        project: Project {
            id: SharedStr::interned(&project.id),
            name: SharedStr::interned(if project.name.is_empty() {
                &project.id
            } else {
                &project.name
            }),
        },
        kind,
        status: match status {
            OmsStatus::Known(known) => known,
            OmsStatus::Unknown(_) => WriterStatus::Unknown,
        },
        checkpoint: time(&component.checkpoint_sample_timestamp)
            .or_else(|| time(&component.checkpoint)),
        latency_ms: component
            .delay
            .filter(|d| d.is_finite() && *d >= 0.0)
            .map(|d| (d * 1000.0).round() as u64),
        store,
        message: (!errors.is_empty()).then(|| errors.join("; ").into()),
        version: 0,
        updated_at: time(&component.gmt_modify)
            .or_else(|| time(&component.gmt_create))
            .unwrap_or(DateTime::UNIX_EPOCH),
        backend_status: match &status {
            OmsStatus::Known(_) => None,
            OmsStatus::Unknown(text) => Some(text.as_str().into()),
        },
    };
    writer.version = version_of(&writer, &component.status);
    MappedWriter { writer, status }
}

/// The writer's version for If-Match: FNV-1a 64 of every mapped field except those that move
/// without a change of state (`latency_ms`, the checkpoint of a RUNNING writer, the store's
/// `latest`, `updated_at`). It changes whenever OMS's view of the writer (status word,
/// checkpoint when not running, store, earliest data, message, placement) changes; it is a
/// hash, not a counter.
fn version_of(writer: &Writer, oms_status: &str) -> u64 {
    let status = oms_status.trim().to_ascii_uppercase();
    let checkpoint = match (status.as_str(), writer.checkpoint) {
        ("RUNNING", _) | (_, None) => String::new(),
        (_, Some(at)) => at.timestamp_millis().to_string(),
    };
    let fields = [
        writer.id.as_str(),
        writer.name.as_str(),
        writer.server_ip.as_str(),
        writer.region.as_str(),
        writer.project.id.as_str(),
        writer.project.name.as_str(),
        writer.kind.as_str(),
        status.as_str(),
        checkpoint.as_str(),
        writer.store.id.as_str(),
        &writer.store.earliest.timestamp_millis().to_string(),
        writer.message.as_deref().unwrap_or("\u{0}none"),
    ];
    let mut hash = Fnv1a::new();
    for field in fields {
        hash.write(field.as_bytes());
        hash.write(&[0xff]);
    }
    hash.0
}

/// FNV-1a, 64 bits: stable across runs and builds, unlike `DefaultHasher`.
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// An OMS instant: epoch seconds (or a string of them), RFC 3339, or a zone-less wall time
/// read in `zone`. `None` for 0, negative, unreadable or nonexistent times; a wall time that
/// happens twice (DST) is read as the earlier one.
pub fn wire_time(value: &WireTime, zone: &Zone) -> Option<DateTime<Utc>> {
    match value {
        WireTime::Int(n) => epoch(*n as f64),
        WireTime::Float(f) => epoch(*f),
        WireTime::Text(text) => {
            let text = text.trim();
            if let Ok(number) = text.parse::<f64>() {
                return epoch(number);
            }
            if let Ok(at) = DateTime::parse_from_rfc3339(text) {
                return Some(at.with_timezone(&Utc));
            }
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
                .iter()
                .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
                .and_then(|naive| in_zone(naive, zone))
        }
    }
}

fn epoch(value: f64) -> Option<DateTime<Utc>> {
    if !value.is_finite() || value <= 0.0 {
        return None;
    }
    let millis = if value > 1e11 { value } else { value * 1000.0 };
    DateTime::from_timestamp_millis(millis.round() as i64)
}

fn in_zone(naive: NaiveDateTime, zone: &Zone) -> Option<DateTime<Utc>> {
    fn earliest<T: TimeZone>(tz: &T, naive: &NaiveDateTime) -> Option<DateTime<Utc>> {
        tz.from_local_datetime(naive)
            .earliest()
            .map(|at| at.with_timezone(&Utc))
    }
    match zone {
        Zone::Local => earliest(&chrono::Local, &naive),
        Zone::Fixed(offset) => earliest(offset, &naive),
        Zone::Named(tz) => earliest(tz, &naive),
    }
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;
