//! Shared by the pure tests of the console's `update`: a small deterministic fleet, a state
//! loaded with it, keys, and searches run synchronously with the real search index, the way
//! the runtime's search thread runs them.

#![allow(dead_code)] // each test binary uses its own subset

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use jwctl::api::Deployment;
use jwctl::client::ClientError;
use jwctl::config::TuiConfig;
use jwctl::domain::{Project, Store, Writer, WriterKind, WriterStatus, Zone};
use jwctl::tui::action::Action;
use jwctl::tui::effect::{Effect, Operation, OperationKind, Origin, SearchRequest};
use jwctl::tui::state::{ControllerInfo, Fleet, Settings, State};
use jwctl::tui::update::{init, update};

pub const REGIONS: [&str; 3] = ["cn-beijing", "cn-hangzhou", "cn-shanghai"];

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn utc() -> Zone {
    "UTC".parse().unwrap_or_default()
}

/// Writer `i` of a small deterministic fleet: project `i / 3`, region `i % 3`.
pub fn writer(i: usize) -> Writer {
    let project = i / 3;
    let status = match i % 5 {
        0..=2 => WriterStatus::Running,
        3 => WriterStatus::Stopped,
        _ => WriterStatus::Failed,
    };
    Writer {
        id: format!(
            "10.0.{}.{}-9000:connector_v2:w-{i:03}:0000000001",
            i / 250,
            i % 250
        ),
        name: format!("np_p{project:03}-incr_trans-{i:03}"),
        server_ip: format!("10.0.{}.{}", i / 250, i % 250),
        region: REGIONS[i % 3].into(),
        project: Project {
            id: format!("np_p{project:03}").into(),
            name: ["orders", "payments", "inventory", "billing"][project % 4].into(),
        },
        kind: if i % 7 == 6 {
            WriterKind::Full
        } else {
            WriterKind::Incremental
        },
        status,
        checkpoint: (!i.is_multiple_of(4))
            .then(|| now() - chrono::Duration::seconds(i as i64 * 7 % 300)),
        latency_ms: (!i.is_multiple_of(6)).then_some((i as u64 * 7919) % 500_000),
        store: Store {
            id: format!("store_{project}").into(),
            earliest: now() - chrono::Duration::hours(24),
            latest: now(),
        },
        message: None,
        version: 3,
        updated_at: now(),
        backend_status: None,
    }
}

pub fn writers(n: usize) -> Vec<Writer> {
    let mut all: Vec<Writer> = (0..n).map(writer).collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

pub fn settings() -> Settings {
    Settings::from_config(&TuiConfig::default(), false)
}

pub fn new_state() -> State {
    let info = ControllerInfo {
        url: "http://127.0.0.1:7465".into(),
        demo: false,
        budget: Duration::from_secs(10),
    };
    State::new(info, settings(), utc(), now(), (100, 30))
}

pub fn deployment(multi: bool) -> Deployment {
    Deployment {
        regions: if multi {
            REGIONS.iter().map(|r| r.to_string()).collect()
        } else {
            vec!["cn-hangzhou".into()]
        },
        multi_region: multi,
        backend: Default::default(),
        replicas: Vec::new(),
    }
}

/// A state after start-up with `list` loaded at revision 1 in a multi-region deployment.
pub fn loaded(list: Vec<Writer>) -> State {
    let mut state = new_state();
    let effects = init(&mut state);
    assert!(matches!(
        effects.as_slice(),
        [
            Effect::FetchIdentity,
            Effect::FetchDeployment,
            Effect::FetchFleet
        ]
    ));
    update(&mut state, Action::DeploymentLoaded(Ok(deployment(true))));
    let effects = update(&mut state, Action::FleetLoaded(Ok(Fleet::new(1, list))));
    // Loaded, the console follows the changes from the list's revision.
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Follow { since: 1, .. }))
    );
    state
}

pub fn press(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn chars(state: &mut State, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| press(state, KeyCode::Char(c)))
        .collect()
}

pub fn names(state: &State) -> Vec<String> {
    state
        .table
        .rows
        .iter()
        .map(|&row| state.fleet.writers[row].name.clone())
        .collect()
}

pub fn selected_name(state: &State) -> Option<String> {
    state.selected_writer().map(|w| w.name.clone())
}

