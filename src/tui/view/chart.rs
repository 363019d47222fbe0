//! The latency chart of the detail view: the writer's latency step by step (a braille line of
//! ratatui's `Chart`, broken where nothing was seen or the writer did not run), the warning
//! and critical thresholds as lines, the operations and status changes as lettered markers,
//! and the time axis as wall-clock HH:MM in the operator's zone. Without colour the parts
//! still differ: braille for latency, `┄` for the warning threshold, `━` for the critical
//! one, `┊` under a marker's letter.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph, Widget};

use crate::api::{HistoryEvent, HistoryEventKind, WriterHistory};
use crate::domain::{HistoryWindow, Zone};
use crate::tui::theme::Theme;

/// Rows the chart needs: a title, at least four of graph, the time axis and the events.
pub const MIN_HEIGHT: u16 = 7;
/// Columns left of the graph for the latency labels.
const LABELS_WIDTH: u16 = 7;

/// What the chart is drawn from.
pub struct ChartData<'a> {
    pub history: &'a WriterHistory,
    /// The latency now, when the writer runs: raises the step now filling, so the line
    /// follows the table between two readings of the history.
    pub live_latency_ms: Option<u64>,
    /// The console's clock: the live latency counts only while the last point's step lasts.
    pub now: DateTime<Utc>,
    pub warn_ms: u64,
    pub critical_ms: u64,
    pub zone: &'a Zone,
}

/// The letter marking an event on the chart.
fn letter(kind: HistoryEventKind) -> char {
    match kind {
        HistoryEventKind::Pause => 'P',
        HistoryEventKind::Start => 'S',
        HistoryEventKind::Replay => 'R',
        HistoryEventKind::Status => '*',
    }
}

/// A latency in few characters: `850ms`, `2.5s`, `65s`, `10m`, `12m05s`, `3h02m`.
pub fn short_latency(ms: u64) -> String {
    let secs = ms / 1000;
    match ms {
        0 => "0s".to_string(),
        1..1_000 => format!("{ms}ms"),
        1_000..10_000 => format!("{:.1}s", ms as f64 / 1000.0),
        10_000..120_000 => format!("{secs}s"),
        120_000..3_600_000 if secs.is_multiple_of(60) => format!("{}m", secs / 60),
        120_000..3_600_000 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, secs / 60 % 60),
    }
}

/// The latencies of the points, the last raised by the live one.
fn latencies(data: &ChartData) -> Vec<Option<u64>> {
    let mut values: Vec<Option<u64>> = data.history.points.iter().map(|p| p.latency_ms).collect();
    let filling = data
        .history
        .points
        .last()
        .is_some_and(|p| (data.now - p.t).num_seconds() < i64::from(data.history.step_s));
    if let (Some(last), Some(live), true) = (values.last_mut(), data.live_latency_ms, filling) {
        *last = Some(last.map_or(live, |seen| seen.max(live)));
    }
    values
}

