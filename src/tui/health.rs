//! The fleet health view (`H`, `:health`): per region, the writers by status and the running
//! ones by latency band, counted from the console's own copy of the fleet — so what Enter
//! filters the table to is exactly what the view counted. Pure: counting, the cursor, and the
//! filter a choice makes.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::fleet::Fleet;
use super::state::Filter;
use crate::domain::{LatencyBand, StatusSet, Tally, WriterStatus};

/// One region's counts (or all regions', `region` `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionCounts {
    pub region: Option<String>,
    pub tally: Tally,
}

impl RegionCounts {
    /// What can be chosen on its row: the region, each status it has writers in, each band.
    pub fn items(&self) -> Vec<HealthItem> {
        let statuses = WriterStatus::ALL
            .into_iter()
            .zip(self.tally.statuses)
            .filter(|(_, count)| *count > 0)
            .map(|(status, _)| HealthItem::Status(status));
        std::iter::once(HealthItem::Region)
            .chain(statuses)
            .chain(LatencyBand::ALL.map(HealthItem::Band))
            .collect()
    }
}

/// A choice on a region's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthItem {
    /// The whole region.
    Region,
    /// Its writers in this status.
    Status(WriterStatus),
    /// Its running writers in this latency band.
    Band(LatencyBand),
}

/// The view: the counts and the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthView {
    /// All regions first (when there are several), then each region by name.
    pub rows: Vec<RegionCounts>,
    /// The row and the item under the cursor.
    pub row: usize,
    pub item: usize,
}

/// Counts `fleet` at `now` per region, with a total first when there are several regions.
pub fn count(fleet: &Fleet, now: DateTime<Utc>) -> Vec<RegionCounts> {
    let mut by_region: HashMap<&str, RegionCounts> = HashMap::new();
    for (row, writer) in fleet.writers.iter().enumerate() {
        let counts = by_region
            .entry(writer.region.as_str())
            .or_insert_with(|| RegionCounts {
                region: Some(writer.region.to_string()),
                tally: Tally::default(),
            });
        let status = fleet.statuses.get(row).copied().unwrap_or(writer.status);
        counts.tally.add(status, fleet.latency_ms(row, now));
    }
    let mut rows: Vec<RegionCounts> = by_region.into_values().collect();
    rows.sort_by(|a, b| a.region.cmp(&b.region));
    if rows.len() > 1 {
        let mut all = Tally::default();
        for row in &rows {
            all.merge(&row.tally);
        }
        rows.insert(
            0,
            RegionCounts {
                region: None,
                tally: all,
            },
        );
    }
    rows
}

impl HealthView {
    /// The view of `rows`, the cursor on the first row's first item.
    pub fn new(rows: Vec<RegionCounts>) -> Self {
        HealthView {
            rows,
            row: 0,
            item: 0,
        }
    }

    /// New counts; the cursor stays on the same region and item where it still can.
    pub fn recount(&mut self, rows: Vec<RegionCounts>) {
        let (region, item) = (
            self.rows.get(self.row).map(|r| r.region.clone()),
            self.chosen_item(),
        );
        self.rows = rows;
        self.row = self
            .rows
            .iter()
            .position(|r| Some(&r.region) == region.as_ref())
            .unwrap_or(0);
        self.put_cursor_on(item);
    }

    /// Puts the cursor on `item` of its row, or the row's first when it has no such item.
    fn put_cursor_on(&mut self, item: Option<HealthItem>) {
        let items = self
            .rows
            .get(self.row)
            .map(RegionCounts::items)
            .unwrap_or_default();
        self.item = item
            .and_then(|item| items.iter().position(|i| *i == item))
            .unwrap_or(0);
    }

    /// Moves the cursor `delta` rows, keeping the kind of item where the row has it.
    pub fn move_row(&mut self, delta: isize) {
        let item = self.chosen_item();
        let last = self.rows.len().saturating_sub(1);
        self.row = self.row.saturating_add_signed(delta).min(last);
        self.put_cursor_on(item);
    }

    /// Moves the cursor `delta` items along the row.
    pub fn move_item(&mut self, delta: isize) {
        let count = self.rows.get(self.row).map_or(0, |r| r.items().len());
        self.item = self
            .item
            .saturating_add_signed(delta)
            .min(count.saturating_sub(1));
    }

    fn chosen_item(&self) -> Option<HealthItem> {
        self.rows.get(self.row)?.items().get(self.item).copied()
    }

    /// The filter the item under the cursor stands for.
    pub fn filter(&self) -> Option<Filter> {
        let row = self.rows.get(self.row)?;
        let regions: BTreeSet<String> = row.region.iter().cloned().collect();
        let (status, latency) = match self.chosen_item()? {
            HealthItem::Region => (StatusSet::ALL, None),
            HealthItem::Status(status) => (StatusSet::of([status]), None),
            HealthItem::Band(band) => (StatusSet::RUNNING, Some(band)),
        };
        Some(Filter {
            regions,
            status,
            latency,
            from_health: true,
        })
    }
}

/// The filter in words, for the status bar: `running in cn-hangzhou, latency ≥ 60s`.
pub fn describe(filter: &Filter) -> String {
    let regions = if filter.regions.is_empty() {
        "all regions".to_string()
    } else {
        filter
            .regions
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let statuses = if filter.status.is_all() {
        "all writers".to_string()
    } else {
        filter.status.to_string()
    };
    match filter.latency {
        Some(band) => format!("{statuses} in {regions}, latency {band}"),
        None => format!("{statuses} in {regions}"),
    }
}
