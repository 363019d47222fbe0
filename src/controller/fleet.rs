//! The writers the controller owns, in memory: their fixed identity, their lifecycle state and
//! the simulated dynamics of stores and checkpoints.
//!
//! Nothing ticks: a store's range and a running writer's checkpoint are computed from the
//! clock whenever they are read. A running writer's checkpoint follows a straight line from an
//! *anchor* (checkpoint and instant of its last status change) at its own rate, and never
//! passes the store's newest data.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::domain::{
    IdIndex, Identified, Project, SharedClock, SharedStr, Store, Writer, WriterKind, WriterStatus,
    rfc3339,
};

/// The current instant of `clock`, whole milliseconds (what the database stores), so a value
/// read back after a restart equals the one served before it.
pub(crate) fn now_ms(clock: &SharedClock) -> DateTime<Utc> {
    let now = clock.now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// A change-log store: its newest data trails the clock by `lag_ms`, its oldest by
/// `retention_ms`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StoreModel {
    pub id: SharedStr,
    pub lag_ms: i64,
    pub retention_ms: i64,
}

impl StoreModel {
    /// The store's retained range at `now`.
    pub fn at(&self, now: DateTime<Utc>) -> Store {
        let range = self.at_borrowed(now);
        Store {
            id: self.id.clone(),
            earliest: range.earliest,
            latest: range.latest,
        }
    }

    fn at_borrowed(&self, now: DateTime<Utc>) -> StoreJson<'_> {
        // Values come from the database: out-of-range ones degrade instead of panicking.
        let back = |ms: i64| {
            Duration::try_milliseconds(ms)
                .and_then(|d| now.checked_sub_signed(d))
                .unwrap_or(DateTime::<Utc>::MIN_UTC)
        };
        StoreJson {
            id: &self.id,
            earliest: back(self.retention_ms),
            latest: back(self.lag_ms).min(now),
        }
    }
}

/// What never changes about a writer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WriterIdentity {
    /// Shared with the fleet's id index and the change feed's tracker.
    pub id: SharedStr,
    pub name: Box<str>,
    pub server_ip: Box<str>,
    pub region: SharedStr,
    pub project: Project,
    pub kind: WriterKind,
}

/// A writer's lifecycle state and progress model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WriterState {
    pub status: WriterStatus,
    /// Checkpoint at `anchor_time`.
    pub anchor_checkpoint: Option<DateTime<Utc>>,
    /// Instant of the last re-anchoring (status change or restart).
    pub anchor_time: DateTime<Utc>,
    /// Throughput: seconds of change data written per second while running.
    pub rate: f64,
    pub message: Option<SharedStr>,
    pub version: u64,
    pub updated_at: DateTime<Utc>,
}

impl WriterState {
    /// The checkpoint at `now`, given the store's newest data `latest`.
    pub fn checkpoint(&self, now: DateTime<Utc>, latest: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let anchor = self.anchor_checkpoint?;
        if self.status != WriterStatus::Running {
            return Some(anchor);
        }
        let elapsed_ms = (now - self.anchor_time).num_milliseconds().max(0) as f64;
        // `as` saturates; an advance beyond the representable range just means "caught up".
        let advanced = Duration::try_milliseconds((elapsed_ms * self.rate) as i64)
            .and_then(|d| anchor.checked_add_signed(d))
            .unwrap_or(latest);
        Some(advanced.min(latest).max(anchor))
    }

    /// This state moved to `status` at `now`: re-anchored at the current checkpoint (or at
    /// `checkpoint` when given), version bumped.
    pub fn changed(
        &self,
        status: WriterStatus,
        checkpoint: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        latest: DateTime<Utc>,
    ) -> WriterState {
        WriterState {
            status,
            anchor_checkpoint: checkpoint.or_else(|| self.checkpoint(now, latest)),
            anchor_time: now,
            rate: self.rate,
            message: self.message.clone(),
            version: self.version.saturating_add(1),
            updated_at: now,
        }
    }
}

/// One writer: shared identity plus state.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub identity: Arc<WriterIdentity>,
    pub store: Arc<StoreModel>,
    pub state: WriterState,
}

impl Identified for Slot {
    fn id(&self) -> &str {
        &self.identity.id
    }
}

impl Slot {
    /// The writer as the API shows it at `now`.
    pub fn view(&self, now: DateTime<Utc>) -> Writer {
        let json = self.json(now);
        Writer {
            id: json.id.to_string(),
            name: json.name.to_string(),
            server_ip: json.server_ip.to_string(),
            region: self.identity.region.clone(),
            project: json.project.clone(),
            kind: json.kind,
            status: json.status,
            checkpoint: json.checkpoint,
            latency_ms: json.latency_ms,
            store: Store {
                id: self.store.id.clone(),
                earliest: json.store.earliest,
                latest: json.store.latest,
            },
            message: json.message.map(SharedStr::from),
            version: json.version,
            updated_at: json.updated_at,
            backend_status: None,
        }
    }

