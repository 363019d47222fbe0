//! Pure tests of following the controller's changes: deltas applied in place or by a rebuild,
//! the table (order, search, filters, counts, selection) equal to one recomputed from
//! scratch, and the stream's life cycle (reset, failure, polling, expired revisions).

#[path = "support/console.rs"]
mod console;
#[path = "support/screen.rs"]
mod screen;

use chrono::Duration;
use crossterm::event::KeyCode;

use jwctl::api::{Progress, StreamReset, WriterDelta};
use jwctl::domain::{Writer, WriterStatus};
use jwctl::tui::action::{Action, StreamEnd};
use jwctl::tui::effect::Effect;
use jwctl::tui::state::{Column, FollowMode, Sort, State};
use jwctl::tui::table;
use jwctl::tui::update::update;

use console::{chars, loaded, names, press, run_search, writers};

const STREAM: u64 = 1;

fn arrive(state: &mut State, delta: WriterDelta) -> Vec<Effect> {
    let stream = state.follow.stream;
    update(state, Action::DeltaArrived { stream, delta })
}

fn delta(revision: u64, writers: Vec<Writer>, progress: Vec<Progress>) -> WriterDelta {
    WriterDelta {
        revision,
        writers,
        progress,
        removed: Vec::new(),
    }
}

/// A delta at `revision` moving writer `id`'s progress only.
fn progress_of(
    revision: u64,
    id: String,
    checkpoint: Option<chrono::DateTime<chrono::Utc>>,
    latency_ms: Option<u64>,
) -> WriterDelta {
    let progress = Progress {
        id,
        checkpoint,
        latency_ms,
    };
    delta(revision, Vec::new(), vec![progress])
}

/// The writer at fleet position `row`, as the fleet has it.
fn current(state: &State, row: usize) -> Writer {
    state.fleet.writers[row].clone()
}

/// What the table would be if it were recomputed from scratch: rows, counts, selection.
fn from_scratch(state: &State) -> (Vec<usize>, Vec<usize>) {
    let mut fresh = State::new(
        state.controller.clone(),
        state.settings.clone(),
        state.zone,
        state.now,
        state.size,
    );
    fresh.fleet = state.fleet.clone();
    fresh.filter = state.filter.clone();
    fresh.sort = state.sort;
    fresh.search = state.search.clone();
    table::recompute(&mut fresh);
    (fresh.table.rows, fresh.table.status_counts.to_vec())
}

fn assert_table_right(state: &State) {
    let (rows, counts) = from_scratch(state);
    assert_eq!(
        state.table.rows, rows,
        "rows differ from a recomputed table"
    );
    assert_eq!(state.table.status_counts.to_vec(), counts, "status counts");
}

/// A pseudo-random sequence, the same every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

/// A delta changing `count` writers chosen by `rng`: statuses, latencies and checkpoints.
fn random_delta(state: &State, rng: &mut Lcg, revision: u64, count: usize) -> WriterDelta {
    let n = state.fleet.writers.len();
    let mut whole = Vec::new();
    let mut progress = Vec::new();
    let mut taken = std::collections::HashSet::new();
    while taken.len() < count.min(n) {
        let row = rng.next(n);
        if !taken.insert(row) {
            continue;
        }
        let mut writer = current(state, row);
        if rng.next(3) == 0 {
            writer.status = WriterStatus::ALL[rng.next(WriterStatus::ALL.len())];
            writer.version += 1;
            writer.latency_ms = Some(rng.next(200_000) as u64);
            whole.push(writer);
        } else {
            progress.push(Progress {
                id: writer.id.clone(),
                checkpoint: Some(console::now() - Duration::seconds(rng.next(5000) as i64)),
                latency_ms: (rng.next(10) > 0).then(|| rng.next(300_000) as u64),
            });
        }
    }
    delta(revision, whole, progress)
}