/// The runs of consecutive known latencies, as chart points (index, seconds).
fn runs(values: &[Option<u64>]) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (i, value) in values.iter().enumerate() {
        match value {
            Some(ms) => current.push((i as f64, *ms as f64 / 1000.0)),
            None if !current.is_empty() => runs.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    runs
}

/// The top of the latency scale: room above the peak, and a threshold within three times the
/// peak is brought in, so a writer nearing one sees it while a writer far below it still sees
/// its own line move.
fn scale_top(peak_ms: u64, data: &ChartData) -> f64 {
    let mut top = peak_ms.max(1000) as f64;
    for threshold in [data.warn_ms, data.critical_ms] {
        if threshold <= peak_ms.saturating_mul(3) {
            top = top.max(threshold as f64);
        }
    }
    top * 1.15
}

/// Where the graph is and how values map onto its cells.
struct Graph {
    area: Rect,
    /// The top of the latency scale, in milliseconds.
    top_ms: f64,
    /// The index of the last point.
    last: f64,
}

impl Graph {
    /// The row of `ms`, if it is on the scale.
    fn row_of(&self, ms: u64) -> Option<u16> {
        let fraction = ms as f64 / self.top_ms;
        (fraction <= 1.0).then(|| {
            let from_bottom = (fraction * f64::from(self.area.height - 1)).round() as u16;
            self.area.bottom() - 1 - from_bottom
        })
    }

    /// The column of point index `index` (fractional between points).
    fn column_of(&self, index: f64) -> u16 {
        let fraction = (index / self.last).clamp(0.0, 1.0);
        self.area.x + (fraction * f64::from(self.area.width - 1)).round() as u16
    }
}

/// Draws the chart in `area` (at least [`MIN_HEIGHT`] rows).
pub fn draw(frame: &mut Frame, area: Rect, data: &ChartData, theme: &Theme) {
    let points = data.history.points.len();
    if area.height < MIN_HEIGHT || area.width <= LABELS_WIDTH + 10 || points < 2 {
        return;
    }
    let values = latencies(data);
    let highest = values.iter().flatten().copied().max().unwrap_or(0);
    let graph = Graph {
        area: Rect::new(
            area.x + LABELS_WIDTH,
            area.y + 1,
            area.width - LABELS_WIDTH,
            area.height - 3,
        ),
        top_ms: scale_top(highest, data),
        last: (points - 1) as f64,
    };
    let title = Rect::new(area.x, area.y, area.width, 1);
    let axis = Rect::new(graph.area.x, graph.area.bottom(), graph.area.width, 1);
    let events_row = Rect::new(area.x, axis.bottom(), area.width, 1);
    let title_text = title_line(data, highest, graph.top_ms, theme);
    frame.render_widget(Paragraph::new(title_text), title);
    // Thresholds first: the latency line is drawn over them, the markers where it is not.
    thresholds(frame, &graph, data, theme);
    latency_line(frame, &graph, &values, theme);
    if values.iter().all(Option::is_none) {
        no_latency(frame, &graph, data, theme);
    }
    markers(frame, &graph, data, theme);
    // The latency scale: the top, the middle, zero.
    let g = graph.area;
    for (row, ms) in [
        (g.top(), graph.top_ms),
        (g.top() + (g.height - 1) / 2, graph.top_ms / 2.0),
        (g.bottom() - 1, 0.0),
    ] {
        let label = format!("{:>6}", short_latency(ms.round() as u64));
        frame.render_widget(
            Paragraph::new(Span::styled(label, theme.dim())),
            Rect::new(area.x, row, LABELS_WIDTH - 1, 1),
        );
    }
    frame.render_widget(
        Paragraph::new(time_axis(data, axis.width)).style(theme.dim()),
        axis,
    );
    frame.render_widget(Paragraph::new(events_line(data, theme)), events_row);
}

/// The warning threshold as `┄`, the critical one as `━`, each where it is on the scale.
fn thresholds(frame: &mut Frame, graph: &Graph, data: &ChartData, theme: &Theme) {
    let buffer = frame.buffer_mut();
    for (ms, glyph, style) in [
        (data.warn_ms, "┄", theme.warning()),
        (data.critical_ms, "━", theme.error()),
    ] {
        let Some(row) = graph.row_of(ms) else {
            continue;
        };
        for x in graph.area.left()..graph.area.right() {
            if let Some(cell) = buffer.cell_mut((x, row)) {
                cell.set_symbol(glyph).set_style(style);
            }
        }
    }
}

/// The latency as braille lines (a lone point as a dot), broken where it is unknown; drawn
/// into a scratch buffer and copied over where it drew, so the thresholds under it stay
/// visible between its dots.
fn latency_line(frame: &mut Frame, graph: &Graph, values: &[Option<u64>], theme: &Theme) {
    let runs = runs(values);
    let datasets: Vec<Dataset> = runs
        .iter()
        .map(|run| {
            let graph_type = if run.len() == 1 {
                GraphType::Scatter
            } else {
                GraphType::Line
            };
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(graph_type)
                .style(theme.chart_line())
                .data(run)
        })
        .collect();
    let chart = Chart::new(datasets)
        .x_axis(Axis::default().bounds([0.0, graph.last]))
        .y_axis(Axis::default().bounds([0.0, graph.top_ms / 1000.0]));
    let area = graph.area;
    let mut scratch = Buffer::empty(area);
    chart.render(area, &mut scratch);
    let buffer = frame.buffer_mut();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            if let Some(drawn) = scratch.cell((x, y)).filter(|c| c.symbol() != " ")
                && let Some(cell) = buffer.cell_mut((x, y))
            {
                *cell = drawn.clone();
            }
        }
    }
}

/// Says why there is no line: the writer did not run in the window, or was not seen yet.
fn no_latency(frame: &mut Frame, graph: &Graph, data: &ChartData, theme: &Theme) {
    let status = data.history.points.iter().rev().find_map(|p| p.status);
    let text = match status {
        Some(status) => format!(
            "No latency in this window: the writer did not run (now {})",
            status.as_str()
        ),
        None => "Nothing seen of this writer in this window yet".to_string(),
    };
    let area = graph.area;
    let row = Rect::new(area.x, area.y + area.height / 2, area.width, 1);
    frame.render_widget(
        Paragraph::new(Span::styled(text, theme.dim())).alignment(Alignment::Center),
        row,
    );
}

