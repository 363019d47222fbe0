//! One frame of the table at 160x48, for 1k and 100k writers, with and without an active
//! search. Only visible rows are formatted, so the cost must not grow with the fleet.

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use jwctl::api::Deployment;
use jwctl::config::TuiConfig;
use jwctl::controller::demo_writers;
use jwctl::domain::Zone;
use jwctl::search::SearchIndex;
use jwctl::tui::action::Action;
use jwctl::tui::state::{ControllerInfo, Fleet, SearchResults, Settings, State};
use jwctl::tui::update::update;
use jwctl::tui::view::view;

const SIZE: (u16, u16) = (160, 48);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A console showing `writers` demo writers, loaded through `update` as the runtime does.
fn console(writers: usize, query: Option<&str>) -> State {
    let settings = Settings::from_config(&TuiConfig::default(), false);
    let controller = ControllerInfo {
        url: "http://127.0.0.1:7465".into(),
        demo: true,
        budget: std::time::Duration::from_secs(10),
    };
    let mut state = State::new(controller, settings, Zone::default(), now(), SIZE);
    let regions = ["cn-hangzhou", "cn-shanghai", "cn-beijing"];
    update(
        &mut state,
        Action::DeploymentLoaded(Ok(Deployment {
            regions: regions.iter().map(|r| r.to_string()).collect(),
            multi_region: true,
            backend: Default::default(),
            replicas: Vec::new(),
        })),
    );
    let fleet = Fleet::new(1, demo_writers(writers, 3, now()));
    update(&mut state, Action::FleetLoaded(Ok(fleet)));
    if let Some(query) = query {
        state.search.input.value = query.to_string();
        state.search.input.cursor = query.chars().count();
        state.search.generation += 1;
        let hits = SearchIndex::search(&state.fleet.index, query);
        let results = SearchResults {
            query: query.to_string(),
            shape: state.fleet.shape,
            hits: hits.into(),
        };
        let generation = state.search.generation;
        update(
            &mut state,
            Action::SearchDone {
                generation,
                results,
            },
        );
    }
    state
}

fn frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame_160x48");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for writers in [1_000, 100_000] {
        for (label, query) in [("table", None), ("search", Some("sync"))] {
            let state = console(writers, query);
            assert!(!state.table.rows.is_empty(), "{label}: rows to draw");
            let mut terminal = match Terminal::new(TestBackend::new(SIZE.0, SIZE.1)) {
                Ok(terminal) => terminal,
                Err(never) => match never {},
            };
            group.bench_with_input(BenchmarkId::new(label, writers), &state, |b, state| {
                b.iter(|| {
                    // Clearing forces every cell to be drawn and diffed, as after a resize.
                    let _ = terminal.clear();
                    let _ = terminal.draw(|f| view(black_box(state), f));
                });
            });
        }
    }
    group.finish();
}

/// One frame with every writer marked and the batch Pause dialog open over them.
fn batch_frame(c: &mut Criterion) {
    let mut group = c.benchmark_group("frame_160x48");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for writers in [1_000, 100_000] {
        let mut state = console(writers, None);
        for c in ['*', 'p'] {
            update(
                &mut state,
                Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
            );
        }
        let mut terminal = match Terminal::new(TestBackend::new(SIZE.0, SIZE.1)) {
            Ok(terminal) => terminal,
            Err(never) => match never {},
        };
        group.bench_with_input(
            BenchmarkId::new("batch_dialog", writers),
            &state,
            |b, state| {
                b.iter(|| {
                    let _ = terminal.clear();
                    let _ = terminal.draw(|f| view(black_box(state), f));
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, frame, batch_frame);
criterion_main!(benches);
