//! The writers the console holds: the list as loaded, the indexes built from it off the UI
//! thread, and the controller's deltas applied to it.
//!
//! A delta that only changes writers in place (status, version, message, progress) is
//! applied on the UI thread in time proportional to the writers it names
//! ([`Fleet::in_place_changes`]); one that adds or removes writers, or renames one, changes
//! the indexes and is applied by building a new fleet off the UI thread ([`Fleet::rebuilt`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use crate::api::WriterDelta;
use crate::domain::{IdIndex, Writer, WriterStatus};
use crate::search::SearchIndex;

use super::table::SortRanks;

/// Numbers fleets as they are built, for [`Fleet::shape`].
static SHAPES: AtomicU64 = AtomicU64::new(1);

/// The last writer list received, kept up to date by deltas.
#[derive(Clone)]
pub struct Fleet {
    /// Fleet revision from the controller: the list as it was at this revision.
    pub revision: u64,
    /// Which writers sit at which positions: new for every fleet built, kept by deltas that
    /// change writers in place. Search hits are positions, valid for one shape.
    pub shape: u64,
    /// Writers as received (sorted by name).
    pub writers: Arc<Vec<Writer>>,
    /// The status of each writer, by position: a byte each, so filtering and counting the
    /// rows of a 100k fleet stays in the cache instead of touching every writer.
    pub statuses: Arc<Vec<WriterStatus>>,
    /// Position of each writer in `writers`, by id (built off the UI thread).
    pub by_id: Arc<IdIndex>,
    /// Search index over `writers` (built off the UI thread).
    pub index: Arc<SearchIndex>,
    /// Sort ranks of the text columns of `writers` (built off the UI thread).
    pub ranks: Arc<SortRanks>,
    /// Writers per region (built off the UI thread; the region picker shows them).
    pub region_counts: BTreeMap<String, usize>,
    /// When each writer was last received, by position: the latency of a writer that is not
    /// running grows with the clock from there. Empty until stamped.
    pub received: Arc<Vec<DateTime<Utc>>>,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("revision", &self.revision)
            .field("shape", &self.shape)
            .field("writers", &self.writers.len())
            .finish_non_exhaustive()
    }
}

impl Fleet {
    /// A fleet with no writers (before the first load).
    pub fn empty() -> Self {
        Fleet::new(0, Vec::new())
    }

    /// Builds the id map, search index, sort ranks and region counts for `writers` (CPU
    /// work: call it off the UI thread).
    pub fn new(revision: u64, writers: Vec<Writer>) -> Self {
        // The index is built beside the rest (a fleet arrives on 2 cores or more).
        let (index, ranks, by_id, region_counts) = std::thread::scope(|scope| {
            let index = scope.spawn(|| SearchIndex::build(&writers));
            let ranks = SortRanks::build(&writers);
            let mut per_region: HashMap<&str, usize> = HashMap::new();
            for writer in &writers {
                *per_region.entry(writer.region.as_str()).or_insert(0) += 1;
            }
            let by_id = IdIndex::build(&writers);
            let region_counts: BTreeMap<String, usize> = per_region
                .into_iter()
                .map(|(region, count)| (region.to_string(), count))
                .collect();
            let index = index
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (index, ranks, by_id, region_counts)
        });
        let statuses = writers.iter().map(|w| w.status).collect();
        Fleet {
            revision,
            shape: SHAPES.fetch_add(1, Ordering::Relaxed),
            writers: Arc::new(writers),
            statuses: Arc::new(statuses),
            by_id: Arc::new(by_id),
            index: Arc::new(index),
            ranks: Arc::new(ranks),
            region_counts,
            received: Arc::new(Vec::new()),
        }
    }

    /// The writer with `id`, if the fleet has it.
    pub fn get(&self, id: &str) -> Option<&Writer> {
        self.row_of(id).and_then(|at| self.writers.get(at))
    }

