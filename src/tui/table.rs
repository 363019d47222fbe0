//! Which writers the table shows, in which order, and keeping the selection put while rows
//! change underneath it.
//!
//! Rows are indices into `fleet.writers`; writers are never cloned. Sorting compares integer
//! keys (ranks of the text columns are computed once per fleet, off the UI thread); ties
//! always fall back to the name.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;

use ratatui::layout::Rect;

use crate::domain::{LatencyBand, Writer, WriterKind, WriterStatus};

use super::layout;
use super::state::{Column, Sort, State};

/// How many writer rows one page of the table has at the current terminal size (at least 1).
pub fn page_rows(state: &State) -> usize {
    let (width, height) = state.size;
    layout::layout(Rect::new(0, 0, width, height), state.banner_visible())
        .map_or(1, |areas| areas.body_rows())
        .max(1)
}

/// Recomputes `state.table.rows` from the fleet, filters, search results and sort, then puts
/// the selection back on the same writer (or the same position if it vanished).
pub fn recompute(state: &mut State) {
    let (rows, keys) = visible(state);
    state.table.rows = rows;
    state.table.keys = keys;
    state.table.status_counts = status_counts(state);
    state.table.outdated = false;
    reselect(state);
}

/// Writers in `state.table.rows` per status, in `WriterStatus::ALL` order.
pub fn status_counts(state: &State) -> [usize; WriterStatus::ALL.len()] {
    let mut counts = [0; WriterStatus::ALL.len()];
    for &row in &state.table.rows {
        if let Some(slot) = state
            .fleet
            .statuses
            .get(row)
            .and_then(|status| counts.get_mut(status.index()))
        {
            *slot += 1;
        }
    }
    counts
}

/// Whether the table's filters (status, regions) let the writer at `row` in. By position:
/// the statuses are compact, and most tables filter by no region.
pub fn admits(state: &State, row: usize) -> bool {
    let fleet = &state.fleet;
    fleet
        .statuses
        .get(row)
        .is_some_and(|&status| state.filter.status.contains(status))
        && (state.filter.regions.is_empty()
            || fleet
                .writers
                .get(row)
                .is_some_and(|w| state.filter.regions.contains(w.region.as_str())))
        && state.filter.latency.is_none_or(|band| {
            fleet
                .latency_ms(row, state.now)
                .is_some_and(|ms| LatencyBand::of(ms) == band)
        })
}

/// The rows the table should show, in display order.
pub fn visible_rows(state: &State) -> Vec<usize> {
    visible(state).0
}

/// The rows the table should show, in display order, with their sort keys when they are
/// sorted by a column (none in best-match order).
fn visible(state: &State) -> (Vec<usize>, Vec<SortKey>) {
    let writers = state.fleet.writers.as_slice();
    let ranks = &state.fleet.ranks;
    let admits = |row: usize| admits(state, row);
    let hits = state
        .query()
        .and(state.search.results.as_ref())
        .filter(|results| results.shape == state.fleet.shape)
        .map(|results| results.hits.as_slice());
    match hits {
        Some(hits) if state.search.relevance => {
            let rows = hits
                .iter()
                .map(|hit| hit.row)
                .filter(|&row| admits(row))
                .collect();
            (rows, Vec::new())
        }
        Some(hits) => {
            let mut hit = vec![false; writers.len()];
            for h in hits {
                if let Some(slot) = hit.get_mut(h.row) {
                    *slot = true;
                }
            }
            sorted(writers, ranks, state.sort, |row| {
                hit.get(row).copied().unwrap_or(false) && admits(row)
            })
        }
        None => sorted(writers, ranks, state.sort, admits),
    }
}

/// Per-writer ranks of the text columns (equal values share a rank), computed once per fleet
/// off the UI thread (in `Fleet::new`), so sorting 100k rows compares integers, not strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SortRanks {
    pub name: Vec<u32>,
    pub server_ip: Vec<u32>,
    pub project: Vec<u32>,
    pub region: Vec<u32>,
}

impl SortRanks {
    /// Ranks of `writers` by name, server IP (numeric for IP addresses), project (name, then
    /// ID) and region.
    pub fn build(writers: &[Writer]) -> Self {
        SortRanks {
            name: ranks(writers, |a, b| a.name.cmp(&b.name)),
            server_ip: grouped_ranks(writers, |w| w.server_ip.as_str(), |w| ip_key(&w.server_ip)),
            project: grouped_ranks(
                writers,
                |w| (w.project.name.as_str(), w.project.id.as_str()),
                |w| (w.project.name.as_str(), w.project.id.as_str()),
            ),
            region: grouped_ranks(writers, |w| w.region.as_str(), |w| w.region.as_str()),
        }
    }
}

