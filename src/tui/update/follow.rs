//! Following the controller's changes once the list is loaded: the event stream, polling
//! `?since=` when the stream cannot be opened, and applying deltas — in place on the UI
//! thread when they only change writers, by a new fleet built off it when they add or
//! remove writers.

use super::super::action::StreamEnd;
use super::super::changes;
use super::super::effect::Effect;
use super::super::state::{ConnectionState, Fleet, FollowMode, State};
use super::{batch, refresh};
use crate::api::{ErrorCode, WriterDelta};
use crate::client::ClientError;
use crate::domain::Writer;

/// Opens a new event stream from the fleet's revision (replacing any other).
pub(super) fn follow(state: &mut State) -> Vec<Effect> {
    state.follow.stream += 1;
    state.follow.mode = FollowMode::Streaming;
    vec![Effect::Follow {
        stream: state.follow.stream,
        since: state.fleet.revision,
    }]
}

/// The refresh timer fired: poll for changes while the stream cannot be opened, else load
/// the whole list (before the first load, and after failed ones).
pub(super) fn on_refresh_due(state: &mut State) -> Vec<Effect> {
    match state.follow.mode {
        FollowMode::Polling if !state.refresh_in_flight => {
            state.refresh_in_flight = true;
            vec![Effect::FetchSince {
                since: state.fleet.revision,
            }]
        }
        FollowMode::Polling => Vec::new(),
        FollowMode::Loading | FollowMode::Streaming => refresh::fetch_fleet(state),
    }
}

/// Once a second: while changes stream in, an OMS's freshness (last poll, failed projects),
/// which comes with the deployment, is asked for at the refresh interval.
pub(super) fn on_tick(state: &mut State) -> Vec<Effect> {
    let interval = chrono::Duration::from_std(state.settings.refresh).unwrap_or_default();
    let due = state
        .deployment_asked
        .is_none_or(|asked| state.now - asked >= interval);
    if state.oms_backend() && state.follow.mode == FollowMode::Streaming && due {
        state.deployment_asked = Some(state.now);
        return vec![Effect::FetchDeployment];
    }
    Vec::new()
}

/// An event of stream `stream`.
pub(super) fn on_delta_arrived(state: &mut State, stream: u64, delta: WriterDelta) -> Vec<Effect> {
    if stream != state.follow.stream {
        return Vec::new();
    }
    heard_from_controller(state);
    apply(state, delta)
}

/// Stream `stream` ended: after a reset the list is loaded again; otherwise the console
/// polls until the stream can be opened again.
pub(super) fn on_stream_ended(state: &mut State, stream: u64, end: StreamEnd) -> Vec<Effect> {
    if stream != state.follow.stream {
        return Vec::new();
    }
    match end {
        StreamEnd::Reset(reset) => {
            tracing::info!(revision = reset.revision, reason = %reset.reason, "the event stream was reset; reloading the list");
            state.follow.mode = FollowMode::Loading;
            refresh::fetch_fleet(state)
        }
        StreamEnd::Closed => {
            tracing::info!("the controller closed the event stream; polling");
            state.follow.mode = FollowMode::Polling;
            vec![Effect::ScheduleRefresh(state.settings.refresh)]
        }
        StreamEnd::Failed(error) => {
            tracing::warn!(%error, "the event stream failed; polling");
            state.follow.mode = FollowMode::Polling;
            vec![Effect::ScheduleRefresh(state.settings.refresh)]
        }
    }
}

/// Answer to a poll: applied, then the stream is tried again. A revision the controller no
/// longer has means a full reload.
pub(super) fn on_delta_loaded(
    state: &mut State,
    result: Result<WriterDelta, ClientError>,
) -> Vec<Effect> {
    state.refresh_in_flight = false;
    match result {
        Ok(delta) => {
            heard_from_controller(state);
            refresh::clear_pending_notice(state);
            let mut effects = apply(state, delta);
            effects.extend(follow(state));
            effects
        }
        Err(error) if error.code() == Some(ErrorCode::RevisionExpired.as_str()) => {
            state.follow.mode = FollowMode::Loading;
            refresh::fetch_fleet(state)
        }
        Err(error) => refresh::on_fleet_error(state, &error),
    }
}

/// Answer to `Effect::Rebuild`: the new fleet goes in, then the deltas that waited.
pub(super) fn on_rebuilt(state: &mut State, base: u64, fleet: Fleet) -> Vec<Effect> {
    if base != state.fleet.shape || !state.follow.rebuilding {
        // A full list replaced the fleet meanwhile.
        return Vec::new();
    }
    state.follow.rebuilding = false;
    let mut effects = refresh::install(state, fleet);
    for delta in std::mem::take(&mut state.follow.waiting) {
        effects.extend(apply(state, delta));
    }
    effects
}

/// A writer read afresh (the detail view opened): it replaces the one shown.
pub(super) fn on_writer_loaded(state: &mut State, result: Result<Writer, ClientError>) {
    match result {
        Ok(writer) => {
            let delta = WriterDelta {
                revision: state.fleet.revision,
                writers: vec![writer],
                ..WriterDelta::default()
            };
            if let Ok(changes) = state.fleet.in_place_changes(delta) {
                changes::apply(state, changes);
            }
        }
        Err(error) => tracing::warn!(%error, "reading a writer afresh failed"),
    }
}

/// Applies `delta` unless the fleet already holds its revision.
pub(super) fn apply(state: &mut State, delta: WriterDelta) -> Vec<Effect> {
    if state.follow.rebuilding {
        state.follow.waiting.push(delta);
        return Vec::new();
    }
    if delta.revision <= state.fleet.revision {
        return Vec::new();
    }
    let revision = delta.revision;
    match state.fleet.in_place_changes(delta) {
        Ok(changes) => {
            let rows: Vec<usize> = changes.iter().map(|&(row, _)| row).collect();
            changes::apply(state, changes);
            state.fleet.revision = revision;
            batch::on_changes(state, &rows);
            Vec::new()
        }
        Err(delta) => {
            state.follow.rebuilding = true;
            vec![Effect::Rebuild {
                fleet: state.fleet.clone(),
                deltas: vec![delta],
                now: state.now,
            }]
        }
    }
}

fn heard_from_controller(state: &mut State) {
    state.connection = ConnectionState::Connected;
    state.last_refresh = Some(state.now);
}
