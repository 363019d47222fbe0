//! The publishing rules, with a clock the tests move.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::tracker::{Rules, Tracker, Unanswerable};
use crate::api::WriterDelta;
use crate::controller::backend::WriterView;
use crate::domain::{Project, SharedStr, Store, Writer, WriterKind, WriterStatus};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A writer as a backend would show it.
#[derive(Debug, Clone)]
struct View {
    id: String,
    region: SharedStr,
    version: u64,
    status: WriterStatus,
    checkpoint: Option<DateTime<Utc>>,
    latency_ms: Option<u64>,
}

impl WriterView for View {
    fn id(&self) -> &str {
        &self.id
    }
    fn region(&self) -> &SharedStr {
        &self.region
    }
    fn stamp(&self) -> u64 {
        self.version
    }
    fn status(&self) -> WriterStatus {
        self.status
    }
    fn checkpoint(&self) -> Option<DateTime<Utc>> {
        self.checkpoint
    }
    fn latency_ms(&self) -> Option<u64> {
        self.latency_ms
    }
    fn writer(&self) -> Writer {
        Writer {
            id: self.id.clone(),
            name: self.id.clone(),
            server_ip: "10.0.0.1".into(),
            region: self.region.clone(),
            project: Project {
                id: "np_a".into(),
                name: "orders".into(),
            },
            kind: WriterKind::Incremental,
            status: self.status,
            checkpoint: self.checkpoint,
            latency_ms: self.latency_ms,
            store: Store {
                id: "store".into(),
                earliest: t0() - Duration::hours(24),
                latest: t0(),
            },
            message: None,
            version: self.version,
            updated_at: t0(),
            backend_status: None,
        }
    }
}

fn view(id: &str, status: WriterStatus, latency_s: f64) -> View {
    View {
        id: id.into(),
        region: "cn-hangzhou".into(),
        version: 1,
        status,
        checkpoint: Some(t0() - Duration::seconds(30)),
        latency_ms: Some((latency_s * 1000.0) as u64),
    }
}

/// A fleet the tests change, and the clock.
struct Fleet {
    views: Vec<View>,
    now: DateTime<Utc>,
    tracker: Tracker,
}

impl Fleet {
    fn new(views: Vec<View>) -> Fleet {
        Fleet::with_rules(views, Rules::default())
    }

    fn with_rules(views: Vec<View>, rules: Rules) -> Fleet {
        let tracker = Tracker::new(rules, 100, t0(), HashMap::new(), |visit| {
            views.iter().for_each(|v| visit(v));
        });
        Fleet {
            views,
            now: t0(),
            tracker,
        }
    }

    fn get(&mut self, id: &str) -> &mut View {
        let at = self.views.iter().position(|v| v.id == id);
        at.and_then(|at| self.views.get_mut(at))
            .unwrap_or_else(|| panic!("no view {id}"))
    }

    /// Moves the clock by `secs` and scans.
    fn scan_after(&mut self, secs: i64) -> Option<WriterDelta> {
        self.now += Duration::seconds(secs);
        let views = &self.views;
        self.tracker
            .scan(self.now, |visit| views.iter().for_each(|v| visit(v)))
    }
}

fn progress_ids(delta: &Option<WriterDelta>) -> Vec<String> {
    delta
        .iter()
        .flat_map(|d| d.progress.iter().map(|p| p.id.clone()))
        .collect()
}

fn whole_ids(delta: &Option<WriterDelta>) -> Vec<String> {
    delta
        .iter()
        .flat_map(|d| d.writers.iter().map(|w| w.id.clone()))
        .collect()
}

#[test]
fn nothing_changed_publishes_nothing_and_keeps_the_revision() {
    let mut fleet = Fleet::new(vec![
        view("a", WriterStatus::Running, 5.0),
        view("b", WriterStatus::Stopped, 5.0),
    ]);
    for _ in 0..30 {
        assert_eq!(fleet.scan_after(1), None);
    }
    assert_eq!(fleet.tracker.revision(), 100);
    assert_eq!(fleet.tracker.since(100, None).map(|c| c.whole.len()), Ok(0));
}

