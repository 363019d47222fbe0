//! The publishing rules of the change feed, pure: what was last published of each writer, and
//! what a scan of the backend's views publishes at which revision. Time comes in as an
//! argument, so tests drive it.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Duration, Utc};

use crate::api::{Progress, WriterDelta};
use crate::config::{DEFAULT_LATENCY_CRITICAL_SECS, DEFAULT_LATENCY_WARN_SECS};
use crate::controller::backend::WriterView;
use crate::controller::history::Series;
use crate::domain::{IdIndex, Identified, SharedStr, WriterStatus};

/// When progress is published and how long removals are kept.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rules {
    /// A running writer's progress goes out at most this often, and only when it did not
    /// keep pace with the clock (a caught-up writer's checkpoint moves with the clock and its
    /// latency stays: consoles advance it themselves)…
    pub coalesce: Duration,
    /// …unless its latency crosses one of these (milliseconds)…
    pub warn_ms: u64,
    pub critical_ms: u64,
    /// …or moves by more than a tenth and by at least this much (milliseconds).
    pub min_move_ms: u64,
    /// Removals are kept this long and at most this many; older `since` are answered 410.
    pub removals_ttl: Duration,
    pub removals_max: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            coalesce: Duration::seconds(10),
            warn_ms: DEFAULT_LATENCY_WARN_SECS * 1000,
            critical_ms: DEFAULT_LATENCY_CRITICAL_SECS * 1000,
            min_move_ms: 1000,
            removals_ttl: Duration::hours(1),
            removals_max: 10_000,
        }
    }
}

impl Rules {
    fn level(&self, latency_ms: Option<u64>) -> u8 {
        match latency_ms {
            None => 0,
            Some(ms) if ms >= self.critical_ms => 3,
            Some(ms) if ms >= self.warn_ms => 2,
            Some(_) => 1,
        }
    }

    /// Whether a running writer's progress moved enough to go out before its 10 s are up.
    fn urgent(&self, last: Option<u64>, now: Option<u64>) -> bool {
        if self.level(last) != self.level(now) {
            return true;
        }
        match (last, now) {
            (Some(last), Some(now)) => {
                let moved = last.abs_diff(now);
                moved >= self.min_move_ms && u128::from(moved) * 10 > u128::from(last)
            }
            _ => false,
        }
    }
}

impl Rules {
    /// Whether a running writer is where its last publication said it would be: its latency
    /// within `min_move_ms` of the published one and its checkpoint within `min_move_ms` of
    /// the published one moved on by the time since. Consoles advance such a writer's
    /// checkpoint with their own clock, so publishing it again tells them nothing.
    fn keeps_pace(
        &self,
        last: &Tracked,
        checkpoint: Option<DateTime<Utc>>,
        latency_ms: Option<u64>,
        now: DateTime<Utc>,
    ) -> bool {
        let latency_kept = match (last.latency_ms, latency_ms) {
            (Some(last), Some(now)) => last.abs_diff(now) < self.min_move_ms,
            (last, now) => last == now,
        };
        let checkpoint_kept = match (last.checkpoint, checkpoint) {
            (Some(last_at), Some(at)) => {
                // Checked: a backend's checkpoints come from the network and may be absurd.
                last_at
                    .checked_add_signed(now - last.progress_at)
                    .is_some_and(|expected| {
                        (at - expected).num_milliseconds().unsigned_abs() < self.min_move_ms
                    })
            }
            (last, now) => last == now,
        };
        latency_kept && checkpoint_kept
    }
}

/// What was last published of one writer.
#[derive(Debug)]
struct Tracked {
    id: SharedStr,
    region: SharedStr,
    stamp: u64,
    status: WriterStatus,
    checkpoint: Option<DateTime<Utc>>,
    latency_ms: Option<u64>,
    /// Revision of its last whole publication (or of the feed's start).
    whole: u64,
    /// Revision of its last progress publication.
    progress: u64,
    /// When its progress last went out (whole or as progress).
    progress_at: DateTime<Utc>,
    /// The scan that last saw it.
    seen: u64,
    /// What the scans saw of its latency and status.
    series: Series,
}

impl Tracked {
    /// `view` as published at `revision`, with its history `series` (which the caller tells
    /// what it saw).
    fn new(
        view: &dyn WriterView,
        revision: u64,
        at: DateTime<Utc>,
        seen: u64,
        series: Series,
    ) -> Tracked {
        Tracked {
            id: view.shared_id(),
            region: view.region().clone(),
            stamp: view.stamp(),
            status: view.status(),
            checkpoint: view.checkpoint(),
            latency_ms: view.latency_ms(),
            whole: revision,
            progress: revision,
            progress_at: at,
            seen,
            series,
        }
    }

    /// Takes `view` as seen at `now` into its history.
    fn see(&mut self, now: DateTime<Utc>, view: &dyn WriterView) {
        self.series.observe(now, view.status(), view.latency_ms());
    }

