//! The pure heart of the console: `update` turns one action into state changes and effects.
//! No I/O and no clock reads (`state.now` is stamped by the runtime), so it is tested
//! synchronously.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;

use crate::client::ClientError;
use crate::domain::{Writer, WriterStatus};

use super::action::Action;
use super::dialogs::DialogOutcome;
use super::effect::{Effect, SearchRequest};
use super::layout;
use super::state::{
    Column, ConnectionState, DetailPopup, Fleet, Loadable, Notice, NoticeLevel, PauseDialog, Popup,
    RegionPicker, SearchResults, StartDialog, State, StatusFilter, Submission,
};
use super::table;
use super::text_input::Edit;

/// How long a notice stays up.
pub const NOTICE_TTL: Duration = Duration::from_secs(6);
/// Wait before the first retry after a failed refresh; it doubles up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// Longest wait between retries.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Rows one wheel notch scrolls.
pub const WHEEL_ROWS: isize = 3;

/// The effects to run when the console opens: load the deployment and the writers.
pub fn init(state: &mut State) -> Vec<Effect> {
    state.refresh_in_flight = true;
    vec![Effect::FetchDeployment, Effect::FetchFleet]
}

/// Applies `action` to `state` and returns what the runtime must do next.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let effects = match action {
        Action::Key(key) => on_key(state, key),
        Action::Mouse(mouse) => on_mouse(state, mouse),
        Action::Resize(width, height) => {
            state.size = (width, height);
            Vec::new()
        }
        Action::Tick => {
            expire_notice(state);
            Vec::new()
        }
        Action::RefreshDue => fetch_fleet(state),
        Action::DeploymentLoaded(result) => on_deployment(state, result),
        Action::FleetLoaded(Ok(fleet)) => on_fleet(state, fleet),
        Action::FleetLoaded(Err(error)) => on_fleet_error(state, &error),
        Action::SearchDone {
            generation,
            results,
        } => {
            on_search_done(state, generation, results);
            Vec::new()
        }
        Action::StartFinished { id, result } => on_start_finished(state, &id, result),
        Action::PauseFinished { id, result } => on_pause_finished(state, &id, result),
        Action::AuditLoaded { id, result } => {
            if let Some(Popup::Detail(detail)) = &mut state.popup
                && detail.writer_id == id
            {
                detail.audit = match result {
                    Ok(entries) => Loadable::Loaded(entries),
                    Err(e) => Loadable::Failed(e.to_string()),
                };
            }
            Vec::new()
        }
        Action::Quit => quit(state),
    };
    // The banner and the terminal size change the page; keep the selection in view.
    table::keep_visible(state);
    effects
}

fn quit(state: &mut State) -> Vec<Effect> {
    state.quit = true;
    vec![Effect::Quit]
}

fn notify(state: &mut State, level: NoticeLevel, text: impl Into<String>) {
    state.notice = Some(Notice {
        text: text.into(),
        level,
        at: state.now,
    });
}

fn expire_notice(state: &mut State) {
    let ttl = chrono::Duration::from_std(NOTICE_TTL).unwrap_or_default();
    if state
        .notice
        .as_ref()
        .is_some_and(|notice| state.now - notice.at >= ttl)
    {
        state.notice = None;
    }
}

// ---------------------------------------------------------------------------------------
// Keys and mouse

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return quit(state);
    }
    if state.popup.is_some() {
        return on_popup_key(state, key);
    }
    if state.search.editing {
        return on_search_key(state, key);
    }
    on_table_key(state, key)
}

/// Keys that move the selection; shared by the table and the search box.
fn navigate(state: &mut State, code: KeyCode) -> bool {
    let page = isize::try_from(table::page_rows(state)).unwrap_or(isize::MAX);
    match code {
        KeyCode::Up => table::move_by(state, -1),
        KeyCode::Down => table::move_by(state, 1),
        KeyCode::PageUp => table::move_by(state, -page),
        KeyCode::PageDown => table::move_by(state, page),
        _ => return false,
    }
    true
}