#[test]
fn a_running_writers_progress_goes_out_at_most_every_ten_seconds_and_only_off_pace() {
    let mut fleet = Fleet::new(vec![view("a", WriterStatus::Running, 5.0)]);
    let mut published_at = Vec::new();
    for second in 1..=35 {
        // The checkpoint jumps 30 s ahead, then follows the clock until second 25 (consoles
        // advance it themselves: nothing to say), then stalls; the latency stays at 5 s.
        fleet.get("a").checkpoint = Some(t0() + Duration::seconds(second.min(25)));
        let delta = fleet.scan_after(1);
        if !progress_ids(&delta).is_empty() {
            assert!(whole_ids(&delta).is_empty(), "progress only: {delta:?}");
            published_at.push(second);
        }
    }
    // The stall goes out once the writer is a second off pace (the 10 s being long past).
    assert_eq!(published_at, vec![10, 26]);
    let since = fleet.tracker.since(100, None);
    let progress = since.map(|c| c.progress).unwrap_or_default();
    assert_eq!(progress.len(), 1);
    assert_eq!(
        progress.first().and_then(|p| p.checkpoint),
        Some(t0() + Duration::seconds(25)),
        "the delta since carries the progress as published"
    );
}

#[test]
fn crossing_a_latency_threshold_goes_out_at_once() {
    let mut fleet = Fleet::new(vec![
        view("warn", WriterStatus::Running, 59.5),
        view("critical", WriterStatus::Running, 599.5),
        view("calm", WriterStatus::Running, 30.0),
    ]);
    fleet.get("warn").latency_ms = Some(60_500);
    fleet.get("critical").latency_ms = Some(600_500);
    fleet.get("calm").latency_ms = Some(31_000);
    let delta = fleet.scan_after(1);
    assert_eq!(progress_ids(&delta), vec!["warn", "critical"]);
    // And back down under the threshold.
    fleet.get("warn").latency_ms = Some(59_000);
    let delta = fleet.scan_after(1);
    assert_eq!(progress_ids(&delta), vec!["warn"]);
}

#[test]
fn a_move_of_more_than_a_tenth_and_a_second_goes_out_at_once() {
    let mut fleet = Fleet::new(vec![
        view("big", WriterStatus::Running, 20.0),
        view("small", WriterStatus::Running, 20.0),
        view("jitter", WriterStatus::Running, 2.0),
    ]);
    fleet.get("big").latency_ms = Some(23_000); // +15 %, 3 s
    fleet.get("small").latency_ms = Some(21_500); // +7.5 %
    fleet.get("jitter").latency_ms = Some(2_800); // +40 %, but under a second
    assert_eq!(progress_ids(&fleet.scan_after(1)), vec!["big"]);
    fleet.get("big").latency_ms = Some(20_000); // −13 %, 3 s
    assert_eq!(progress_ids(&fleet.scan_after(1)), vec!["big"]);
}

#[test]
fn a_non_running_writer_is_published_for_changes_not_for_its_latency_growing() {
    let mut fleet = Fleet::new(vec![view("s", WriterStatus::Stopped, 5.0)]);
    for second in 1..=40 {
        // Far past every threshold and every 10 %: its latency grows with the clock.
        fleet.get("s").latency_ms = Some(5_000 + second as u64 * 60_000);
        assert_eq!(fleet.scan_after(1), None, "second {second}");
    }
    fleet.get("s").checkpoint = Some(t0() - Duration::seconds(5));
    let delta = fleet.scan_after(1);
    assert_eq!(
        whole_ids(&delta),
        vec!["s"],
        "a checkpoint change is a change"
    );
    assert_eq!(delta.map(|d| d.revision), Some(101));
}

#[test]
fn other_changes_go_out_whole_at_once_and_win_over_progress() {
    let mut fleet = Fleet::new(vec![
        view("a", WriterStatus::Running, 5.0),
        view("b", WriterStatus::Running, 5.0),
    ]);
    fleet.get("a").latency_ms = Some(9_000); // urgent progress
    let first = fleet.scan_after(1);
    assert_eq!(progress_ids(&first), vec!["a"]);
    {
        let a = fleet.get("a");
        a.status = WriterStatus::Pausing;
        a.version = 2;
    }
    let second = fleet.scan_after(1);
    assert_eq!(whole_ids(&second), vec!["a"]);
    assert!(progress_ids(&second).is_empty());
    assert_eq!(second.as_ref().map(|d| d.revision), Some(102));
    let since = fleet.tracker.since(100, None);
    assert_eq!(
        since.as_ref().map(|c| (c.whole.len(), c.progress.len())),
        Ok((1, 0)),
        "a writer is in one list only"
    );
    assert_eq!(
        since
            .ok()
            .and_then(|c| c.whole.first().map(|id| id.to_string())),
        Some("a".into())
    );
    assert_eq!(fleet.tracker.since(102, None).map(|c| c.whole.len()), Ok(0));
}

