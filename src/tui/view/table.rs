//! The writer table. Only the rows on screen are formatted, so a frame costs the same for a
//! hundred writers or a hundred thousand.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::text::{fit, fit_spans, marked};
use crate::domain::{Writer, format_duration_ms};
use crate::search::Highlights;
use crate::tui::state::{Column, ConnectionState, State};
use crate::tui::theme::{LatencyLevel, Theme};

const SPACING: u16 = 1;

/// Narrowest and widest a column is drawn.
fn bounds(column: Column) -> (u16, u16) {
    match column {
        Column::Name => (12, 40),
        Column::Status => (8, 8),
        Column::Latency => (7, 8),
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
fn visible_columns(state: &State, width: u16, window: &[OnScreen]) -> Vec<(Column, u16)> {
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
struct OnScreen<'a> {
    position: usize,
    index: usize,
    writer: &'a Writer,
    /// In `Column::ALL` order.
    texts: [String; 8],
}

impl OnScreen<'_> {
    fn text(&self, column: Column) -> &str {
        // `Column::ALL` lists the columns in declaration order (a test checks it).
        self.texts.get(column as usize).map_or("", String::as_str)
    }
}

/// The writers on screen, at most `rows` of them.
fn on_screen(state: &State, rows: usize) -> Vec<OnScreen<'_>> {
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
                texts: Column::ALL.map(|column| cell_text(state, column, writer)),
            })
        })
        .collect()
}

fn cell_text(state: &State, column: Column, writer: &Writer) -> String {
    match column {
        Column::Name => writer.name.clone(),
        Column::ServerIp => writer.server_ip.clone(),
        Column::Project => format!("{} ({})", writer.project.name, writer.project.id),
        Column::Region => writer.region.clone(),
        Column::Kind => writer.kind.label().to_string(),
        Column::Status => writer.status.label().to_string(),
        Column::Latency => writer.latency_ms.map_or("—".into(), format_duration_ms),
        Column::Checkpoint => writer
            .checkpoint
            .map_or("—".into(), |at| state.zone.format(at)),
    }
}

/// Draws the header and the visible rows into `area`.
pub fn draw(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    let window = on_screen(state, usize::from(area.height.saturating_sub(1)));
    let columns = visible_columns(state, area.width, &window);
    // While hits are ranked by relevance no column orders the table.
    let ranked = state.query().is_some() && state.search.relevance;
    let header = Row::new(columns.iter().map(|(column, _)| {
        let arrow = match state.sort {
            _ if ranked => "",
            sort if sort.column == *column && sort.descending => " ▼",
            sort if sort.column == *column => " ▲",
            _ => "",
        };
        Cell::from(format!("{}{arrow}", column.title()))
    }))
    .style(theme.header());
    if state.table.rows.is_empty() {
        frame.render_widget(
            Table::new(
                Vec::<Row>::new(),
                columns.iter().map(|(_, w)| Constraint::Length(*w)),
            )
            .header(header)
            .column_spacing(SPACING),
            area,
        );
        empty_message(state, frame, area, theme);
        return;
    }
    let query = state.query();
    let stale = matches!(state.connection, ConnectionState::Failed { .. });
    let rows = window.iter().map(|row| {
        let marks = query
            .map(|q| state.fleet.index.highlights(row.index, q))
            .unwrap_or_default();
        let cells = columns
            .iter()
            .map(|(column, width)| cell(state, theme, *column, row, &marks, *width));
        let mut style = Style::new();
        if stale {
            style = style.add_modifier(Modifier::DIM);
        }
        if row.position == state.table.selected {
            style = style.patch(theme.selected());
        }
        Row::new(cells).style(style)
    });
    let table = Table::new(rows, columns.iter().map(|(_, w)| Constraint::Length(*w)))
        .header(header)
        .column_spacing(SPACING);
    frame.render_widget(table, area);
}

fn cell(
    state: &State,
    theme: &Theme,
    column: Column,
    row: &OnScreen,
    marks: &Highlights,
    width: u16,
) -> Cell<'static> {
    let writer = row.writer;
    let width = usize::from(width);
    let base = Style::new();
    let line = match column {
        Column::Name => Line::from(fit_spans(
            marked(&writer.name, &marks.name, base, theme.matched()),
            width,
        )),
        Column::ServerIp => Line::from(fit_spans(
            marked(&writer.server_ip, &marks.server_ip, base, theme.matched()),
            width,
        )),
        Column::Project => {
            let mut spans = marked(
                &writer.project.name,
                &marks.project_name,
                base,
                theme.matched(),
            );
            spans.push(Span::styled(" (", theme.dim()));
            spans.extend(marked(
                &writer.project.id,
                &marks.project_id,
                theme.dim(),
                theme.matched(),
            ));
            spans.push(Span::styled(")", theme.dim()));
            Line::from(fit_spans(spans, width))
        }
        Column::Status => Line::styled(writer.status.label(), theme.status(writer.status)),
        Column::Latency => {
            let level = LatencyLevel::of(
                writer.latency_ms,
                state.settings.latency_warn_ms,
                state.settings.latency_critical_ms,
            );
            Line::styled(row.text(column).to_string(), theme.latency(level))
                .alignment(Alignment::Right)
        }
        Column::Region | Column::Kind | Column::Checkpoint => {
            Line::raw(fit(row.text(column), width))
        }
    };
    Cell::from(line)
}

fn empty_message(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    let lines: Vec<Line> = if state.fleet.writers.is_empty() {
        match &state.connection {
            ConnectionState::Connecting => {
                vec![Line::from(format!(
                    "Connecting to {} …",
                    state.controller.url
                ))]
            }
            ConnectionState::Failed { .. } => {
                vec![Line::from("No data: the controller has not answered yet.")]
            }
            ConnectionState::Connected => {
                vec![Line::from("The controller has no writers.")]
            }
        }
    } else {
        let mut lines = vec![Line::styled("No writer matches.", theme.warning())];
        if let Some(query) = state.query() {
            lines.push(Line::from(format!(
                "Search \"{query}\": Esc clears it, / edits it."
            )));
        }
        if !state.filter.regions.is_empty() {
            lines.push(Line::from("Regions are filtered: r changes them."));
        }
        if state.filter.status != crate::tui::state::StatusFilter::All {
            lines.push(Line::from(format!(
                "Status filter \"{}\": f changes it.",
                state.filter.status.label()
            )));
        }
        lines
    };
    let rect = Rect::new(
        area.x,
        area.y + 2,
        area.width,
        area.height.saturating_sub(2),
    );
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
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