/// A letter on the top row at each event's moment, and a dotted guide below it where
/// nothing is drawn. Status changes first: an operation at the same column wins the letter.
fn markers(frame: &mut Frame, graph: &Graph, data: &ChartData, theme: &Theme) {
    let history = data.history;
    let Some(start) = history.points.first().map(|p| p.t) else {
        return;
    };
    let step = f64::from(history.step_s.max(1));
    let (status_changes, operations): (Vec<&HistoryEvent>, Vec<&HistoryEvent>) = history
        .events
        .iter()
        .partition(|e| e.kind == HistoryEventKind::Status);
    let buffer = frame.buffer_mut();
    let area = graph.area;
    for event in status_changes.into_iter().chain(operations) {
        let index = (event.t - start).num_milliseconds() as f64 / 1000.0 / step;
        let x = graph.column_of(index);
        for y in area.top() + 1..area.bottom() {
            if let Some(cell) = buffer.cell_mut((x, y))
                && cell.symbol() == " "
            {
                cell.set_symbol("┊").set_style(theme.dim());
            }
        }
        if let Some(cell) = buffer.cell_mut((x, area.top())) {
            cell.set_char(letter(event.kind)).set_style(theme.key());
        }
    }
}

fn title_line(data: &ChartData, highest: u64, top_ms: f64, theme: &Theme) -> Line<'static> {
    // A threshold above the scale is said to be so.
    let above = |ms: u64| if ms as f64 > top_ms { " ↑" } else { "" };
    let window = match data.history.window {
        HistoryWindow::Minutes15 => "last 15 min",
        HistoryWindow::Hours6 => "last 6 h",
    };
    let peak = if highest > 0 {
        format!(", peak {}", short_latency(highest))
    } else {
        String::new()
    };
    Line::from(vec![
        Span::styled(format!("Latency, {window}{peak}  "), theme.header()),
        Span::styled("⣀ latency ", theme.chart_line()),
        Span::styled(
            format!(
                "┄ warn {}{} ",
                short_latency(data.warn_ms),
                above(data.warn_ms)
            ),
            theme.warning(),
        ),
        Span::styled(
            format!(
                "━ critical {}{}",
                short_latency(data.critical_ms),
                above(data.critical_ms)
            ),
            theme.error(),
        ),
    ])
}

/// The start, the middle and the end of the window as HH:MM, spread over `width` columns.
fn time_axis(data: &ChartData, width: u16) -> String {
    let points = &data.history.points;
    let (Some(first), Some(middle), Some(last)) =
        (points.first(), points.get(points.len() / 2), points.last())
    else {
        return String::new();
    };
    let [a, b, c] = [first.t, middle.t, last.t].map(|t| data.zone.hour_minute(t));
    let width = usize::from(width);
    let gap = width.saturating_sub(a.len() + b.len() + c.len());
    let left = gap / 2;
    format!("{a}{}{b}{}{c}", " ".repeat(left), " ".repeat(gap - left))
}

/// An event in few words: `P 09:53 paused by alice`, `R 09:54 bob replays from 09:00`,
/// `* 09:54 → running`.
fn event_text(event: &HistoryEvent, zone: &Zone) -> String {
    let actor = event.actor.as_deref().unwrap_or("?");
    let what = match (event.kind, event.replay_from) {
        (HistoryEventKind::Pause, _) => format!("paused by {actor}"),
        (HistoryEventKind::Start, _) => format!("started by {actor}"),
        (HistoryEventKind::Replay, Some(from)) => {
            format!("{actor} replays from {}", zone.hour_minute(from))
        }
        (HistoryEventKind::Replay, None) => format!("{actor} replays"),
        (HistoryEventKind::Status, _) => match event.detail.split_once('→') {
            Some((_, to)) => format!("→ {}", to.trim()),
            None => event.detail.clone(),
        },
    };
    format!(
        "{} {} {what}",
        letter(event.kind),
        zone.hour_minute(event.t)
    )
}

/// The operations, newest first, then the status changes: what matters most comes first
/// when they do not all fit.
fn events_line(data: &ChartData, theme: &Theme) -> Line<'static> {
    let events = &data.history.events;
    if events.is_empty() {
        return Line::styled(
            "No operations or status changes in this window",
            theme.dim(),
        );
    }
    let is_status = |e: &&HistoryEvent| e.kind == HistoryEventKind::Status;
    let operations = events.iter().rev().filter(|e| !is_status(e));
    let mut spans = Vec::new();
    for (i, event) in operations
        .chain(events.iter().rev().filter(is_status))
        .enumerate()
    {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.dim()));
        }
        spans.push(Span::raw(event_text(event, data.zone)));
    }
    Line::from(spans)
}