/// Sort key of a server IP: IPv4 addresses in numeric order, then IPv6, then anything else
/// as text.
fn ip_key(ip: &str) -> (u8, u128, &str) {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => (0, u128::from(u32::from(v4)), ""),
        Ok(IpAddr::V6(v6)) => (1, u128::from(v6), ""),
        Err(_) => (2, 0, ip),
    }
}

/// The rank of each item in the order `cmp` gives; equal items share a rank.
fn ranks<T>(items: &[T], cmp: impl Fn(&T, &T) -> Ordering) -> Vec<u32> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_unstable_by(|&a, &b| cmp(&items[a], &items[b]));
    let mut ranks = vec![0; items.len()];
    let mut rank = 0;
    for (at, &item) in order.iter().enumerate() {
        if at > 0 && cmp(&items[order[at - 1]], &items[item]) != Ordering::Equal {
            rank = u32::try_from(at).unwrap_or(u32::MAX);
        }
        ranks[item] = rank;
    }
    ranks
}

/// The ranks [`ranks`] gives by `key`, sorting each distinct `group` once instead of every
/// item: for columns many writers share values of (servers, projects, regions). Items of
/// one group must have equal keys; different groups may too (they then share a rank).
fn grouped_ranks<'a, T, G: Hash + Eq, K: Ord>(
    items: &'a [T],
    group: impl Fn(&'a T) -> G,
    key: impl Fn(&'a T) -> K,
) -> Vec<u32> {
    let mut groups: HashMap<G, usize> = HashMap::new();
    // Each group's key and how many items it has.
    let mut keys: Vec<(K, usize)> = Vec::new();
    let of_item: Vec<usize> = items
        .iter()
        .map(|item| {
            let at = *groups.entry(group(item)).or_insert_with(|| {
                keys.push((key(item), 0));
                keys.len() - 1
            });
            if let Some((_, count)) = keys.get_mut(at) {
                *count += 1;
            }
            at
        })
        .collect();
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_unstable_by(|&a, &b| keys[a].0.cmp(&keys[b].0));
    let mut group_ranks = vec![0; keys.len()];
    let (mut before, mut rank) = (0, 0);
    for (at, &group) in order.iter().enumerate() {
        if at > 0 && keys[order[at - 1]].0 != keys[group].0 {
            rank = u32::try_from(before).unwrap_or(u32::MAX);
        }
        group_ranks[group] = rank;
        before += keys[group].1;
    }
    of_item.iter().map(|&group| group_ranks[group]).collect()
}

/// Where a writer sorts: the chosen column's value (inverted when descending), then the
/// name's rank, then the position, so every row has its own key.
pub type SortKey = (u64, u32, u32);

/// The sort key of `writer`, at position `row` of the fleet. Missing latency or checkpoint
/// sorts lowest.
pub fn sort_key(writer: &Writer, row: usize, ranks: &SortRanks, sort: Sort) -> SortKey {
    let rank = |ranks: &[u32]| u64::from(ranks.get(row).copied().unwrap_or(u32::MAX));
    let key = match sort.column {
        Column::Name => rank(&ranks.name),
        Column::ServerIp => rank(&ranks.server_ip),
        Column::Project => rank(&ranks.project),
        Column::Region => rank(&ranks.region),
        Column::Kind => match writer.kind {
            WriterKind::Full => 0,
            WriterKind::Incremental => 1,
        },
        Column::Status => WriterStatus::ALL
            .iter()
            .position(|&s| s == writer.status)
            .map_or(0, |at| at as u64),
        Column::Latency => writer.latency_ms.map_or(0, |ms| ms.saturating_add(1)),
        // Order-preserving i64 -> u64, with 0 left for "none".
        Column::Checkpoint => writer.checkpoint.map_or(0, |at| {
            ((at.timestamp_millis() as u64) ^ (1 << 63)).saturating_add(1)
        }),
    };
    let key = if sort.descending { !key } else { key };
    let name = ranks.name.get(row).copied().unwrap_or(u32::MAX);
    (key, name, u32::try_from(row).unwrap_or(u32::MAX))
}

/// Rows of `writers` whose position passes `keep`, ordered by `sort` with ties by name (ascending), and
/// their keys.
pub fn sorted(
    writers: &[Writer],
    ranks: &SortRanks,
    sort: Sort,
    keep: impl Fn(usize) -> bool,
) -> (Vec<usize>, Vec<SortKey>) {
    let mut keyed: Vec<SortKey> = writers
        .iter()
        .enumerate()
        .filter(|&(row, _)| keep(row))
        .map(|(row, w)| sort_key(w, row, ranks, sort))
        .collect();
    keyed.sort_unstable();
    let rows = keyed.iter().map(|&(_, _, row)| row as usize).collect();
    (rows, keyed)
}

/// Finds the selected writer again after `rows` changed; keeps the position (clamped) when
/// it is gone, then scrolls only as far as needed to keep it visible.
pub fn reselect(state: &mut State) {
    fn id_at(state: &State, pos: usize) -> Option<&str> {
        state
            .table
            .rows
            .get(pos)
            .and_then(|&row| state.fleet.writers.get(row))
            .map(|w| w.id.as_str())
    }
    if let Some(id) = state.table.selected_id.as_deref()
        && id_at(state, state.table.selected) != Some(id)
        && let Some(pos) = position_of(state, id)
    {
        state.table.selected = pos;
    }
    let last = state.table.rows.len().saturating_sub(1);
    state.table.selected = state.table.selected.min(last);
    state.table.selected_id = id_at(state, state.table.selected).map(str::to_string);
    keep_visible(state);
}

/// Where writer `id` is in the table: found by its sort key when the table is sorted by a
/// column, looked for when it is in best-match order.
fn position_of(state: &State, id: &str) -> Option<usize> {
    let fleet = &state.fleet;
    let row = fleet.row_of(id)?;
    let rows = &state.table.rows;
    let best_match_order = state.search.relevance
        && state
            .query()
            .and(state.search.results.as_ref())
            .is_some_and(|results| results.shape == fleet.shape);
    if best_match_order {
        return rows.iter().position(|&r| r == row);
    }
    let writer = fleet.writers.get(row)?;
    let key = sort_key(writer, row, &fleet.ranks, state.sort);
    let at = state.table.keys.partition_point(|&k| k < key);
    (rows.get(at) == Some(&row)).then_some(at)
}

/// Moves the selection to `pos` (clamped) and scrolls just enough to show it.
pub fn select(state: &mut State, pos: usize) {
    let last = state.table.rows.len().saturating_sub(1);
    state.table.selected = pos.min(last);
    state.table.selected_id = state.selected_writer().map(|w| w.id.clone());
    keep_visible(state);
}

/// Moves the selection by `delta` rows.
pub fn move_by(state: &mut State, delta: isize) {
    let pos = state.table.selected.saturating_add_signed(delta);
    select(state, pos);
}

/// Scrolls the view by `delta` rows (mouse wheel), dragging the selection along only when
/// it would leave the window.
pub fn scroll_by(state: &mut State, delta: isize) {
    let page = page_rows(state);
    let max_offset = state.table.rows.len().saturating_sub(page);
    let offset = state
        .table
        .offset
        .saturating_add_signed(delta)
        .min(max_offset);
    state.table.offset = offset;
    let selected = state
        .table
        .selected
        .clamp(offset, (offset + page).saturating_sub(1));
    select(state, selected);
}

/// Keeps `offset` unless the selection is outside the window, and never leaves the window
/// scrolled past the end of the rows.
pub fn keep_visible(state: &mut State) {
    let page = page_rows(state);
    let table = &mut state.table;
    let max_offset = table.rows.len().saturating_sub(page);
    table.offset = table.offset.min(max_offset);
    if table.selected < table.offset {
        table.offset = table.selected;
    } else if table.selected >= table.offset + page {
        table.offset = table.selected + 1 - page;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_share_equal_values_and_order_ip_addresses_numerically() {
        let ips = ["10.0.0.10", "10.0.0.9", "::1", "host-a", "10.0.0.9"];
        let keys: Vec<(u8, u128, &str)> = ips.iter().map(|ip| ip_key(ip)).collect();
        assert_eq!(ranks(&keys, Ord::cmp), vec![2, 0, 3, 4, 0]);
        assert_eq!(ranks::<u8>(&[], Ord::cmp), Vec::<u32>::new());
    }

    #[test]
    fn grouped_ranks_are_the_ranks() {
        let ips = [
            "10.0.0.10",
            "10.0.0.9",
            "::1",
            "host-a",
            "10.0.0.9",
            "0::1",
            "::1",
            "host-a",
            "1.2.3.4",
        ];
        let keys: Vec<(u8, u128, &str)> = ips.iter().map(|ip| ip_key(ip)).collect();
        let grouped = grouped_ranks(&ips, |ip| *ip, |ip| ip_key(ip));
        assert_eq!(grouped, ranks(&keys, Ord::cmp));
        assert_eq!(grouped, vec![3, 1, 4, 7, 1, 4, 4, 7, 0]);
        let empty: [&str; 0] = [];
        assert_eq!(grouped_ranks(&empty, |s| *s, |s| *s), Vec::<u32>::new());
    }
}
