//! Search per keystroke over 100k writers: the search itself (full and narrowing), the table
//! recompute (filter + sort of 100k rows) and a whole keystroke through `update`.
//!
//! Target: a keystroke's filter within one 60 Hz frame (16 ms) on a 2-core machine.

use std::hint::black_box;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use jwctl::api::{Deployment, Progress, WriterDelta};
use jwctl::config::TuiConfig;
use jwctl::domain::{Project, Store, Writer, WriterKind, WriterStatus, Zone};
use jwctl::search::SearchIndex;
use jwctl::tui::action::Action;
use jwctl::tui::effect::Effect;
use jwctl::tui::state::Popup;
use jwctl::tui::state::{Column, ControllerInfo, Fleet, SearchResults, Settings, Sort, State};
use jwctl::tui::{runtime, table, update};

const WRITERS: usize = 100_000;
const PER_PROJECT: usize = 5;
const REGIONS: [&str; 3] = ["cn-beijing", "cn-hangzhou", "cn-shanghai"];
const WORDS: [&str; 16] = [
    "orders",
    "payments",
    "inventory",
    "billing",
    "ledger",
    "customers",
    "shipping",
    "catalog",
    "refunds",
    "invoices",
    "accounts",
    "sessions",
    "reviews",
    "coupons",
    "returns",
    "audit",
];
/// The project name typed in the benchmarks, one character more per keystroke.
const QUERY: &str = "ledger";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A deterministic pseudo-random sequence (64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn base36(&mut self, len: usize) -> String {
        const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
        (0..len)
            .map(|_| char::from(DIGITS[(self.next() % 36) as usize]))
            .collect()
    }
}

/// `n` writers, `PER_PROJECT` per project, sorted by name like the controller sends them.
fn fleet(n: usize) -> Vec<Writer> {
    let mut rng = Lcg(7);
    let mut writers = Vec::with_capacity(n);
    let mut project = Project {
        id: "".into(),
        name: "".into(),
    };
    for i in 0..n {
        if i % PER_PROJECT == 0 {
            let a = WORDS[(rng.next() % 16) as usize];
            let b = WORDS[(rng.next() % 16) as usize];
            project = Project {
                id: format!("np_{}", rng.base36(8)).into(),
                name: format!("{a} {b} MySQL to OB {}", i / PER_PROJECT).into(),
            };
        }
        let ip = format!("10.{}.{}.{}", i / 65_536, (i / 256) % 256, i % 256);
        let name = format!("{}-incr_trans-{}-0", project.id, i % PER_PROJECT + 1);
        let status = WriterStatus::ALL[(rng.next() % 5) as usize];
        writers.push(Writer {
            id: format!("{ip}-9000:connector_v2:{name}:0000000001"),
            name,
            server_ip: ip,
            region: REGIONS[i % 3].into(),
            project: project.clone(),
            kind: if i % 10 == 0 {
                WriterKind::Full
            } else {
                WriterKind::Incremental
            },
            status,
            checkpoint: Some(now() - chrono::Duration::seconds((rng.next() % 86_400) as i64)),
            latency_ms: (i % 50 != 0).then(|| rng.next() % 3_600_000),
            store: Store {
                id: format!("store_{}", i / PER_PROJECT).into(),
                earliest: now() - chrono::Duration::hours(24),
                latest: now(),
            },
            message: None,
            version: 1,
            updated_at: now(),
            backend_status: None,
        });
    }
    writers.sort_by(|a, b| a.name.cmp(&b.name));
    writers
}

fn state_with(fleet: Fleet) -> State {
    let info = ControllerInfo {
        url: "http://127.0.0.1:7465".into(),
        demo: true,
        budget: std::time::Duration::from_secs(10),
    };
    let settings = Settings::from_config(&TuiConfig::default(), false);
    let mut state = State::new(info, settings, Zone::default(), now(), (160, 48));
    update::update(
        &mut state,
        Action::DeploymentLoaded(Ok(Deployment {
            regions: REGIONS.iter().map(|r| r.to_string()).collect(),
            multi_region: true,
            backend: Default::default(),
            replicas: Vec::new(),
        })),
    );
    update::update(&mut state, Action::FleetLoaded(Ok(fleet)));
    state
}

fn search(c: &mut Criterion) {
    let writers = fleet(WRITERS);
    let index = SearchIndex::build(&writers);
    let mut group = c.benchmark_group("search_100k");
    for len in 1..=QUERY.len() {
        let query = &QUERY[..len];
        group.bench_with_input(BenchmarkId::new("full", query), query, |b, q| {
            b.iter(|| index.search(black_box(q)))
        });
    }
    for len in 2..=QUERY.len() {
        let query = &QUERY[..len];
        let previous = index.search(&QUERY[..len - 1]);
        group.bench_with_input(BenchmarkId::new("narrow", query), query, |b, q| {
            b.iter(|| index.search_within(black_box(q), &previous))
        });
    }
    for query in ["10.1.23", "incr_trans-3"] {
        group.bench_with_input(BenchmarkId::new("full", query), query, |b, q| {
            b.iter(|| index.search(black_box(q)))
        });
    }
    group.finish();
}

fn rows(c: &mut Criterion) {
    let mut state = state_with(Fleet::new(1, fleet(WRITERS)));
    let mut group = c.benchmark_group("rows_100k");
    let sorts = [
        ("name", Column::Name, false),
        ("latency_desc", Column::Latency, true),
        ("status", Column::Status, false),
        ("server_ip", Column::ServerIp, false),
        ("project", Column::Project, false),
    ];
    for (label, column, descending) in sorts {
        state.sort = Sort { column, descending };
        group.bench_function(BenchmarkId::new("recompute", label), |b| {
            b.iter(|| table::recompute(black_box(&mut state)))
        });
    }
    state.sort = Sort::default();
    state.filter.status = jwctl::domain::StatusSet::NOT_RUNNING;
    state.filter.regions = ["cn-hangzhou".to_string()].into();
    group.bench_function(BenchmarkId::new("recompute", "region+not_running"), |b| {
        b.iter(|| table::recompute(black_box(&mut state)))
    });
    group.finish();
}