/// The one search request among `effects`.
pub fn search_request(effects: &[Effect]) -> SearchRequest {
    let requests: Vec<&SearchRequest> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Search(request) => Some(request),
            _ => None,
        })
        .collect();
    assert_eq!(requests.len(), 1, "expected one search in {effects:?}");
    requests[0].clone()
}

/// The newest of several search requests (one per typed character).
pub fn last_search(effects: &[Effect]) -> SearchRequest {
    let last = effects.iter().rev().find_map(|e| match e {
        Effect::Search(request) => Some(request.clone()),
        _ => None,
    });
    last.unwrap_or_else(|| panic!("no search in {effects:?}"))
}

/// Runs a search request as the runtime's search thread does.
pub fn run_search(request: &SearchRequest) -> Action {
    jwctl::tui::runtime::run_search(request.clone())
}

/// The first writer of the fleet in `status`.
pub fn first_in(state: &State, status: WriterStatus) -> Writer {
    state
        .fleet
        .writers
        .iter()
        .find(|w| w.status == status)
        .cloned()
        .unwrap_or_else(|| panic!("the fixture has a {status} writer"))
}

pub fn select_name(state: &mut State, name: &str) {
    press(state, KeyCode::Home);
    for _ in 0..state.table.rows.len() {
        if selected_name(state).as_deref() == Some(name) {
            return;
        }
        press(state, KeyCode::Down);
    }
    panic!("{name} is not in the table");
}

/// The one operation among `effects`.
pub fn operation(effects: &[Effect]) -> Operation {
    let found: Vec<&Operation> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Operate(operation) => Some(operation),
            _ => None,
        })
        .collect();
    assert_eq!(found.len(), 1, "expected one operation in {effects:?}");
    found[0].clone()
}

/// What a dialog sends to start `id` at version `if_match`.
pub fn start_of(id: &str, replay_from: Option<DateTime<Utc>>, if_match: u64) -> Operation {
    Operation {
        id: id.into(),
        kind: OperationKind::Start { replay_from },
        if_match,
        origin: Origin::Dialog,
    }
}

/// What a dialog sends to pause `id` at version `if_match`.
pub fn pause_of(id: &str, if_match: u64) -> Operation {
    Operation {
        id: id.into(),
        kind: OperationKind::Pause,
        if_match,
        origin: Origin::Dialog,
    }
}

pub fn api_error(status: u16, code: &str, message: &str) -> ClientError {
    ClientError::Api {
        status,
        code: code.into(),
        message: message.into(),
        current: None,
    }
}

/// A key with modifiers.
pub fn key_with(state: &mut State, code: KeyCode, modifiers: KeyModifiers) -> Vec<Effect> {
    update(state, Action::Key(KeyEvent::new(code, modifiers)))
}

/// Every operation among `effects`.
pub fn operations(effects: &[Effect]) -> Vec<Operation> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Operate(operation) => Some(operation.clone()),
            _ => None,
        })
        .collect()
}

/// `writer` as the controller returns it after `operation` went through.
pub fn after(operation: &Operation, mut writer: Writer) -> Writer {
    writer.version += 1;
    writer.status = match operation.kind {
        OperationKind::Start { .. } => WriterStatus::Starting,
        OperationKind::Pause => WriterStatus::Pausing,
    };
    writer
}

/// The answer to `operation`.
pub fn answer(operation: &Operation, result: Result<Writer, ClientError>) -> Action {
    Action::OperationFinished {
        operation: operation.clone(),
        result: result.map(Box::new),
    }
}

/// A version mismatch carrying the writer as it is now.
pub fn mismatch(current: Writer) -> ClientError {
    ClientError::Api {
        status: 412,
        code: "version_mismatch".into(),
        message: "changed since you looked".into(),
        current: Some(Box::new(current)),
    }
}

/// Whether an origin belongs to a batch.
pub fn from_batch(operation: &Operation) -> bool {
    matches!(operation.origin, Origin::Batch { .. })
}

/// The effects without view saves (they follow every change of the view).
pub fn without_saves(effects: Vec<Effect>) -> Vec<Effect> {
    effects
        .into_iter()
        .filter(|e| !matches!(e, Effect::SaveView(_)))
        .collect()
}