fn on_table_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if navigate(state, key.code) {
        return Vec::new();
    }
    match key.code {
        KeyCode::Char('k') => table::move_by(state, -1),
        KeyCode::Char('j') => table::move_by(state, 1),
        KeyCode::Char('g') | KeyCode::Home => table::select(state, 0),
        KeyCode::Char('G') | KeyCode::End => table::select(state, usize::MAX),
        KeyCode::Char('/') => {
            state.search.editing = true;
            let len = state.search.input.value.chars().count();
            state.search.input.cursor = len;
        }
        KeyCode::Esc if state.query().is_some() => return clear_search(state),
        KeyCode::Char('r') => open_region_picker(state),
        KeyCode::Char('f') => {
            state.filter.status = match state.filter.status {
                StatusFilter::All => StatusFilter::Running,
                StatusFilter::Running => StatusFilter::NotRunning,
                StatusFilter::NotRunning => StatusFilter::All,
            };
            table::recompute(state);
        }
        KeyCode::Char('o') => {
            state.sort.column = next_column(state.sort.column, state.multi_region());
            state.sort.descending = false;
            state.search.relevance = false;
            table::recompute(state);
        }
        KeyCode::Char('O') => {
            state.sort.descending = !state.sort.descending;
            state.search.relevance = false;
            table::recompute(state);
        }
        KeyCode::Enter => return open_detail(state),
        KeyCode::Char('s') => open_start(state),
        KeyCode::Char('p') => open_pause(state),
        KeyCode::Char('?') => state.popup = Some(Popup::Help),
        KeyCode::Char('q') => return quit(state),
        _ => {}
    }
    Vec::new()
}

/// The column after `column` in display order, skipping Region in a single-region deployment.
pub fn next_column(column: Column, multi_region: bool) -> Column {
    let columns: Vec<Column> = Column::ALL
        .into_iter()
        .filter(|&c| multi_region || c != Column::Region)
        .collect();
    let at = columns.iter().position(|&c| c == column).unwrap_or(0);
    columns
        .get((at + 1) % columns.len())
        .copied()
        .unwrap_or(Column::Name)
}

fn on_mouse(state: &mut State, mouse: MouseEvent) -> Vec<Effect> {
    if let Some(Popup::Detail(detail)) = &mut state.popup {
        match mouse.kind {
            MouseEventKind::ScrollDown => detail.scroll = detail.scroll.saturating_add(3),
            MouseEventKind::ScrollUp => detail.scroll = detail.scroll.saturating_sub(3),
            _ => {}
        }
        return Vec::new();
    }
    if state.popup.is_some() {
        return Vec::new();
    }
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            let (width, height) = state.size;
            let area = Rect::new(0, 0, width, height);
            let at = layout::layout(area, state.banner_visible())
                .and_then(|areas| areas.body_row_at(mouse.column, mouse.row))
                .map(|row| state.table.offset + row)
                .filter(|&pos| pos < state.table.rows.len());
            if let Some(pos) = at {
                table::select(state, pos);
            }
        }
        MouseEventKind::ScrollDown => table::scroll_by(state, WHEEL_ROWS),
        MouseEventKind::ScrollUp => table::scroll_by(state, -WHEEL_ROWS),
        _ => {}
    }
    Vec::new()
}

// ---------------------------------------------------------------------------------------
// Search

fn on_search_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Enter => {
            state.search.editing = false;
            Vec::new()
        }
        KeyCode::Esc => clear_search(state),
        code if navigate(state, code) => Vec::new(),
        _ => match state.search.input.handle_key(key) {
            Edit::Changed => query_changed(state),
            Edit::Moved | Edit::Ignored => Vec::new(),
        },
    }
}

fn clear_search(state: &mut State) -> Vec<Effect> {
    state.search.editing = false;
    state.search.input.clear();
    query_changed(state)
}

/// The query text changed: search again (narrowing when it only grew), or drop the results.
fn query_changed(state: &mut State) -> Vec<Effect> {
    state.search.relevance = true;
    state.search.generation += 1;
    let Some(query) = state.query().map(str::to_string) else {
        state.search.results = None;
        state.search.pending = false;
        table::recompute(state);
        return Vec::new();
    };
    let needle = query.to_lowercase();
    let within = state
        .search
        .results
        .as_ref()
        .filter(|r| {
            r.revision == state.fleet.revision && needle.starts_with(&r.query.to_lowercase())
        })
        .map(|r| Arc::clone(&r.hits));
    vec![search_effect(state, query, within)]
}

fn search_effect(
    state: &mut State,
    query: String,
    within: Option<Arc<Vec<crate::search::SearchHit>>>,
) -> Effect {
    state.search.pending = true;
    Effect::Search(SearchRequest {
        generation: state.search.generation,
        query,
        revision: state.fleet.revision,
        index: Arc::clone(&state.fleet.index),
        within,
    })
}

fn on_search_done(state: &mut State, generation: u64, results: SearchResults) {
    if generation != state.search.generation || results.revision != state.fleet.revision {
        return;
    }
    state.search.pending = false;
    state.search.results = Some(results);
    table::recompute(state);
}