#[test]
fn writers_added_and_removed_and_reordered() {
    let mut fleet = Fleet::new(vec![
        view("a", WriterStatus::Stopped, 1.0),
        view("c", WriterStatus::Stopped, 1.0),
        view("d", WriterStatus::Stopped, 1.0),
    ]);
    fleet.views.insert(1, view("b", WriterStatus::Stopped, 1.0));
    fleet.views.retain(|v| v.id != "d");
    let delta = fleet.scan_after(1);
    assert_eq!(whole_ids(&delta), vec!["b"]);
    assert_eq!(
        delta.as_ref().map(|d| d.removed.clone()),
        Some(vec!["d".into()])
    );
    // The new order is tracked: a later change of c is found and only it goes out.
    fleet.get("c").version = 2;
    assert_eq!(whole_ids(&fleet.scan_after(1)), vec!["c"]);
    let since = fleet.tracker.since(100, None).unwrap_or_default();
    assert_eq!(since.removed, vec!["d"]);
    assert_eq!(since.whole.len(), 2);
    let other_region = fleet.tracker.since(100, Some("cn-shanghai"));
    assert_eq!(other_region.map(|c| c.removed.len()), Ok(0));
    // Back again: whole, and no longer removed.
    fleet.views.push(view("d", WriterStatus::Stopped, 1.0));
    assert_eq!(whole_ids(&fleet.scan_after(1)), vec!["d"]);
    let since = fleet.tracker.since(100, None).unwrap_or_default();
    assert!(since.removed.is_empty(), "{since:?}");
}

#[test]
fn removals_are_kept_for_a_bounded_time_and_number() {
    let rules = Rules {
        removals_max: 2,
        ..Rules::default()
    };
    let views = ["a", "b", "c", "d"]
        .iter()
        .map(|id| view(id, WriterStatus::Stopped, 1.0))
        .collect();
    let mut fleet = Fleet::with_rules(views, rules);
    for id in ["a", "b", "c"] {
        fleet.views.retain(|v| v.id != id);
        assert!(fleet.scan_after(1).is_some());
    }
    // Three removals at 101, 102, 103; two kept: since 101 still works, 100 does not.
    assert_eq!(
        fleet.tracker.since(100, None).err(),
        Some(Unanswerable::TooOld {
            since: 100,
            oldest: 101
        })
    );
    assert_eq!(
        fleet.tracker.since(101, None).map(|c| c.removed),
        Ok(vec!["b".to_string(), "c".to_string()])
    );
    // An hour later even those are dropped.
    fleet.scan_after(3600);
    assert!(matches!(
        fleet.tracker.since(102, None),
        Err(Unanswerable::TooOld { oldest: 103, .. })
    ));
    assert!(fleet.tracker.since(103, None).is_ok());
}

#[test]
fn since_before_the_start_or_after_now_cannot_be_answered() {
    let mut fleet = Fleet::new(vec![view("a", WriterStatus::Stopped, 1.0)]);
    assert_eq!(
        fleet.tracker.since(99, None).err(),
        Some(Unanswerable::TooOld {
            since: 99,
            oldest: 100
        })
    );
    assert_eq!(
        fleet.tracker.since(101, None).err(),
        Some(Unanswerable::Future {
            since: 101,
            revision: 100
        })
    );
    fleet.get("a").version = 2;
    assert!(fleet.scan_after(1).is_some());
    assert!(fleet.tracker.since(101, None).is_ok());
}

#[test]
fn an_absurd_checkpoint_from_a_backend_does_not_overflow_the_pace_check() {
    let mut fleet = Fleet::new(vec![view("a", WriterStatus::Running, 5.0)]);
    fleet.get("a").checkpoint = Some(DateTime::<Utc>::MAX_UTC);
    // Published once (it moved)…
    assert_eq!(progress_ids(&fleet.scan_after(11)), vec!["a".to_string()]);
    // …then, its latency moved a little, judged against the clock: the checkpoint it would
    // have moved on to is out of range, so it did not keep pace, and nothing panics.
    fleet.get("a").latency_ms = Some(5_500);
    assert_eq!(progress_ids(&fleet.scan_after(11)), vec!["a".to_string()]);
}
