//! The writer table. Only the rows on screen are formatted, so a frame costs the same for a
//! hundred writers or a hundred thousand.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Flex, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::text::{fit, fit_spans, marked};
use crate::domain::format_bytes;
use crate::search::Highlights;
use crate::tui::columns::{MARK_WIDTH, OnScreen, SPACING, on_screen, placed};
use crate::tui::state::{Column, ConnectionState, State};
use crate::tui::theme::{LatencyLevel, Theme};
use crate::tui::trend;

/// The glyph of a marked writer in the mark column.
pub const MARK: &str = "●";

/// Draws the header and the visible rows into `area`: the mark column, then the columns that
/// fit, each header with the sort arrow when it orders the table.
pub fn draw(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    let window = on_screen(state, usize::from(area.height.saturating_sub(1)));
    let columns: Vec<(Column, u16)> = placed(state, area.width, &window)
        .into_iter()
        .map(|p| (p.column, p.width))
        .collect();
    let trend = state.trends.shown(state.size.0);
    let trend_width = trend.then_some(Constraint::Length(trend::WIDTH));
    let widths: Vec<Constraint> = std::iter::once(Constraint::Length(MARK_WIDTH))
        .chain(columns.iter().map(|(_, w)| Constraint::Length(*w)))
        .chain(trend_width)
        .collect();
    // While hits are ranked by relevance no column orders the table.
    let ranked = state.query().is_some() && state.search.relevance;
    let titles = columns.iter().map(|(column, width)| {
        let arrow = match state.sort {
            _ if ranked => "",
            sort if sort.column == *column && sort.descending => " ▼",
            sort if sort.column == *column => " ▲",
            _ => "",
        };
        Cell::from(fit(
            &format!("{}{arrow}", column.title()),
            usize::from(*width),
        ))
    });
    let header = Row::new(
        std::iter::once(Cell::from(""))
            .chain(titles)
            .chain(trend.then(|| Cell::from("Trend 15m"))),
    )
    .style(theme.header());
    let table = |rows: Vec<Row<'static>>| {
        Table::new(rows, widths.clone())
            .header(header.clone())
            .column_spacing(SPACING)
            .flex(Flex::Start)
    };
    if state.table.rows.is_empty() {
        frame.render_widget(table(Vec::new()), area);
        empty_message(state, frame, area, theme);
        return;
    }
    let query = state.query();
    let stale = state.data_stale();
    let rows = window
        .iter()
        .map(|row| {
            let marks = query
                .map(|q| state.fleet.index.highlights(row.index, q))
                .unwrap_or_default();
            let is_marked = state.marks.contains(&row.writer.id);
            let mark = Cell::from(Span::styled(
                if is_marked { MARK } else { " " },
                theme.mark(),
            ));
            let cells = std::iter::once(mark)
                .chain(
                    columns
                        .iter()
                        .map(|(column, width)| cell(state, theme, *column, row, &marks, *width)),
                )
                .chain(trend.then(|| sparkline(state, theme, &row.writer.id)));
            let mut style = Style::new();
            if stale {
                style = style.add_modifier(Modifier::DIM);
            }
            if is_marked {
                style = style.patch(theme.marked());
            }
            if row.position == state.table.selected {
                style = style.patch(theme.selected());
            }
            Row::new(cells).style(style)
        })
        .collect();
    frame.render_widget(table(rows), area);
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
        Column::Status => Line::styled(
            fit(writer.status_label(), width),
            theme.status(writer.status),
        ),
        Column::Latency => {
            let level = LatencyLevel::of(
                state.fleet.latency_ms(row.index, state.now),
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

/// The writer's last 15 minutes as bars, the highest of each cell's points on a scale up to
/// its peak or the warning threshold, coloured by the thresholds; blank where nothing is
/// known.
fn sparkline(state: &State, theme: &Theme, id: &str) -> Cell<'static> {
    let Some(series) = state.trends.series(id) else {
        return Cell::from(Span::styled("…", theme.dim()));
    };
    let cells = trend::buckets(series, usize::from(trend::WIDTH));
    let top = trend::scale(&cells, state.settings.latency_warn_ms);
    let spans: Vec<Span> = cells
        .iter()
        .map(|value| {
            let level = LatencyLevel::of(
                *value,
                state.settings.latency_warn_ms,
                state.settings.latency_critical_ms,
            );
            Span::styled(trend::bar(*value, top).to_string(), theme.latency(level))
        })
        .collect();
    Cell::from(Line::from(spans))
}

fn empty_message(state: &State, frame: &mut Frame, area: Rect, theme: &Theme) {
    let lines: Vec<Line> = if state.fleet.writers.is_empty() {
        match &state.connection {
            ConnectionState::Connecting => match state.loading {
                Some(bytes) => vec![
                    Line::from(format!(
                        "Loading the writers from {} … {} received",
                        state.controller.url,
                        format_bytes(bytes)
                    )),
                    Line::styled(
                        "/ searches already: the hits show once they are in.",
                        theme.dim(),
                    ),
                ],
                None => vec![Line::from(format!(
                    "Connecting to {} … (each attempt gives up after {}s)",
                    state.controller.url,
                    state.controller.budget.as_secs()
                ))],
            },
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
        if !state.filter.status.is_all() {
            lines.push(Line::from(format!(
                "Status filter \"{}\": f or :status changes it.",
                state.filter.status
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
