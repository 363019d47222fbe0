//! The console in front of an OMS backend: the deployment (which carries the freshness of the
//! OMS data) is fetched again with every refresh, and the status bar, the table and the detail
//! view say how fresh the data is. Pure `update` tests and snapshots at a fixed clock.

#[path = "support/console.rs"]
mod console;
#[path = "support/screen.rs"]
mod screen;

use chrono::{DateTime, Duration as Span, Utc};
use crossterm::event::KeyCode;
use jwctl::api::{BackendInfo, BackendKind, Deployment, FailedProject};
use jwctl::domain::{HistoryWindow, WriterStatus};
use jwctl::tui::action::Action;
use jwctl::tui::effect::Effect;
use jwctl::tui::state::{DetailView, Fleet, Loadable, State};
use jwctl::tui::update::update;
use ratatui::style::{Color, Modifier};

/// An OMS backend polled every 5 s whose last complete poll ended `ago` before `now`.
fn oms(now: DateTime<Utc>, ago: Option<Span>, failed: &[(&str, &str)]) -> BackendInfo {
    BackendInfo {
        kind: BackendKind::Oms,
        url: Some("https://oms.example:8089".into()),
        last_poll: ago.map(|ago| now - ago),
        poll_secs: Some(5),
        failed_projects: failed
            .iter()
            .map(|(id, error)| FailedProject {
                id: (*id).into(),
                error: (*error).into(),
            })
            .collect(),
    }
}

/// Whether `effects` load the writers and the deployment.
fn fetches(effects: &[Effect]) -> (bool, bool) {
    (
        effects.iter().any(|e| matches!(e, Effect::FetchFleet)),
        effects.iter().any(|e| matches!(e, Effect::FetchDeployment)),
    )
}

/// A loaded console whose deployment has `backend`.
fn loaded_with(backend: BackendInfo) -> State {
    let mut state = console::loaded(console::writers(12));
    let deployment = Deployment {
        backend,
        ..console::deployment(true)
    };
    update(&mut state, Action::DeploymentLoaded(Ok(deployment)));
    state
}

#[test]
fn an_oms_deployment_is_fetched_again_with_every_refresh() {
    let mut state = loaded_with(oms(console::now(), Some(Span::seconds(2)), &[]));
    assert_eq!(
        fetches(&update(&mut state, Action::RefreshDue)),
        (true, true)
    );
    // While the writers are on their way, nothing more is asked for.
    assert_eq!(
        fetches(&update(&mut state, Action::RefreshDue)),
        (false, false)
    );
    let fleet = Fleet::new(2, console::writers(12));
    let effects = update(&mut state, Action::FleetLoaded(Ok(fleet)));
    assert_eq!(fetches(&effects), (false, false));
    assert_eq!(
        fetches(&update(&mut state, Action::RefreshDue)),
        (true, true)
    );
    let fleet = Fleet::new(3, console::writers(12));
    update(&mut state, Action::FleetLoaded(Ok(fleet)));
    // `R` refreshes the OMS freshness too.
    assert_eq!(
        fetches(&console::press(&mut state, KeyCode::Char('R'))),
        (true, true)
    );
}

#[test]
fn a_simulated_deployment_is_fetched_once() {
    let mut state = console::loaded(console::writers(12));
    assert!(!state.oms_backend());
    assert_eq!(
        fetches(&update(&mut state, Action::RefreshDue)),
        (true, false)
    );
    let fleet = Fleet::new(2, console::writers(12));
    let effects = update(&mut state, Action::FleetLoaded(Ok(fleet)));
    assert_eq!(fetches(&effects), (false, false));
    assert_eq!(
        fetches(&console::press(&mut state, KeyCode::Char('R'))),
        (true, false)
    );
}

#[test]
fn a_refetched_deployment_brings_the_freshness_and_keeps_the_view() {
    let mut state = loaded_with(oms(console::now(), Some(Span::seconds(2)), &[]));
    console::press(&mut state, KeyCode::Down);
    state.filter.regions = ["cn-beijing".to_string()].into();
    let selected = console::selected_name(&state);
    let later = Deployment {
        backend: oms(
            console::now(),
            Some(Span::seconds(1)),
            &[("np_p001", "timeout"), ("np_p002", "HTTP 500")],
        ),
        ..console::deployment(true)
    };
    update(&mut state, Action::DeploymentLoaded(Ok(later)));
    let freshness = state.oms_freshness().expect("an OMS backend");
    assert_eq!(freshness.failed_projects, 2);
    assert_eq!(freshness.age_ms, Some(1000));
    assert_eq!(state.filter.regions.len(), 1);
    assert_eq!(console::selected_name(&state), selected);
    assert_eq!(
        state.failed_project("np_p002").map(|p| p.error.as_str()),
        Some("HTTP 500")
    );
    assert!(state.failed_project("np_p000").is_none());
}

#[test]
fn an_older_deployment_arriving_late_does_not_replace_a_newer_one() {
    let now = console::now();
    let mut state = loaded_with(oms(now, Some(Span::seconds(1)), &[]));
    let earlier = Deployment {
        backend: oms(now, Some(Span::seconds(30)), &[("np_p001", "timeout")]),
        ..console::deployment(true)
    };
    update(&mut state, Action::DeploymentLoaded(Ok(earlier)));
    let freshness = state.oms_freshness().expect("an OMS backend");
    assert_eq!(
        (freshness.age_ms, freshness.failed_projects),
        (Some(1000), 0)
    );
}