#[test]
fn in_place_deltas_leave_the_table_as_a_recomputed_one_would_be() {
    let sorts = [
        Sort {
            column: Column::Latency,
            descending: true,
        },
        Sort {
            column: Column::Status,
            descending: false,
        },
        Sort {
            column: Column::Checkpoint,
            descending: false,
        },
        Sort::default(),
    ];
    let mut rng = Lcg(7);
    for sort in sorts {
        // Few changes are placed one by one, many by one merge pass: both are tried.
        for count in [1, 5, 40, 150] {
            let mut state = loaded(writers(300));
            state.sort = sort;
            table::recompute(&mut state);
            press(&mut state, KeyCode::Down);
            press(&mut state, KeyCode::Down);
            let selected = state.selected_writer().map(|w| w.id.clone());
            let before = state.fleet.shape;
            for revision in 2..6 {
                let d = random_delta(&state, &mut rng, revision, count);
                let effects = arrive(&mut state, d);
                assert!(effects.is_empty(), "{effects:?}");
                assert_eq!(state.fleet.revision, revision);
                assert_table_right(&state);
                assert_eq!(
                    state.selected_writer().map(|w| w.id.clone()),
                    selected,
                    "the selection stays on its writer ({sort:?}, {count})"
                );
            }
            assert_eq!(state.fleet.shape, before, "applied in place, not rebuilt");
        }
    }
}

#[test]
fn filters_and_search_hits_follow_changed_writers() {
    let mut rng = Lcg(11);
    for relevance in [true, false] {
        let mut state = loaded(writers(300));
        press(&mut state, KeyCode::Char('/'));
        let request = console::last_search(&chars(&mut state, "billing"));
        update(&mut state, run_search(&request));
        press(&mut state, KeyCode::Enter);
        if !relevance {
            // Sorted by a column like the unfiltered table.
            press(&mut state, KeyCode::Char('o'));
        }
        assert_eq!(state.search.relevance, relevance);
        press(&mut state, KeyCode::Char('f')); // running only
        let shown_before = names(&state).len();
        assert!(shown_before > 0);
        for revision in 2..8 {
            let d = random_delta(&state, &mut rng, revision, 60);
            arrive(&mut state, d);
            assert_table_right(&state);
            assert!(
                names(&state).iter().all(|name| {
                    let w = state.fleet.writers.iter().find(|w| &w.name == name);
                    w.is_some_and(|w| {
                        w.project.name == "billing" && w.status == WriterStatus::Running
                    })
                }),
                "only running billing writers are shown"
            );
        }
    }
}

#[test]
fn a_delta_the_fleet_already_holds_changes_nothing_and_a_heartbeat_only_says_the_link_is_up() {
    let mut state = loaded(writers(30));
    let mut paused = current(&state, 0);
    paused.status = WriterStatus::Pausing;
    arrive(&mut state, delta(1, vec![paused], Vec::new()));
    assert_eq!(state.fleet.writers[0].status, WriterStatus::Running);
    state.now += Duration::seconds(5);
    arrive(&mut state, delta(1, Vec::new(), Vec::new()));
    assert_eq!(state.last_refresh, Some(state.now));
    // A stream since replaced: its events are dropped.
    let mut stopped = current(&state, 0);
    stopped.status = WriterStatus::Stopped;
    let old_stream = state.follow.stream + 7;
    update(
        &mut state,
        Action::DeltaArrived {
            stream: old_stream,
            delta: delta(9, vec![stopped], Vec::new()),
        },
    );
    assert_eq!(state.fleet.writers[0].status, WriterStatus::Running);
}

/// Runs the rebuild an effect asks for, as the runtime does off the UI thread.
fn rebuild(state: &mut State, effects: Vec<Effect>) -> Vec<Effect> {
    let Some(Effect::Rebuild { fleet, deltas, now }) = effects
        .into_iter()
        .find(|e| matches!(e, Effect::Rebuild { .. }))
    else {
        panic!("a rebuild was expected");
    };
    let base = fleet.shape;
    let mut rebuilt = fleet;
    for d in deltas {
        rebuilt = rebuilt.rebuilt(d, now);
    }
    update(
        state,
        Action::FleetRebuilt {
            base,
            fleet: rebuilt,
        },
    )
}