    /// `view` published whole at `revision`; its history goes on.
    fn publish_whole(&mut self, view: &dyn WriterView, revision: u64, at: DateTime<Utc>) {
        self.region = view.region().clone();
        self.stamp = view.stamp();
        self.status = view.status();
        self.checkpoint = view.checkpoint();
        self.latency_ms = view.latency_ms();
        self.whole = revision;
        self.progress = revision;
        self.progress_at = at;
    }
}

impl Identified for Tracked {
    fn id(&self) -> &str {
        &self.id
    }
}

/// A writer that is gone, and when.
#[derive(Debug)]
struct Removal {
    revision: u64,
    at: DateTime<Utc>,
    id: SharedStr,
    region: SharedStr,
}

/// Why a `since` cannot be answered with a delta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unanswerable {
    /// Older than what the feed still knows (before its start, or removals dropped).
    TooOld { since: u64, oldest: u64 },
    /// Newer than the feed's revision: from another controller.
    Future { since: u64, revision: u64 },
}

/// What changed after a `since`: whole writers to read from the backend, progress and
/// removals as published.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Changes {
    pub revision: u64,
    pub whole: Vec<SharedStr>,
    pub progress: Vec<Progress>,
    pub removed: Vec<String>,
}

/// What the feed last published of every writer, and its revision.
#[derive(Debug)]
pub(crate) struct Tracker {
    rules: Rules,
    revision: u64,
    /// The oldest `since` answerable.
    oldest: u64,
    /// In the order the backend visited them last.
    writers: Vec<Tracked>,
    index: IdIndex,
    removed: VecDeque<Removal>,
    scans: u64,
}

enum Verdict {
    Same,
    Whole,
    Progress,
}

/// What a scan publishes of a writer last published as `last`.
fn verdict(rules: &Rules, last: &Tracked, view: &dyn WriterView, now: DateTime<Utc>) -> Verdict {
    let status = view.status();
    // A region change changes the stamp: the region is not compared (a scan touches every
    // writer every second, and each string compared is memory to fetch).
    if view.stamp() != last.stamp || status != last.status {
        return Verdict::Whole;
    }
    let checkpoint = view.checkpoint();
    if status != WriterStatus::Running {
        // Its latency grows with the clock by itself: only a checkpoint move counts.
        return if checkpoint == last.checkpoint {
            Verdict::Same
        } else {
            Verdict::Whole
        };
    }
    let latency = view.latency_ms();
    if checkpoint == last.checkpoint && latency == last.latency_ms {
        Verdict::Same
    } else if rules.urgent(last.latency_ms, latency)
        || (now - last.progress_at >= rules.coalesce
            && !rules.keeps_pace(last, checkpoint, latency, now))
    {
        Verdict::Progress
    } else {
        Verdict::Same
    }
}

impl Tracker {
    /// A tracker at `revision` that knows the writers `visit` shows as they are now, published
    /// at `revision` (nothing is published for them), their histories going on from `saved`.
    /// Their first progress publications are spread over the coalescing period, so they do
    /// not all go out in the same scan.
    pub fn new(
        rules: Rules,
        revision: u64,
        now: DateTime<Utc>,
        mut saved: HashMap<String, Series>,
        visit: impl FnOnce(&mut dyn FnMut(&dyn WriterView)),
    ) -> Tracker {
        let mut writers = Vec::new();
        let spread = rules.coalesce.num_milliseconds().max(1);
        visit(&mut |view| {
            let offset = (writers.len() as i64 % 10) * spread / 10;
            let at = now - Duration::milliseconds(offset);
            let series = saved.remove(view.id()).unwrap_or_default();
            let mut tracked = Tracked::new(view, revision, at, 0, series);
            tracked.see(now, view);
            writers.push(tracked);
        });
        // Grown by doubling: up to half of it would otherwise stay reserved for good.
        writers.shrink_to_fit();
        let mut tracker = Tracker {
            rules,
            revision,
            oldest: revision,
            writers,
            index: IdIndex::default(),
            removed: VecDeque::new(),
            scans: 0,
        };
        tracker.dedup_and_index();
        tracker
    }

    /// Goes on from `revision` (a new span of them): nothing before it is answerable.
    pub fn move_to(&mut self, revision: u64) {
        self.revision = revision;
        self.oldest = revision;
    }

    /// The revision of the last publication.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// How many writers it tracks.
    pub fn len(&self) -> usize {
        self.writers.len()
    }

    /// The history of writer `id`, if it tracks it.
    pub fn series(&self, id: &str) -> Option<&Series> {
        let at = self.index.get(&self.writers, id)?;
        self.writers.get(at).map(|t| &t.series)
    }

    /// Every writer's id and history.
    pub fn all_series(&self) -> impl Iterator<Item = (&str, &Series)> {
        self.writers.iter().map(|t| (&*t.id, &t.series))
    }

    /// Indexes the writers by id, keeping only the first of any id seen twice.
    fn dedup_and_index(&mut self) {
        self.index = IdIndex::build(&self.writers);
        if !self.index.has_duplicates(&self.writers) {
            return;
        }
        let mut seen = HashSet::with_capacity(self.writers.len());
        self.writers.retain(|t| seen.insert(t.id.clone()));
        self.index = IdIndex::build(&self.writers);
    }