#[test]
fn the_data_is_stale_after_three_missed_polls() {
    let now = console::now();
    let at = |ago: Option<Span>| loaded_with(oms(now, ago, &[]));
    let on_time = at(Some(Span::seconds(15)));
    assert_eq!(on_time.oms_freshness().and_then(|f| f.stale_polls), None);
    assert!(!on_time.data_stale());
    let late = at(Some(Span::seconds(16)));
    assert_eq!(late.oms_freshness().and_then(|f| f.stale_polls), Some(3));
    assert!(late.data_stale());
    let first = at(None);
    assert_eq!(first.oms_freshness().and_then(|f| f.age_ms), None);
    assert!(!first.data_stale());
    let simulated = console::loaded(console::writers(3));
    assert_eq!(simulated.oms_freshness(), None);
    assert!(!simulated.data_stale());
}

/// An 80-column console in front of an OMS with `backend`.
fn oms_screen(backend: BackendInfo, size: (u16, u16)) -> State {
    let mut s = screen::state(40, 3, size);
    s.controller.demo = false;
    if let Some(deployment) = &mut s.deployment {
        deployment.backend = backend;
    }
    s
}

/// The status bar (the line above the keys) and the cells of the screen.
fn status_bar(s: &State) -> (String, ratatui::buffer::Buffer) {
    let terminal = screen::render(s);
    let buffer = terminal.backend().buffer().clone();
    let y = buffer.area.height - 2;
    let line: String = (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol())
        .collect();
    (line.trim_end().to_string(), buffer)
}

/// The cell where `text` starts on the status bar.
fn cell_of<'a>(
    line: &str,
    buffer: &'a ratatui::buffer::Buffer,
    text: &str,
) -> &'a ratatui::buffer::Cell {
    let at = line
        .find(text)
        .unwrap_or_else(|| panic!("{text} in {line}"));
    let x = u16::try_from(line[..at].chars().count()).expect("fits");
    &buffer[(x, buffer.area.height - 2)]
}

#[test]
fn status_bar_with_a_fresh_oms() {
    let s = oms_screen(oms(screen::now(), Some(Span::seconds(12)), &[]), (80, 24));
    let (line, buffer) = status_bar(&s);
    assert!(line.contains("OMS data 12s old"), "{line}");
    assert!(!line.contains("stale") && !line.contains("not refreshed"));
    assert_ne!(cell_of(&line, &buffer, "data").fg, Color::Yellow);
    assert!(!buffer[(3, 2)].modifier.contains(Modifier::DIM));
    insta::assert_snapshot!(line);
}

#[test]
fn status_bar_with_a_stale_oms_dims_the_rows() {
    let s = oms_screen(oms(screen::now(), Some(Span::seconds(20)), &[]), (80, 24));
    let (line, buffer) = status_bar(&s);
    assert!(line.contains("stale: 4 polls missed"), "{line}");
    assert_eq!(cell_of(&line, &buffer, "data 20s old").fg, Color::Yellow);
    assert!(buffer[(3, 2)].modifier.contains(Modifier::DIM));
    insta::assert_snapshot!(line);
}

#[test]
fn status_bar_with_two_projects_not_refreshed() {
    let failed = [
        ("np_4w3a8kz1", "describe timed out after 10s"),
        ("np_77bq2m0c", "HTTP 500 from the OMS"),
    ];
    let s = oms_screen(
        oms(screen::now(), Some(Span::seconds(3)), &failed),
        (80, 24),
    );
    let (line, buffer) = status_bar(&s);
    assert!(line.contains("2 projects not refreshed"), "{line}");
    assert_eq!(
        cell_of(&line, &buffer, "2 projects").fg,
        Color::Yellow,
        "{line}"
    );
    insta::assert_snapshot!(line);
}

#[test]
fn status_bar_before_the_first_poll_and_for_a_simulated_backend() {
    let s = oms_screen(oms(screen::now(), None, &[]), (80, 24));
    assert!(status_bar(&s).0.contains("OMS: no complete poll yet"));
    let s = screen::state(40, 3, (120, 24));
    assert!(!status_bar(&s).0.contains("OMS"));
}

#[test]
fn detail_of_a_writer_in_a_status_jwctl_does_not_know() {
    let failed = [("np_4w3a8kz1", "describe timed out after 10s")];
    let mut s = oms_screen(
        oms(screen::now(), Some(Span::seconds(3)), &failed),
        (80, 30),
    );
    let mut writers = (*s.fleet.writers).clone();
    let unknown = writers
        .iter_mut()
        .find(|w| w.project.id == "np_4w3a8kz1")
        .expect("a writer of the project");
    unknown.status = WriterStatus::Unknown;
    unknown.backend_status = Some("MONITORING".into());
    let id = unknown.id.clone();
    s.fleet = Fleet::new(8, writers);
    s.detail = Some(DetailView {
        audit: Loadable::Loaded(Vec::new()),
        ..DetailView::new(id, HistoryWindow::Minutes15)
    });
    let text = screen::screen(&s);
    assert!(text.contains("MONITORING"), "{text}");
    assert!(
        text.contains("(a status jwctl does not know; act on it from the OMS console)"),
        "{text}"
    );
    assert!(
        text.contains("Backend     OMS https://oms.example:8089"),
        "{text}"
    );
    assert!(
        text.contains("Project not refreshed: describe timed out after 10s"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn detail_says_the_backend_is_simulated() {
    let mut s = screen::state(40, 3, (80, 30));
    s.detail = Some(DetailView {
        audit: Loadable::Loaded(Vec::new()),
        ..DetailView::new(s.fleet.writers[0].id.clone(), HistoryWindow::Minutes15)
    });
    let text = screen::screen(&s);
    assert!(text.contains("Backend     simulated"), "{text}");
    assert!(!text.contains("not refreshed"), "{text}");
}
