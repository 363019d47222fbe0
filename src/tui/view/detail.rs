//! The detail view of one writer: its full record and its recent operations from the audit
//! log, times in the operator's zone.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::boxes::{centered, frame_box};
use crate::api::{AuditAction, AuditEntry, BackendKind};
use crate::domain::{Writer, WriterStatus, format_ago, format_duration_ms, localize_times};
use crate::tui::state::{DetailView, Loadable, State};
use crate::tui::theme::Theme;

fn field(label: &str, value: impl Into<String>, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<12}"), theme.dim()),
        Span::raw(value.into()),
    ])
}

/// The detail of the writer `detail` names, with its recent audit entries.
pub fn draw(state: &State, detail: &DetailView, frame: &mut Frame, area: Rect, theme: &Theme) {
    let rect = centered(area, 100, area.height.saturating_sub(2));
    let writer = state.fleet.get(&detail.writer_id);
    let title = writer.map_or("Writer".to_string(), |w| w.name.clone());
    let inner = frame_box(frame, rect, &title, theme);
    let mut lines = match writer {
        Some(writer) => writer_lines(state, writer, theme),
        None => vec![Line::styled(
            format!("Writer {} is no longer in the fleet.", detail.writer_id),
            theme.warning(),
        )],
    };
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
        Rect::new(
            inner.x + 1,
            inner.y,
            inner.width.saturating_sub(2),
            inner.height,
        ),
    );
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
