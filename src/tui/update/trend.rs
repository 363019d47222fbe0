//! Keeping the trend column's series for the rows on screen: asked for after any action that
//! leaves visible rows without a fresh series, in one request.

use super::super::effect::Effect;
use super::super::state::State;
use super::super::table::page_rows;
use crate::api::HistorySeries;
use crate::client::ClientError;

/// The request for the visible rows' series, when the column shows and some are missing or
/// a step old (and none is awaited).
pub(super) fn fetch_due(state: &mut State) -> Option<Effect> {
    if !state.trends.shown(state.size.0) || !state.fits() || state.detail.is_some() {
        return None;
    }
    let table = &state.table;
    let visible = table
        .rows
        .iter()
        .skip(table.offset)
        .take(page_rows(state))
        .filter_map(|&row| state.fleet.writers.get(row).map(|w| w.id.as_str()));
    let ids = state.trends.due(visible, state.now);
    if ids.is_empty() {
        return None;
    }
    state.trends.asked();
    Some(Effect::FetchTrends { ids })
}

/// The series arrived (or not: the column keeps what it showed and asks again a step later).
pub(super) fn on_loaded(
    state: &mut State,
    ids: &[String],
    result: Result<HistorySeries, ClientError>,
) {
    state.trends.answered(result.ok(), ids, state.now);
}