    /// The same as [`Slot::view`], borrowing instead of copying: for serialising many.
    pub fn json(&self, now: DateTime<Utc>) -> WriterJson<'_> {
        let store = self.store.at_borrowed(now);
        let checkpoint = self.state.checkpoint(now, store.latest);
        let latency_ms = checkpoint.map(|c| (store.latest - c).num_milliseconds().max(0) as u64);
        let identity = &self.identity;
        WriterJson {
            id: &identity.id,
            name: &identity.name,
            server_ip: &identity.server_ip,
            region: &identity.region,
            project: &identity.project,
            kind: identity.kind,
            status: self.state.status,
            checkpoint,
            latency_ms,
            store,
            message: self.state.message.as_deref(),
            version: self.state.version,
            updated_at: self.state.updated_at,
        }
    }
}

/// A writer serialised exactly as [`Writer`] is, borrowing its strings from the fleet (a test
/// checks the two agree).
#[derive(Debug, Serialize)]
pub(crate) struct WriterJson<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub server_ip: &'a str,
    pub region: &'a str,
    pub project: &'a Project,
    pub kind: WriterKind,
    pub status: WriterStatus,
    #[serde(serialize_with = "rfc3339::option::serialize")]
    pub checkpoint: Option<DateTime<Utc>>,
    pub latency_ms: Option<u64>,
    pub store: StoreJson<'a>,
    pub message: Option<&'a str>,
    pub version: u64,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub updated_at: DateTime<Utc>,
}

/// A store's range, serialised as [`Store`] is.
#[derive(Debug, Serialize)]
pub(crate) struct StoreJson<'a> {
    pub id: &'a str,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub earliest: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339::serialize")]
    pub latest: DateTime<Utc>,
}

/// Every writer, sorted by name, with an index by id.
#[derive(Debug, Default)]
pub(crate) struct Fleet {
    slots: Vec<Slot>,
    by_id: IdIndex,
    regions: Vec<String>,
}

impl Fleet {
    /// Builds the fleet from loaded rows.
    pub fn new(slots: Vec<Slot>) -> Fleet {
        let slots = by_name(slots);
        let by_id = IdIndex::build(&slots);
        let mut shared: Vec<&str> = slots.iter().map(|s| s.identity.region.as_str()).collect();
        shared.sort_unstable();
        shared.dedup();
        let regions = shared.into_iter().map(str::to_string).collect();
        Fleet {
            slots,
            by_id,
            regions,
        }
    }

    /// Distinct regions, sorted.
    pub fn regions(&self) -> &[String] {
        &self.regions
    }

    /// How many writers there are.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// The writer with `id`.
    pub fn get(&self, id: &str) -> Option<&Slot> {
        self.by_id
            .get(&self.slots, id)
            .and_then(|index| self.slots.get(index))
    }

    /// Replaces the state of writer `id`.
    pub fn set_state(&mut self, id: &str, state: WriterState) {
        let index = self.by_id.get(&self.slots, id);
        if let Some(slot) = index.and_then(|i| self.slots.get_mut(i)) {
            slot.state = state;
        }
    }

    /// A cheap copy (shared identities) of the writers of `region`, or of all, for rendering
    /// outside the lock.
    pub fn snapshot(&self, region: Option<&str>) -> Vec<Slot> {
        self.slots
            .iter()
            .filter(|slot| region.is_none_or(|r| slot.identity.region == r))
            .cloned()
            .collect()
    }

    /// Up to `len` writers from position `from` on, by name (none past the end).
    pub fn slice(&self, from: usize, len: usize) -> &[Slot] {
        let end = from.saturating_add(len).min(self.slots.len());
        self.slots.get(from..end).unwrap_or_default()
    }
}