// ---------------------------------------------------------------------------------------
// Refresh

fn fetch_fleet(state: &mut State) -> Vec<Effect> {
    if state.refresh_in_flight {
        return Vec::new();
    }
    state.refresh_in_flight = true;
    vec![Effect::FetchFleet]
}

fn on_deployment(
    state: &mut State,
    result: Result<crate::api::Deployment, ClientError>,
) -> Vec<Effect> {
    match result {
        Ok(deployment) => {
            if !deployment.multi_region {
                state.filter.regions.clear();
                if state.sort.column == Column::Region {
                    state.sort = Default::default();
                }
            } else {
                state
                    .filter
                    .regions
                    .retain(|r| deployment.regions.contains(r));
            }
            state.deployment = Some(deployment);
            table::recompute(state);
        }
        // Tried again with the next refresh.
        Err(error) => tracing::warn!(%error, "loading the deployment failed"),
    }
    Vec::new()
}

fn on_fleet(state: &mut State, fleet: Fleet) -> Vec<Effect> {
    state.refresh_in_flight = false;
    state.connection = ConnectionState::Connected;
    state.last_refresh = Some(state.now);
    let same_writers = Arc::ptr_eq(&state.fleet.writers, &fleet.writers)
        || (state.fleet.writers.len() == fleet.writers.len()
            && state
                .fleet
                .writers
                .iter()
                .zip(fleet.writers.iter())
                .all(|(old, new)| old.id == new.id));
    // Same writers in the same places: the old hits stay valid until the new search is in,
    // so the filtered table does not flicker.
    match &mut state.search.results {
        Some(results) if same_writers && results.revision == state.fleet.revision => {
            results.revision = fleet.revision;
        }
        _ => state.search.results = None,
    }
    state.fleet = fleet;
    let mut effects = Vec::new();
    if let Some(query) = state.query().map(str::to_string) {
        state.search.generation += 1;
        effects.push(search_effect(state, query, None));
    }
    table::recompute(state);
    if state.deployment.is_none() {
        effects.push(Effect::FetchDeployment);
    }
    effects.push(Effect::ScheduleRefresh(state.settings.refresh));
    effects
}

/// Wait before retry number `attempts` (1-based): 1 s, 2 s, 4 s, … at most 30 s.
pub fn backoff(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(16);
    FIRST_BACKOFF
        .saturating_mul(1 << doublings)
        .min(MAX_BACKOFF)
}

fn on_fleet_error(state: &mut State, error: &ClientError) -> Vec<Effect> {
    state.refresh_in_flight = false;
    let attempts = match &state.connection {
        ConnectionState::Failed { attempts, .. } => attempts.saturating_add(1),
        _ => 1,
    };
    let wait = backoff(attempts);
    let retry_at = state.now + chrono::Duration::from_std(wait).unwrap_or_default();
    state.connection = ConnectionState::Failed {
        error: error.to_string(),
        attempts,
        retry_at,
    };
    vec![Effect::ScheduleRefresh(wait)]
}

// ---------------------------------------------------------------------------------------
// Popups

fn open_region_picker(state: &mut State) {
    match &state.deployment {
        None => notify(
            state,
            NoticeLevel::Info,
            "The regions are not known yet; try again once the controller answers",
        ),
        Some(d) if !d.multi_region => {
            let text = match d.regions.first() {
                Some(region) => format!("Single-region deployment: every writer is in {region}"),
                None => "Single-region deployment: there is no region to choose".to_string(),
            };
            notify(state, NoticeLevel::Info, text);
        }
        Some(_) => state.popup = Some(Popup::Regions(RegionPicker::new(&state.filter.regions))),
    }
}

fn open_detail(state: &mut State) -> Vec<Effect> {
    let Some(id) = state.selected_writer().map(|w| w.id.clone()) else {
        return Vec::new();
    };
    state.popup = Some(Popup::Detail(DetailPopup {
        writer_id: id.clone(),
        audit: Loadable::Loading,
        scroll: 0,
    }));
    vec![Effect::FetchAudit { id }]
}

fn open_start(state: &mut State) {
    let Some(writer) = state.selected_writer().cloned() else {
        notify(state, NoticeLevel::Info, "No writer selected");
        return;
    };
    let why_not = match writer.status {
        WriterStatus::Stopped | WriterStatus::Failed => None,
        WriterStatus::Running | WriterStatus::Starting => Some("pause it first"),
        WriterStatus::Pausing => Some("wait until it has stopped"),
    };
    match why_not {
        None => state.popup = Some(Popup::Start(StartDialog::new(writer))),
        Some(advice) => notify(
            state,
            NoticeLevel::Warning,
            format!("{} is {}; {advice}", writer.name, writer.status),
        ),
    }
}