#[test]
fn added_and_removed_writers_rebuild_off_the_ui_thread_and_keep_the_selection_sensible() {
    let mut state = loaded(writers(30));
    console::select_name(&mut state, "np_p003-incr_trans-010");
    let at = state.table.selected;
    let removed = state
        .selected_writer()
        .map(|w| w.id.clone())
        .unwrap_or_default();
    let mut added = console::writer(40);
    added.name = "aaa-first".into();
    let mut changed = current(&state, 1);
    changed.status = WriterStatus::Pausing;
    let effects = arrive(
        &mut state,
        WriterDelta {
            revision: 2,
            writers: vec![added, changed.clone()],
            progress: Vec::new(),
            removed: vec![removed.clone()],
        },
    );
    assert!(state.follow.rebuilding);
    // A delta arriving meanwhile waits for the new fleet.
    let mut later = changed.clone();
    later.status = WriterStatus::Starting;
    assert!(arrive(&mut state, delta(3, vec![later], Vec::new())).is_empty());
    rebuild(&mut state, effects);
    assert!(!state.follow.rebuilding);
    assert_eq!(state.fleet.revision, 3);
    assert_eq!(state.fleet.writers.len(), 30);
    assert!(state.fleet.get(&removed).is_none());
    assert_eq!(
        state.fleet.get(&changed.id).map(|w| w.status),
        Some(WriterStatus::Starting)
    );
    assert_eq!(names(&state).first().map(String::as_str), Some("aaa-first"));
    assert_table_right(&state);
    // The selected writer is gone: the selection stays where it was, on its neighbour.
    assert_eq!(state.table.selected, at);
    assert_ne!(state.selected_writer().map(|w| w.id.clone()), Some(removed));
}

#[test]
fn a_full_list_arriving_during_a_rebuild_wins() {
    let mut state = loaded(writers(30));
    let gone = current(&state, 0).id;
    let effects = arrive(
        &mut state,
        WriterDelta {
            revision: 2,
            removed: vec![gone],
            ..WriterDelta::default()
        },
    );
    update(
        &mut state,
        Action::FleetLoaded(Ok(jwctl::tui::state::Fleet::new(5, writers(12)))),
    );
    rebuild(&mut state, effects);
    assert_eq!(state.fleet.revision, 5);
    assert_eq!(state.fleet.writers.len(), 12);
}

#[test]
fn a_reset_reloads_a_failed_stream_polls_and_an_expired_revision_reloads() {
    let mut state = loaded(writers(30));
    assert_eq!(state.follow.mode, FollowMode::Streaming);
    let stream = state.follow.stream;
    assert_eq!(stream, STREAM);
    let effects = update(
        &mut state,
        Action::StreamEnded {
            stream,
            end: StreamEnd::Reset(StreamReset {
                revision: 9,
                reason: "too far behind".into(),
            }),
        },
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::FetchFleet)));
    update(
        &mut state,
        Action::FleetLoaded(Ok(jwctl::tui::state::Fleet::new(9, writers(30)))),
    );
    let stream = state.follow.stream;
    let effects = update(
        &mut state,
        Action::StreamEnded {
            stream,
            end: StreamEnd::Failed(console::api_error(404, "not_found", "no such route")),
        },
    );
    assert_eq!(state.follow.mode, FollowMode::Polling);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ScheduleRefresh(_)))
    );
    let effects = update(&mut state, Action::RefreshDue);
    assert!(matches!(
        effects.as_slice(),
        [Effect::FetchSince { since: 9 }]
    ));
    let mut paused = current(&state, 0);
    paused.status = WriterStatus::Pausing;
    let effects = update(
        &mut state,
        Action::DeltaLoaded(Ok(delta(10, vec![paused], Vec::new()))),
    );
    assert_eq!(state.fleet.writers[0].status, WriterStatus::Pausing);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Follow { since: 10, .. })),
        "the stream is tried again from the new revision: {effects:?}"
    );
    // Polling again, and the controller no longer has the revision: a full reload.
    let stream = state.follow.stream;
    update(
        &mut state,
        Action::StreamEnded {
            stream,
            end: StreamEnd::Closed,
        },
    );
    update(&mut state, Action::RefreshDue);
    let effects = update(
        &mut state,
        Action::DeltaLoaded(Err(console::api_error(410, "revision_expired", "too old"))),
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::FetchFleet)));
}

