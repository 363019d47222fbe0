//! Which columns the table shows at a width, and how wide: shared by the view (to draw) and
//! `update` (to map a click on the header to its column). Only the rows on screen are
//! formatted, once per frame, for both sizing and drawing.

use crate::domain::{Writer, format_duration_ms};

use ratatui::layout::Rect;

use super::state::{Column, State};
use super::trend;

/// Cells between two columns.
pub const SPACING: u16 = 1;
/// Width of the mark column at the left edge (followed by [`SPACING`]).
pub const MARK_WIDTH: u16 = 1;

/// Narrowest and widest a column is drawn.
fn bounds(column: Column) -> (u16, u16) {
    match column {
        Column::Name => (12, 40),
        Column::Status => (8, 8),
        Column::Latency => (9, 9),
        Column::Project => (14, 48),
        Column::ServerIp => (9, 15),
        Column::Checkpoint => (19, 19),
        Column::Region => (8, 14),
        Column::Kind => (4, 11),
    }
}

/// What gives way, in order, until the table fits: Name and Status never go, and Name is
/// only cut when nothing else is left to give.
enum GiveWay {
    Drop(Column),
    Shrink(Column, u16),
}

const GIVE_WAY: [GiveWay; 10] = [
    GiveWay::Shrink(Column::Project, 30),
    GiveWay::Drop(Column::Kind),
    GiveWay::Shrink(Column::Project, 24),
    GiveWay::Drop(Column::Region),
    GiveWay::Drop(Column::Checkpoint),
    GiveWay::Shrink(Column::Project, 14),
    GiveWay::Drop(Column::ServerIp),
    GiveWay::Drop(Column::Project),
    GiveWay::Drop(Column::Latency),
    GiveWay::Shrink(Column::Name, 12),
];

/// The columns shown at `width`, with their widths, sized to the writers on screen. Region
/// is shown only in multi-region deployments.
pub fn visible_columns(state: &State, width: u16, window: &[OnScreen]) -> Vec<(Column, u16)> {
    let mut columns: Vec<(Column, u16)> = Column::ALL
        .into_iter()
        .filter(|c| *c != Column::Region || state.multi_region())
        .map(|column| {
            let (min, max) = bounds(column);
            let widest = window
                .iter()
                .map(|row| row.text(column).chars().count())
                .max()
                .unwrap_or(0)
                .max(column.title().len() + 2);
            let widest = u16::try_from(widest).unwrap_or(u16::MAX);
            (column, widest.clamp(min, max))
        })
        .collect();
    let total = |cols: &[(Column, u16)]| -> u16 {
        let gaps = SPACING * u16::try_from(cols.len().saturating_sub(1)).unwrap_or(0);
        cols.iter().map(|(_, w)| *w).sum::<u16>() + gaps
    };
    for step in GIVE_WAY {
        let excess = total(&columns).saturating_sub(width);
        if excess == 0 {
            break;
        }
        match step {
            GiveWay::Drop(column) => columns.retain(|(c, _)| *c != column),
            GiveWay::Shrink(column, floor) => {
                if let Some((_, w)) = columns.iter_mut().find(|(c, _)| *c == column) {
                    *w = w.saturating_sub(excess).max(floor.min(*w));
                }
            }
        }
    }
    // Give what is left to Project, then Name.
    for column in [Column::Project, Column::Name] {
        let spare = width.saturating_sub(total(&columns));
        if let Some((_, w)) = columns.iter_mut().find(|(c, _)| *c == column) {
            *w += spare.min(bounds(column).1.saturating_sub(*w));
        }
    }
    columns
}

/// A writer on screen: its position in the table's rows, its index in the fleet, and its
/// column texts, formatted once per frame for both sizing and drawing.
pub struct OnScreen<'a> {
    pub position: usize,
    pub index: usize,
    pub writer: &'a Writer,
    /// In `Column::ALL` order.
    pub texts: [String; 8],
}

impl OnScreen<'_> {
    /// The text of `column`.
    pub fn text(&self, column: Column) -> &str {
        // `Column::ALL` lists the columns in declaration order (a test checks it).
        self.texts.get(column as usize).map_or("", String::as_str)
    }
}

/// The writers on screen, at most `rows` of them.
pub fn on_screen(state: &State, rows: usize) -> Vec<OnScreen<'_>> {
    state
        .table
        .rows
        .iter()
        .enumerate()
        .skip(state.table.offset)
        .take(rows)
        .filter_map(|(position, &index)| {
            let writer = state.fleet.writers.get(index)?;
            Some(OnScreen {
                position,
                index,
                writer,
                texts: Column::ALL.map(|column| cell_text(state, column, index, writer)),
            })
        })
        .collect()
}

fn cell_text(state: &State, column: Column, row: usize, writer: &Writer) -> String {
    match column {
        Column::Name => writer.name.clone(),
        Column::ServerIp => writer.server_ip.clone(),
        Column::Project => writer.project_label(),
        Column::Region => writer.region.to_string(),
        Column::Kind => writer.kind.label().to_string(),
        Column::Status => writer.status_label().to_string(),
        Column::Latency => state
            .fleet
            .latency_ms(row, state.now)
            .map_or("—".into(), format_duration_ms),
        Column::Checkpoint => state
            .fleet
            .checkpoint(row, state.now)
            .map_or("—".into(), |at| state.zone.format(at)),
    }
}

/// A column as drawn: its left edge (from the table's left edge) and width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub column: Column,
    pub x: u16,
    pub width: u16,
}

/// The columns drawn in a table `width` cells wide, after the mark column and before the
/// trend column (when shown), for the rows in `window`.
pub fn placed(state: &State, width: u16, window: &[OnScreen]) -> Vec<Placed> {
    let lead = MARK_WIDTH + SPACING;
    // The trend column, when shown, is at the right edge.
    let width = if state.trends.shown(state.size.0) {
        width.saturating_sub(trend::WIDTH + SPACING)
    } else {
        width
    };
    let mut x = lead;
    visible_columns(state, width.saturating_sub(lead), window)
        .into_iter()
        .map(|(column, w)| {
            let placed = Placed {
                column,
                x,
                width: w,
            };
            x = x.saturating_add(w).saturating_add(SPACING);
            placed
        })
        .collect()
}

/// The column whose header is at screen column `x` of the table drawn in `table`.
pub fn column_at(state: &State, table: Rect, x: u16) -> Option<Column> {
    let window = on_screen(state, usize::from(table.height.saturating_sub(1)));
    let offset = x.checked_sub(table.x)?;
    placed(state, table.width, &window)
        .into_iter()
        .find(|p| offset >= p.x && offset < p.x + p.width)
        .map(|p| p.column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_listed_in_declaration_order() {
        for (at, column) in Column::ALL.into_iter().enumerate() {
            assert_eq!(column as usize, at, "{column:?}");
        }
    }
}
