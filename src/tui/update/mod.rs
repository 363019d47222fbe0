//! The pure heart of the console: `update` turns one action into state changes and effects.
//! No I/O and no clock reads (`state.now` is stamped by the runtime), so it is tested
//! synchronously. A key goes to the mode on top — popup, command line, detail view, search
//! box or table — through that mode's keymap; below the smallest size the console draws,
//! only quitting acts.

mod batch;
mod command;
mod detail;
mod dialogs;
mod follow;
mod health;
mod refresh;
mod results;
mod search;
mod table;
mod trend;

use std::time::Duration;

use crossterm::event::{KeyEvent, KeyEventKind};

use super::action::Action;
use super::effect::Effect;
use super::keymap::{self, Command};
use super::memory::ViewMemory;
use super::state::{Loadable, Mode, Notice, NoticeLevel, State};
use crate::api::{Identity, Role};
use crate::client::ClientError;

pub use refresh::backoff;
pub use table::next_column;

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
    vec![
        Effect::FetchIdentity,
        Effect::FetchDeployment,
        Effect::FetchFleet,
    ]
}

/// Applies `action` to `state` and returns what the runtime must do next.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let before = remembered(state);
    let mut effects = match action {
        Action::Key(key) => on_key(state, key),
        Action::Mouse(mouse) => table::on_mouse(state, mouse),
        Action::Resize(width, height) => {
            state.size = (width, height);
            if state.fits() {
                state.ignored_keys = 0;
            }
            Vec::new()
        }
        Action::Tick => {
            expire_notice(state);
            if state.table.outdated {
                super::table::recompute(state);
            }
            batch::on_tick(state);
            health::on_tick(state);
            let mut effects = follow::on_tick(state);
            effects.extend(detail::on_tick(state));
            effects
        }
        Action::RefreshDue => follow::on_refresh_due(state),
        Action::DeltaArrived { stream, delta } => follow::on_delta_arrived(state, stream, delta),
        Action::StreamEnded { stream, end } => follow::on_stream_ended(state, stream, end),
        Action::DeltaLoaded(result) => follow::on_delta_loaded(state, result),
        Action::FleetRebuilt { base, fleet } => follow::on_rebuilt(state, base, fleet),
        Action::WriterLoaded(result) => {
            follow::on_writer_loaded(state, result.map(|writer| *writer));
            Vec::new()
        }
        Action::DeploymentLoaded(result) => refresh::on_deployment(state, result),
        Action::IdentityLoaded(result) => {
            on_identity(state, result);
            Vec::new()
        }
        Action::LoadProgress(bytes) => {
            if state.refresh_in_flight {
                state.loading = Some(bytes);
            }
            Vec::new()
        }
        Action::FleetLoaded(Ok(fleet)) => {
            state.loading = None;
            refresh::on_fleet(state, fleet)
        }
        Action::FleetLoaded(Err(error)) => {
            state.loading = None;
            refresh::on_fleet_error(state, &error)
        }
        Action::SearchDone {
            generation,
            results,
        } => {
            search::on_search_done(state, generation, results);
            Vec::new()
        }
        Action::OperationFinished { operation, result } => {
            results::on_operation(state, operation, result.map(|writer| *writer))
        }
        Action::AuditLoaded { id, result } => {
            if let Some(detail) = &mut state.detail
                && detail.writer_id == id
            {
                detail.audit = match result {
                    Ok(entries) => Loadable::Loaded(entries),
                    Err(e) => Loadable::Failed(e.to_string()),
                };
            }
            Vec::new()
        }
        Action::HistoryLoaded { id, window, result } => {
            detail::on_history_loaded(state, &id, window, result.map(|h| *h));
            Vec::new()
        }
        Action::TrendsLoaded { ids, result } => {
            trend::on_loaded(state, &ids, result);
            Vec::new()
        }
        Action::Quit => quit(state),
    };
    // The banner and the terminal size change the page; keep the selection in view.
    super::table::keep_visible(state);
    effects.extend(trend::fetch_due(state));
    if let Some(view) = remembered(state)
        && before.as_ref() != Some(&view)
    {
        effects.push(Effect::SaveView(view));
    }
    effects
}

/// The view to remember, unless the operator is typing a search (it is saved once kept).
fn remembered(state: &State) -> Option<ViewMemory> {
    (!state.search.editing).then(|| ViewMemory::of(state))
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    match state.mode() {
        Mode::TooSmall => match keymap::TOO_SMALL.command(&key) {
            Some(Command::Quit) => quit(state),
            _ => {
                state.ignored_keys = state.ignored_keys.saturating_add(1);
                Vec::new()
            }
        },
        Mode::Table => table::on_key(state, keymap::TABLE.command(&key)),
        Mode::Search => search::on_key(state, key),
        Mode::Command => command::on_key(state, key),
        Mode::Detail => detail::on_detail_key(state, keymap::DETAIL.command(&key)),
        Mode::Help => dialogs::on_help_key(state, keymap::HELP.command(&key)),
        Mode::Regions => dialogs::on_regions_key(state, keymap::REGIONS.command(&key)),
        Mode::Health => health::on_key(state, keymap::HEALTH.command(&key)),
        Mode::Start => dialogs::on_start_key(state, key),
        Mode::Pause => dialogs::on_pause_key(state, keymap::PAUSE.command(&key)),
        Mode::BatchRunning => batch::on_running_key(state, keymap::BATCH_RUNNING.command(&key)),
        Mode::BatchResults => batch::on_results_key(state, keymap::BATCH_RESULTS.command(&key)),
    }
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

/// Who the token authenticates: a viewer's console turns read-only. A controller that cannot
/// say (one from before identities) leaves the console as it was.
fn on_identity(state: &mut State, result: Result<Identity, ClientError>) {
    match result {
        Ok(identity) => {
            if !identity.role.allows(Role::Operator) {
                state.settings.read_only = true;
            }
            state.identity = Some(identity);
        }
        Err(error) => tracing::info!(%error, "the controller did not say who the token is"),
    }
}

/// Says why a start or pause is not offered, when the console is read-only.
fn refuse_when_read_only(state: &mut State) -> bool {
    if state.settings.read_only {
        let message = match &state.identity {
            Some(identity) if !identity.role.allows(Role::Operator) => format!(
                "READ-ONLY: {} is a {}; starting and pausing need an identity with the \
                 operator role",
                identity.name, identity.role
            ),
            _ => "READ-ONLY: this console starts and pauses nothing (--read-only or \
                  read_only = true in the config)"
                .to_string(),
        };
        notify(state, NoticeLevel::Warning, message);
    }
    state.settings.read_only
}