#[test]
fn the_latency_of_a_writer_that_is_not_running_ticks_with_the_clock() {
    let mut state = loaded(writers(30));
    let stopped = (0..30)
        .find(|&row| {
            let w = &state.fleet.writers[row];
            w.status != WriterStatus::Running && w.checkpoint.is_some() && w.latency_ms.is_some()
        })
        .unwrap_or_default();
    let running = (0..30)
        .find(|&row| {
            let w = &state.fleet.writers[row];
            w.status == WriterStatus::Running && w.latency_ms.is_some() && w.checkpoint.is_some()
        })
        .unwrap_or_default();
    let (s0, r0) = (
        state.fleet.latency_ms(stopped, state.now),
        state.fleet.latency_ms(running, state.now),
    );
    let later = state.now + Duration::seconds(90);
    assert_eq!(
        state.fleet.latency_ms(stopped, later),
        s0.map(|ms| ms + 90_000)
    );
    assert_eq!(state.fleet.latency_ms(running, later), r0);
    // A running writer keeps pace until told otherwise: its checkpoint moves with the clock
    // (never past now); a writer that is not running keeps its checkpoint.
    let (c_run, c_stop) = (
        state.fleet.writers[running].checkpoint,
        state.fleet.writers[stopped].checkpoint,
    );
    assert_eq!(
        state
            .fleet
            .checkpoint(running, state.now + Duration::seconds(5)),
        c_run.map(|at| (at + Duration::seconds(5)).min(state.now + Duration::seconds(5)))
    );
    assert_eq!(state.fleet.checkpoint(stopped, later), c_stop);
    // An absurd checkpoint from the network does not overflow the clock arithmetic.
    let id = state.fleet.writers[running].id.clone();
    let absurd = Some(chrono::DateTime::<chrono::Utc>::MAX_UTC);
    arrive(&mut state, progress_of(3, id, absurd, Some(0)));
    assert_eq!(
        state
            .fleet
            .checkpoint(running, later + Duration::days(3650)),
        Some(chrono::DateTime::<chrono::Utc>::MAX_UTC)
    );
    // Received again, it ticks from the new figure.
    let id = state.fleet.writers[stopped].id.clone();
    state.now = later;
    let checkpoint = state.fleet.writers[stopped].checkpoint;
    arrive(&mut state, progress_of(4, id, checkpoint, Some(1_000)));
    assert_eq!(
        state
            .fleet
            .latency_ms(stopped, later + Duration::seconds(2)),
        Some(3_000)
    );
}

#[test]
fn a_large_list_on_its_way_says_how_much_has_arrived() {
    let mut state = console::new_state();
    state.size = (100, 20);
    jwctl::tui::update::init(&mut state);
    update(&mut state, Action::LoadProgress(48_300_000));
    assert_eq!(state.loading, Some(48_300_000));
    let screen = screen::screen(&state);
    assert!(
        screen.contains("Loading the writers from") && screen.contains("48.3 MB received"),
        "{screen}"
    );
    assert!(screen.contains("loading 48.3 MB"), "{screen}");
    update(
        &mut state,
        Action::FleetLoaded(Ok(jwctl::tui::state::Fleet::new(1, writers(5)))),
    );
    assert_eq!(state.loading, None);
    // Progress of a load no longer under way is not shown.
    update(&mut state, Action::LoadProgress(10));
    assert_eq!(state.loading, None);
}

#[test]
fn an_operations_answer_is_received_when_it_arrives_and_keeps_the_table_whole() {
    let mut state = loaded(writers(30));
    let row = (0..30)
        .find(|&row| {
            let w = &state.fleet.writers[row];
            w.status == WriterStatus::Running && w.checkpoint.is_some() && w.latency_ms.is_some()
        })
        .unwrap_or_default();
    let writer = current(&state, row);
    state.now += Duration::seconds(60);
    let op = console::pause_of(&writer.id, writer.version);
    let mut paused = writer.clone();
    paused.status = WriterStatus::Pausing;
    paused.latency_ms = Some(2_000);
    update(&mut state, console::answer(&op, Ok(paused)));
    // Not running, its latency grows from the answer's arrival, not from the list's.
    assert_eq!(state.fleet.latency_ms(row, state.now), Some(2_000));
    assert_table_right(&state);
    // A delta arriving while a batch's answers wait for the tick leaves no row twice.
    state.table.outdated = true;
    let mut other = current(&state, (row + 1) % 30);
    other.status = WriterStatus::Pausing;
    arrive(&mut state, delta(2, vec![other], Vec::new()));
    update(&mut state, Action::Tick);
    assert_table_right(&state);
}