fn open_pause(state: &mut State) {
    let Some(writer) = state.selected_writer().cloned() else {
        notify(state, NoticeLevel::Info, "No writer selected");
        return;
    };
    if writer.status.can_pause() {
        state.popup = Some(Popup::Pause(PauseDialog::new(writer)));
        return;
    }
    let text = match writer.status {
        WriterStatus::Pausing => format!("{} is already pausing", writer.name),
        WriterStatus::Failed => format!("{} has failed and is not running", writer.name),
        _ => format!("{} is already stopped", writer.name),
    };
    notify(state, NoticeLevel::Warning, text);
}

fn on_popup_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    let Some(popup) = state.popup.as_mut() else {
        return Vec::new();
    };
    match popup {
        Popup::Help => {
            if matches!(
                key.code,
                KeyCode::Esc | KeyCode::Char('q' | '?') | KeyCode::Enter
            ) {
                state.popup = None;
            }
        }
        Popup::Detail(detail) => match key.code {
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => state.popup = None,
            KeyCode::Up | KeyCode::Char('k') => detail.scroll = detail.scroll.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => detail.scroll = detail.scroll.saturating_add(1),
            KeyCode::PageUp => detail.scroll = detail.scroll.saturating_sub(10),
            KeyCode::PageDown => detail.scroll = detail.scroll.saturating_add(10),
            KeyCode::Home | KeyCode::Char('g') => detail.scroll = 0,
            _ => {}
        },
        Popup::Regions(picker) => {
            let regions = state
                .deployment
                .as_ref()
                .map(|d| d.regions.clone())
                .unwrap_or_default();
            match picker.handle_key(key, &regions) {
                DialogOutcome::Stay => {}
                DialogOutcome::Cancel => state.popup = None,
                DialogOutcome::Submit(chosen) => {
                    state.popup = None;
                    state.filter.regions = chosen;
                    table::recompute(state);
                }
            }
        }
        Popup::Start(dialog) => match dialog.handle_key(key, state.now, &state.zone) {
            DialogOutcome::Stay => {}
            DialogOutcome::Cancel => state.popup = None,
            DialogOutcome::Submit(replay_from) => {
                return vec![Effect::Start {
                    id: dialog.writer.id.clone(),
                    replay_from,
                    if_match: dialog.writer.version,
                }];
            }
        },
        Popup::Pause(dialog) => match dialog.handle_key(key) {
            DialogOutcome::Stay => {}
            DialogOutcome::Cancel => state.popup = None,
            DialogOutcome::Submit(()) => {
                return vec![Effect::Pause {
                    id: dialog.writer.id.clone(),
                    if_match: dialog.writer.version,
                }];
            }
        },
    }
    Vec::new()
}

// ---------------------------------------------------------------------------------------
// Results of operations

/// What the operator saw of a writer when asking for an operation.
struct Asked {
    /// The writer as the dialog showed it, when the dialog is still open and waiting.
    dialog_writer: Option<Writer>,
    /// For Start: whether the dialog asked to replay data.
    replay: bool,
}

fn waiting_start(state: &State, id: &str) -> Option<Asked> {
    match &state.popup {
        Some(Popup::Start(d)) if d.writer.id == id && d.submission == Submission::InFlight => {
            Some(Asked {
                dialog_writer: Some(d.writer.clone()),
                replay: d.replay,
            })
        }
        _ => None,
    }
}

fn waiting_pause(state: &State, id: &str) -> Option<Asked> {
    match &state.popup {
        Some(Popup::Pause(d)) if d.writer.id == id && d.submission == Submission::InFlight => {
            Some(Asked {
                dialog_writer: Some(d.writer.clone()),
                replay: false,
            })
        }
        _ => None,
    }
}

/// Replaces writer `updated` in the fleet shown, so the table reflects an operation at once.
fn patch_writer(state: &mut State, updated: Writer) {
    // A refresh may already have brought a newer state of the writer.
    let Some(pos) = state
        .fleet
        .writers
        .iter()
        .position(|w| w.id == updated.id && w.version <= updated.version)
    else {
        return;
    };
    if let Some(slot) = Arc::make_mut(&mut state.fleet.writers).get_mut(pos) {
        *slot = updated;
    }
    table::recompute(state);
}

