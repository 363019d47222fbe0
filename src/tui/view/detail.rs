//! The detail view of one writer: its full record and its recent operations from the audit
//! log, times in the operator's zone.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::boxes::{centered, frame_box};
use super::chart;
use crate::api::{AuditAction, AuditEntry, BackendKind, WriterHistory};
use crate::domain::{Writer, WriterStatus, format_ago, format_duration_ms, localize_times};
use crate::tui::state::{DetailView, Loadable, State};
use crate::tui::theme::Theme;

fn field(label: &str, value: impl Into<String>, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<12}"), theme.dim()),
        Span::raw(value.into()),
    ])
}

/// The chart shows from this terminal size up; below, the numbers alone.
const CHART_FROM: (u16, u16) = (80, 24);
/// The most rows the chart takes.
const CHART_MAX_HEIGHT: u16 = 16;

/// The detail of the writer `detail` names: its latency chart (when the terminal is large
/// enough), its record and its recent audit entries.
pub fn draw(state: &State, detail: &DetailView, frame: &mut Frame, area: Rect, theme: &Theme) {
    let rect = centered(area, 100, area.height.saturating_sub(2));
    let writer = state.fleet.get(&detail.writer_id);
    let title = writer.map_or("Writer".to_string(), |w| w.name.clone());
    let inner = frame_box(frame, rect, &title, theme);
    let body = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    );
    let fits_chart = area.width >= CHART_FROM.0 && area.height >= CHART_FROM.1;
    let mut lines = Vec::new();
    let text_area = match &detail.history {
        Loadable::Loaded(history) if fits_chart => {
            let height = (body.height * 2 / 5).clamp(chart::MIN_HEIGHT, CHART_MAX_HEIGHT);
            let chart_area = Rect::new(body.x, body.y, body.width, height);
            draw_chart(state, detail, history, frame, chart_area, theme);
            // A blank row between the chart and the text.
            let below = height + 1;
            Rect::new(
                body.x,
                body.y + below,
                body.width,
                body.height.saturating_sub(below),
            )
        }
        Loadable::Loaded(_) => {
            lines.push(Line::styled(
                format!(
                    "The latency chart needs a terminal of {}x{} or more.",
                    CHART_FROM.0, CHART_FROM.1
                ),
                theme.dim(),
            ));
            body
        }
        Loadable::Loading => {
            lines.push(Line::styled("Latency history: loading …", theme.dim()));
            body
        }
        Loadable::Failed(error) => {
            lines.push(Line::styled(
                format!("Latency history could not be loaded: {error}"),
                theme.error(),
            ));
            body
        }
    };
    if let Some(error) = &detail.history_error {
        lines.push(Line::styled(
            format!("The chart was not refreshed: {error}"),
            theme.warning(),
        ));
    }
    lines.extend(match writer {
        Some(writer) => writer_lines(state, writer, theme),
        None => vec![Line::styled(
            format!("Writer {} is no longer in the fleet.", detail.writer_id),
            theme.warning(),
        )],
    });
    lines.push(Line::raw(""));
    lines.push(Line::styled("Recent operations", theme.header()));
    match &detail.audit {
        Loadable::Loading => lines.push(Line::styled("loading …", theme.dim())),
        Loadable::Failed(error) => lines.push(Line::styled(
            format!("could not load the audit log: {error}"),
            theme.error(),
        )),
        Loadable::Loaded(entries) if entries.is_empty() => {
            lines.push(Line::styled("none recorded", theme.dim()));
        }
        Loadable::Loaded(entries) => {
            lines.extend(entries.iter().map(|e| audit_line(state, e, theme)));
        }
    }
    // The keys of this view are on the bottom line, from the keymap, as in every mode.
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((detail.scroll, 0)),
        text_area,
    );
}

/// The chart of `history`, the step now filling raised to the table's latency.
fn draw_chart(
    state: &State,
    detail: &DetailView,
    history: &WriterHistory,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    let live_latency_ms = state
        .fleet
        .row_of(&detail.writer_id)
        .filter(|&row| {
            state
                .fleet
                .writers
                .get(row)
                .is_some_and(|w| w.status == WriterStatus::Running)
        })
        .and_then(|row| state.fleet.latency_ms(row, state.now));
    let data = chart::ChartData {
        history,
        live_latency_ms,
        now: state.now,
        warn_ms: state.settings.latency_warn_ms,
        critical_ms: state.settings.latency_critical_ms,
        zone: &state.zone,
    };
    chart::draw(frame, area, &data, theme);
}