/// `slots` in name order (a stable sort). The names' first eight bytes are compared as one
/// number, from a compact array, before whole names are: sorting a million slots by their
/// shared identities' names directly chases a pointer per comparison (1.2 s).
fn by_name(slots: Vec<Slot>) -> Vec<Slot> {
    let prefix = |slot: &Slot| {
        let mut bytes = [0u8; 8];
        for (to, from) in bytes.iter_mut().zip(slot.identity.name.bytes()) {
            *to = from;
        }
        u64::from_be_bytes(bytes)
    };
    let name = |at: usize| slots.get(at).map(|slot| &*slot.identity.name);
    let mut order: Vec<(u64, usize)> = slots.iter().map(prefix).zip(0..).collect();
    order.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| name(a.1).cmp(&name(b.1)))
            .then(a.1.cmp(&b.1))
    });
    let mut slots: Vec<Option<Slot>> = slots.into_iter().map(Some).collect();
    let mut sorted = Vec::with_capacity(order.len());
    sorted.extend(
        order
            .into_iter()
            .filter_map(|(_, at)| slots.get_mut(at)?.take()),
    );
    sorted
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn state(status: WriterStatus, rate: f64, behind: Duration) -> WriterState {
        WriterState {
            status,
            anchor_checkpoint: Some(t0() - behind),
            anchor_time: t0(),
            rate,
            message: None,
            version: 1,
            updated_at: t0(),
        }
    }

    #[test]
    fn a_fast_writer_catches_up_and_stays_at_latest() {
        let s = state(WriterStatus::Running, 20.0, Duration::hours(2));
        let at = t0() + Duration::minutes(3);
        assert_eq!(
            s.checkpoint(at, at),
            Some(t0() - Duration::hours(2) + Duration::minutes(60))
        );
        let later = t0() + Duration::minutes(10);
        assert_eq!(s.checkpoint(later, later), Some(later));
    }

    #[test]
    fn a_slow_writer_falls_behind_and_a_stopped_one_is_frozen() {
        let slow = state(WriterStatus::Running, 0.5, Duration::zero());
        let at = t0() + Duration::hours(1);
        assert_eq!(slow.checkpoint(at, at), Some(t0() + Duration::minutes(30)));
        let stopped = state(WriterStatus::Stopped, 20.0, Duration::minutes(5));
        assert_eq!(
            stopped.checkpoint(at, at),
            Some(t0() - Duration::minutes(5))
        );
    }

    #[test]
    fn borrowed_json_is_exactly_the_writer_json() {
        let later = t0() + Duration::minutes(90);
        for slot in crate::controller::demo::demo_seed(200, 3, t0()).slots {
            let borrowed = serde_json::to_value(slot.json(later)).ok();
            let owned = serde_json::to_value(slot.view(later)).ok();
            assert!(borrowed.is_some());
            assert_eq!(borrowed, owned);
        }
    }

    #[test]
    fn slices_cover_the_fleet_once_in_order() {
        let fleet = Fleet::new(crate::controller::demo::demo_seed(25, 1, t0()).slots);
        let by_name: Vec<&str> = fleet.slots.iter().map(|s| s.identity.id.as_str()).collect();
        let mut sliced = Vec::new();
        let mut from = 0;
        while !fleet.slice(from, 10).is_empty() {
            let slice = fleet.slice(from, 10);
            sliced.extend(slice.iter().map(|s| s.identity.id.as_str()));
            from += slice.len();
        }
        assert_eq!(sliced, by_name);
        assert_eq!(sliced.len(), 25);
        assert!(fleet.slice(usize::MAX, 10).is_empty());
    }

    #[test]
    fn absurd_stored_values_do_not_panic() {
        let mut s = state(WriterStatus::Running, f64::MAX, Duration::zero());
        let at = t0() + Duration::hours(1);
        assert_eq!(s.checkpoint(at, at), Some(at));
        s.rate = f64::NAN;
        assert_eq!(s.checkpoint(at, at), Some(t0()));
        let store = StoreModel {
            id: "s".into(),
            lag_ms: i64::MAX,
            retention_ms: i64::MIN,
        };
        let range = store.at(t0());
        assert_eq!(range.latest, DateTime::<Utc>::MIN_UTC);
    }

    #[test]
    fn a_change_re_anchors_and_bumps_the_version() {
        let s = state(WriterStatus::Running, 0.5, Duration::zero());
        let at = t0() + Duration::hours(1);
        let paused = s.changed(WriterStatus::Pausing, None, at, at);
        assert_eq!(paused.anchor_checkpoint, Some(t0() + Duration::minutes(30)));
        assert_eq!(paused.anchor_time, at);
        assert_eq!(paused.version, 2);
        assert_eq!(paused.updated_at, at);
    }

    #[test]
    fn slots_come_in_name_order_and_equal_names_keep_theirs() {
        let names = [
            "np_b",
            "np_abcdefgh-2",
            "np_abcdefgh-1",
            "np_a",
            "",
            "np_abcdefgh",
            "np_a",
            "é",
            "np_abcdefg\u{0}",
            "np_abcdefg",
        ];
        let slots: Vec<Slot> = super::super::demo::demo_seed(names.len(), 1, t0())
            .slots
            .into_iter()
            .zip(names)
            .map(|(slot, name)| Slot {
                identity: Arc::new(WriterIdentity {
                    name: name.into(),
                    ..(*slot.identity).clone()
                }),
                ..slot
            })
            .collect();
        let mut expected: Vec<(Box<str>, SharedStr)> = slots
            .iter()
            .map(|s| (s.identity.name.clone(), s.identity.id.clone()))
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0));
        let sorted: Vec<(Box<str>, SharedStr)> = by_name(slots)
            .iter()
            .map(|s| (s.identity.name.clone(), s.identity.id.clone()))
            .collect();
        assert_eq!(sorted, expected);
    }
}