fn name_of(state: &State, id: &str) -> String {
    state
        .fleet
        .writers
        .iter()
        .find(|w| w.id == id)
        .map_or_else(|| id.to_string(), |w| w.name.clone())
}

/// Whether the controller changed nothing: the writer is at the version the dialog showed.
fn unchanged(asked: Option<&Asked>, writer: &Writer) -> bool {
    asked
        .and_then(|a| a.dialog_writer.as_ref())
        .is_some_and(|before| before.version == writer.version)
}

/// A start or pause went through: close its dialog if it still waits, say `text`, and show
/// the writer as the controller returned it.
fn operation_done(
    state: &mut State,
    asked: Option<&Asked>,
    writer: Writer,
    text: String,
) -> Vec<Effect> {
    if asked.is_some() {
        state.popup = None;
    }
    notify(state, NoticeLevel::Success, text);
    patch_writer(state, writer);
    Vec::new()
}

fn on_start_finished(
    state: &mut State,
    id: &str,
    result: Result<Writer, ClientError>,
) -> Vec<Effect> {
    let asked = waiting_start(state, id);
    match result {
        Ok(writer) => {
            let text = if unchanged(asked.as_ref(), &writer) {
                format!("{} is already running; nothing to do", writer.name)
            } else if let Some(at) = writer
                .checkpoint
                .filter(|_| asked.as_ref().is_some_and(|a| a.replay))
            {
                // The controller reset the checkpoint to the replay timestamp.
                format!(
                    "Started {}, replaying from {} ({})",
                    writer.name,
                    state.zone.format(at),
                    state.zone
                )
            } else {
                format!("Started {}", writer.name)
            };
            operation_done(state, asked.as_ref(), writer, text)
        }
        Err(error) => operation_failed(state, id, "Starting", asked, &error),
    }
}

fn on_pause_finished(
    state: &mut State,
    id: &str,
    result: Result<Writer, ClientError>,
) -> Vec<Effect> {
    let asked = waiting_pause(state, id);
    match result {
        Ok(writer) => {
            let text = if unchanged(asked.as_ref(), &writer) {
                format!("{} is already stopped; nothing to do", writer.name)
            } else {
                let checkpoint = writer.checkpoint.map_or_else(
                    || "no checkpoint yet".to_string(),
                    |at| format!("checkpoint kept at {}", state.zone.format(at)),
                );
                format!(
                    "Paused {}: it stops writing until started again; {checkpoint}",
                    writer.name
                )
            };
            operation_done(state, asked.as_ref(), writer, text)
        }
        Err(error) => operation_failed(state, id, "Pausing", asked, &error),
    }
}

/// A start or pause was refused or failed: the dialog (if still waiting) shows why and stays
/// open; otherwise a notice does. A version mismatch also reloads the writers.
fn operation_failed(
    state: &mut State,
    id: &str,
    doing: &str,
    asked: Option<Asked>,
    error: &ClientError,
) -> Vec<Effect> {
    let conflict = error.code() == Some("version_mismatch");
    let name = asked
        .as_ref()
        .and_then(|a| a.dialog_writer.as_ref())
        .map_or_else(|| name_of(state, id), |w| w.name.clone());
    let message = if conflict {
        // Name the writer's new status only when the fleet shows it changed since the dialog
        // opened; otherwise the fleet may still hold the old state.
        let now = state
            .fleet
            .writers
            .iter()
            .find(|w| w.id == id)
            .filter(|w| {
                asked
                    .as_ref()
                    .and_then(|a| a.dialog_writer.as_ref())
                    .is_some_and(|before| before.version != w.version)
            })
            .map(|w| format!(" (now {})", w.status))
            .unwrap_or_default();
        if asked.is_some() {
            format!(
                "{name} was changed by someone else since this dialog opened{now}; press Esc and check it"
            )
        } else {
            format!("{name} was changed by someone else meanwhile{now}; check it and try again")
        }
    } else {
        error.to_string()
    };
    let shown_in_dialog = match &mut state.popup {
        Some(Popup::Start(d)) if asked.is_some() => {
            d.submission = Submission::Idle;
            d.error = Some(message.clone());
            true
        }
        Some(Popup::Pause(d)) if asked.is_some() => {
            d.submission = Submission::Idle;
            d.error = Some(message.clone());
            true
        }
        _ => false,
    };
    if !shown_in_dialog {
        notify(
            state,
            NoticeLevel::Error,
            format!("{doing} {name} failed: {message}"),
        );
    }
    if conflict {
        fetch_fleet(state)
    } else {
        Vec::new()
    }
}