fn writer_lines(state: &State, writer: &Writer, theme: &Theme) -> Vec<Line<'static>> {
    let zone = &state.zone;
    let now = state.now;
    let when = |at| format!("{} ({})", zone.format(at), format_ago(at, now));
    let mut lines = vec![
        field("ID", writer.id.clone(), theme),
        Line::from(vec![
            Span::styled(format!("{:<12}", "Status"), theme.dim()),
            Span::styled(
                writer.status_label().to_string(),
                theme.status(writer.status),
            ),
            Span::styled(format!("   version {}", writer.version), theme.dim()),
        ]),
    ];
    if writer.status == WriterStatus::Unknown {
        lines.push(Line::styled(
            format!(
                "{:<12}(a status jwctl does not know; act on it from the OMS console)",
                ""
            ),
            theme.dim(),
        ));
    }
    // The fleet's copy ticks with the clock between deltas.
    let row = state.fleet.row_of(&writer.id);
    lines.extend([
        field("Kind", writer.kind.label(), theme),
        field("Project", writer.project_label(), theme),
        field("Server IP", writer.server_ip.clone(), theme),
        field("Region", writer.region.clone(), theme),
        field("Backend", backend_label(state), theme),
        field("Store", writer.store.id.clone(), theme),
        field(
            "  holds",
            format!(
                "{} → {} ({} of change data)",
                zone.format(writer.store.earliest),
                zone.format(writer.store.latest),
                format_duration_ms(
                    u64::try_from((writer.store.latest - writer.store.earliest).num_milliseconds())
                        .unwrap_or(0)
                )
            ),
            theme,
        ),
        field(
            "Checkpoint",
            row.and_then(|row| state.fleet.checkpoint(row, now))
                .map_or("none".into(), when),
            theme,
        ),
        field(
            "Latency",
            row.and_then(|row| state.fleet.latency_ms(row, state.now))
                .map_or("—".into(), format_duration_ms),
            theme,
        ),
        field("Updated", when(writer.updated_at), theme),
        field("Times in", zone.to_string(), theme),
    ]);
    if let Some(failed) = state.failed_project(&writer.project.id) {
        lines.push(Line::styled(
            format!("Project not refreshed: {}", failed.error),
            theme.warning(),
        ));
    }
    if let Some(message) = &writer.message {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", "Message"), theme.dim()),
            Span::styled(message.to_string(), theme.error()),
        ]));
    }
    if state.marks.contains(&writer.id) {
        lines.push(Line::styled("Marked", theme.mark()));
    }
    lines
}

/// `OMS <url>` or `simulated` (`—` before the deployment is loaded).
fn backend_label(state: &State) -> String {
    let Some(deployment) = &state.deployment else {
        return "—".into();
    };
    match (deployment.backend.kind, &deployment.backend.url) {
        (BackendKind::Oms, Some(url)) => format!("OMS {url}"),
        (BackendKind::Oms, None) => "OMS".into(),
        (BackendKind::Simulated, _) => "simulated".into(),
    }
}

fn audit_line(state: &State, entry: &AuditEntry, theme: &Theme) -> Line<'static> {
    let action = match (entry.action, entry.replay_from) {
        (AuditAction::Start, Some(at)) => {
            format!("start, replay from {}", state.zone.format(at))
        }
        (AuditAction::Start, None) => "start".to_string(),
        (AuditAction::Pause, _) => "pause".to_string(),
    };
    let result_style = match entry.result.as_str() {
        "ok" => theme.ok(),
        "noop" => theme.dim(),
        _ => theme.error(),
    };
    let mut spans = vec![
        Span::styled(state.zone.format(entry.at), theme.dim()),
        Span::raw(format!("  {}  {action}  ", entry.actor)),
        Span::styled(entry.result.clone(), result_style),
    ];
    if let Some(message) = &entry.message {
        spans.push(Span::styled(
            format!(": {}", localize_times(message, &state.zone)),
            theme.dim(),
        ));
    }
    Line::from(spans)
}