/// One keystroke end to end minus drawing: the key through `update`, the search the runtime
/// runs for it, and the results through `update` (table recompute included).
fn keystroke(c: &mut Criterion) {
    let fleet = Fleet::new(1, fleet(WRITERS));
    let mut group = c.benchmark_group("keystroke_100k");
    for len in [1, 3, 6] {
        let typed = &QUERY[..len - 1];
        let next = QUERY[len - 1..].chars().next().unwrap_or('x');
        group.bench_function(BenchmarkId::new("type", &QUERY[..len]), |b| {
            b.iter_batched(
                || {
                    let mut state = state_with(fleet.clone());
                    state.search.editing = true;
                    state.search.input.value = typed.to_string();
                    state.search.input.cursor = typed.len();
                    if !typed.is_empty() {
                        state.search.results = Some(SearchResults {
                            query: typed.to_string(),
                            shape: fleet.shape,
                            hits: Arc::new(fleet.index.search(typed)),
                        });
                    }
                    state
                },
                |mut state| {
                    let key = KeyEvent::new(KeyCode::Char(next), KeyModifiers::NONE);
                    for effect in update::update(&mut state, Action::Key(key)) {
                        if let Effect::Search(request) = effect {
                            update::update(&mut state, runtime::run_search(request));
                        }
                    }
                    state
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// A refresh: building the fleet off the UI thread (search index and sort ranks), and taking
/// it in on the UI thread (`update` with `FleetLoaded`: selection kept, rows recomputed).
fn refresh(c: &mut Criterion) {
    let writers = fleet(WRITERS);
    let mut group = c.benchmark_group("refresh_100k");
    group.sample_size(10);
    group.bench_function("build_fleet_off_ui_thread", |b| {
        b.iter(|| Fleet::new(2, black_box(writers.clone())))
    });
    let next = Fleet::new(2, writers);
    let first = Fleet::new(1, fleet(WRITERS));
    group.bench_function("fleet_loaded_on_ui_thread", |b| {
        b.iter_batched(
            || {
                let mut state = state_with(first.clone());
                state.sort = Sort {
                    column: Column::Latency,
                    descending: true,
                };
                table::recompute(&mut state);
                table::select(&mut state, 500);
                (state, next.clone())
            },
            |(mut state, next)| {
                update::update(&mut state, Action::FleetLoaded(Ok(next)));
                state
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// A delta from the controller applied on the UI thread: `count` writers' progress (new
/// latency and checkpoint) plus a tenth of them with a new status, the table sorted by
/// latency (each changed row moves).
fn delta_of(fleet: &Fleet, count: usize) -> WriterDelta {
    let mut rng = Lcg(42);
    let n = fleet.writers.len();
    let mut delta = WriterDelta {
        revision: fleet.revision + 1,
        ..WriterDelta::default()
    };
    for i in 0..count {
        let row = (i * (n / count.max(1)) + (rng.next() as usize % 50)) % n;
        let writer = &fleet.writers[row];
        if i % 10 == 0 {
            let mut changed = writer.clone();
            changed.status = WriterStatus::Pausing;
            changed.version += 1;
            delta.writers.push(changed);
        } else {
            delta.progress.push(Progress {
                id: writer.id.clone(),
                checkpoint: Some(now()),
                latency_ms: Some(rng.next() % 600_000),
            });
        }
    }
    delta
}

fn deltas(c: &mut Criterion) {
    let fleet = Fleet::new(1, fleet(WRITERS));
    let mut group = c.benchmark_group("delta_100k");
    for count in [1, 100, 1_000] {
        let delta = delta_of(&fleet, count);
        group.bench_function(BenchmarkId::new("apply_on_ui_thread", count), |b| {
            b.iter_batched(
                || {
                    // The console holds the only copy of its writers (nothing else keeps the
                    // list), so they change in place.
                    let mut own = fleet.clone();
                    own.writers = Arc::new(fleet.writers.to_vec());
                    let mut state = state_with(own);
                    state.sort = Sort {
                        column: Column::Latency,
                        descending: true,
                    };
                    table::recompute(&mut state);
                    table::select(&mut state, 500);
                    (state, delta.clone())
                },
                |(mut state, delta)| {
                    let stream = state.follow.stream;
                    let effects =
                        update::update(&mut state, Action::DeltaArrived { stream, delta });
                    assert!(effects.is_empty(), "applied in place");
                    state
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

/// Marks on the whole fleet: `*` on 100k rows, then `p` planning a batch of 100k writers
/// with the shared rules (both on the UI thread).
fn batch(c: &mut Criterion) {
    let fleet = Fleet::new(1, fleet(WRITERS));
    let mut group = c.benchmark_group("batch_100k");
    group.sample_size(10);
    let key = |c: char| Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    group.bench_function("mark_every_writer_shown", |b| {
        b.iter_batched(
            || state_with(fleet.clone()),
            |mut state| {
                update::update(&mut state, key('*'));
                state
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("open_the_batch_pause_dialog", |b| {
        b.iter_batched(
            || {
                let mut state = state_with(fleet.clone());
                update::update(&mut state, key('*'));
                state
            },
            |mut state| {
                update::update(&mut state, key('p'));
                assert!(matches!(state.popup, Some(Popup::Batch(_))));
                state
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, search, rows, keystroke, refresh, deltas, batch);
criterion_main!(benches);