    /// The position of writer `id`, if the fleet has it.
    pub fn row_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(&self.writers, id)
    }

    /// Replaces the writers at the given positions (same id, name, IP, region and project, as
    /// [`Fleet::in_place_changes`] gives them), received at `now`.
    pub fn replace(&mut self, changes: Vec<(usize, Writer)>, now: DateTime<Utc>) {
        let writers = Arc::make_mut(&mut self.writers);
        let statuses = Arc::make_mut(&mut self.statuses);
        let received = Arc::make_mut(&mut self.received);
        for (row, writer) in changes {
            if let Some(status) = statuses.get_mut(row) {
                *status = writer.status;
            }
            if let Some(slot) = writers.get_mut(row) {
                *slot = writer;
            }
            if let Some(at) = received.get_mut(row) {
                *at = now;
            }
        }
    }

    /// Records that every writer was received at `now` (a full list arrived).
    pub fn stamp(&mut self, now: DateTime<Utc>) {
        self.received = Arc::new(vec![now; self.writers.len()]);
    }

    /// The latency of the writer at `row` at `now`. A running writer's is the controller's
    /// last figure; one that is not running has its checkpoint frozen, so its latency grows
    /// with the clock from when it was received.
    pub fn latency_ms(&self, row: usize, now: DateTime<Utc>) -> Option<u64> {
        let writer = self.writers.get(row)?;
        let latency = writer.latency_ms?;
        let ticking = writer.status != WriterStatus::Running && writer.checkpoint.is_some();
        match self.received.get(row) {
            Some(&at) if ticking => {
                let elapsed = u64::try_from((now - at).num_milliseconds()).unwrap_or(0);
                Some(latency.saturating_add(elapsed))
            }
            _ => Some(latency),
        }
    }

    /// The checkpoint of the writer at `row` at `now`. The controller says nothing of a
    /// running writer that keeps pace (its latency steady), so its checkpoint moves on with
    /// the clock from when it was received, up to now; a writer that is not running keeps
    /// its checkpoint.
    pub fn checkpoint(&self, row: usize, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let writer = self.writers.get(row)?;
        let checkpoint = writer.checkpoint?;
        match self.received.get(row) {
            Some(&at) if writer.status == WriterStatus::Running && now > at => {
                // Checked: the checkpoint comes from the network and may be absurd.
                let moved = checkpoint
                    .checked_add_signed(now - at)
                    .unwrap_or(checkpoint);
                Some(moved.min(now).max(checkpoint))
            }
            _ => Some(checkpoint),
        }
    }

    /// The changes `delta` makes, as (position, writer after the change), when they all
    /// change writers in place; the delta back when it adds, removes or renames writers (or
    /// moves one to another region or project), which only [`Fleet::rebuilt`] can apply.
    /// Progress of a writer the fleet does not have is ignored.
    pub fn in_place_changes(
        &self,
        delta: WriterDelta,
    ) -> Result<Vec<(usize, Writer)>, WriterDelta> {
        let in_place = |writer: &Writer| {
            let row = self.row_of(&writer.id)?;
            let old = self.writers.get(row)?;
            let same_place = old.name == writer.name
                && old.server_ip == writer.server_ip
                && old.region == writer.region
                && old.project == writer.project;
            same_place.then_some(row)
        };
        if delta.removed.iter().any(|id| self.row_of(id).is_some())
            || !delta.writers.iter().all(|w| in_place(w).is_some())
        {
            return Err(delta);
        }
        let mut changes = Vec::with_capacity(delta.writers.len() + delta.progress.len());
        for writer in delta.writers {
            if let Some(row) = in_place(&writer) {
                changes.push((row, writer));
            }
        }
        for progress in &delta.progress {
            if let Some((row, old)) = self
                .row_of(&progress.id)
                .and_then(|row| Some((row, self.writers.get(row)?)))
            {
                let mut writer = old.clone();
                writer.checkpoint = progress.checkpoint;
                writer.latency_ms = progress.latency_ms;
                changes.push((row, writer));
            }
        }
        Ok(changes)
    }

    /// This fleet with `delta` applied, built anew (CPU work: call it off the UI thread).
    /// Writers received before keep their reception time; the others get `now`.
    pub fn rebuilt(&self, delta: WriterDelta, now: DateTime<Utc>) -> Fleet {
        let removed: std::collections::HashSet<&str> =
            delta.removed.iter().map(String::as_str).collect();
        let mut received: HashMap<&str, DateTime<Utc>> = HashMap::new();
        let mut writers: HashMap<String, Writer> = HashMap::with_capacity(self.writers.len());
        for (row, writer) in self.writers.iter().enumerate() {
            if removed.contains(writer.id.as_str()) {
                continue;
            }
            if let Some(&at) = self.received.get(row) {
                received.insert(writer.id.as_str(), at);
            }
            writers.insert(writer.id.clone(), writer.clone());
        }
        let mut fresh = std::collections::HashSet::new();
        for writer in delta.writers {
            fresh.insert(writer.id.clone());
            writers.insert(writer.id.clone(), writer);
        }
        for progress in delta.progress {
            if let Some(writer) = writers.get_mut(&progress.id) {
                writer.checkpoint = progress.checkpoint;
                writer.latency_ms = progress.latency_ms;
                fresh.insert(progress.id);
            }
        }
        let mut writers: Vec<Writer> = writers.into_values().collect();
        writers.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
        let stamps = writers
            .iter()
            .map(|w| match received.get(w.id.as_str()) {
                Some(&at) if !fresh.contains(&w.id) => at,
                _ => now,
            })
            .collect();
        let mut fleet = Fleet::new(delta.revision, writers);
        fleet.received = Arc::new(stamps);
        fleet
    }
}