    /// Compares every writer `visit` shows with what was last published of it; whatever is to
    /// go out is published at the next revision, in the delta answered. `None` when nothing
    /// is (the revision stays).
    pub fn scan(
        &mut self,
        now: DateTime<Utc>,
        visit: impl FnOnce(&mut dyn FnMut(&dyn WriterView)),
    ) -> Option<WriterDelta> {
        let next = self.revision.saturating_add(1);
        self.scans = self.scans.wrapping_add(1);
        let scan = self.scans;
        let mut delta = WriterDelta {
            revision: next,
            ..WriterDelta::default()
        };
        let known = self.writers.len();
        let mut order = Vec::with_capacity(known);
        let mut added: Vec<Tracked> = Vec::new();
        let mut added_ids: HashSet<SharedStr> = HashSet::new();
        let mut reorder = false;
        {
            let mut position = 0;
            let writers = &mut self.writers;
            let index = &self.index;
            let rules = &self.rules;
            visit(&mut |view| {
                let at = position;
                position += 1;
                let found = match writers.get(at) {
                    Some(t) if *t.id == *view.id() => Some(at),
                    _ => index.get(writers, view.id()),
                };
                let Some(j) = found else {
                    if added_ids.contains(view.id()) {
                        return;
                    }
                    reorder = true;
                    delta.writers.push(view.writer());
                    let mut tracked = Tracked::new(view, next, now, scan, Series::default());
                    tracked.see(now, view);
                    added_ids.insert(tracked.id.clone());
                    order.push(known + added.len());
                    added.push(tracked);
                    return;
                };
                let Some(last) = writers.get_mut(j) else {
                    return;
                };
                if last.seen == scan {
                    return; // the same id twice: the first counts
                }
                last.seen = scan;
                last.see(now, view);
                reorder |= j != at;
                order.push(j);
                match verdict(rules, last, view, now) {
                    Verdict::Same => {}
                    Verdict::Whole => {
                        delta.writers.push(view.writer());
                        last.publish_whole(view, next, now);
                    }
                    Verdict::Progress => {
                        last.checkpoint = view.checkpoint();
                        last.latency_ms = view.latency_ms();
                        last.progress = next;
                        last.progress_at = now;
                        delta.progress.push(Progress {
                            id: view.id().to_string(),
                            checkpoint: last.checkpoint,
                            latency_ms: last.latency_ms,
                        });
                    }
                }
            });
        }
        for tracked in &self.writers {
            if tracked.seen != scan {
                reorder = true;
                delta.removed.push(tracked.id.to_string());
                self.removed.push_back(Removal {
                    revision: next,
                    at: now,
                    id: tracked.id.clone(),
                    region: tracked.region.clone(),
                });
            }
        }
        if !added_ids.is_empty() {
            self.removed.retain(|r| !added_ids.contains(&r.id));
        }
        if reorder {
            let mut all: Vec<Option<Tracked>> = std::mem::take(&mut self.writers)
                .into_iter()
                .chain(added)
                .map(Some)
                .collect();
            self.writers = order
                .iter()
                .filter_map(|&k| all.get_mut(k).and_then(Option::take))
                .collect();
            self.dedup_and_index();
        }
        self.expire_removals(now);
        if delta.is_empty() {
            return None;
        }
        self.revision = next;
        Some(delta)
    }

    /// Drops removals beyond the limits; `since` before the newest dropped is then too old.
    fn expire_removals(&mut self, now: DateTime<Utc>) {
        while let Some(front) = self.removed.front() {
            if self.removed.len() <= self.rules.removals_max
                && now - front.at < self.rules.removals_ttl
            {
                break;
            }
            self.oldest = self.oldest.max(front.revision);
            self.removed.pop_front();
        }
    }

    /// What changed after `since` (of `region` only, when given), up to the revision now.
    pub fn since(&self, since: u64, region: Option<&str>) -> Result<Changes, Unanswerable> {
        if since > self.revision {
            return Err(Unanswerable::Future {
                since,
                revision: self.revision,
            });
        }
        if since < self.oldest {
            return Err(Unanswerable::TooOld {
                since,
                oldest: self.oldest,
            });
        }
        let mut changes = Changes {
            revision: self.revision,
            ..Changes::default()
        };
        if since == self.revision {
            return Ok(changes);
        }
        let in_region = |r: &str| region.is_none_or(|wanted| wanted == r);
        for t in self.writers.iter().filter(|t| in_region(&t.region)) {
            if t.whole > since {
                changes.whole.push(t.id.clone());
            } else if t.progress > since && t.status == WriterStatus::Running {
                changes.progress.push(Progress {
                    id: t.id.to_string(),
                    checkpoint: t.checkpoint,
                    latency_ms: t.latency_ms,
                });
            }
        }
        changes.removed = self
            .removed
            .iter()
            .filter(|r| r.revision > since && in_region(&r.region))
            .map(|r| r.id.to_string())
            .collect();
        Ok(changes)
    }
}
