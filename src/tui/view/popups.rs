//! Help, the writer detail and the region picker.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::api::{AuditAction, AuditEntry};
use crate::domain::{Writer, format_ago, format_duration_ms, format_utc};
use crate::tui::keys::{DIALOG_KEYS, MOUSE_KEYS, SEARCH_KEYS, TABLE_KEYS};
use crate::tui::state::{DetailPopup, Loadable, RegionPicker, State};
use crate::tui::theme::Theme;

/// A `width` x `height` rectangle centred in `area` (shrunk to fit).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

/// Clears `area` and draws a bordered box titled `title`; returns the inside.
pub fn frame_box(frame: &mut Frame, area: Rect, title: &str, theme: &Theme) -> Rect {
    let block = Block::bordered()
        .border_style(theme.border())
        .title(Span::styled(format!(" {title} "), theme.title()));
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    inner
}

fn key_lines(title: &str, keys: &[(&str, &str)], theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(title.to_string(), theme.header())];
    lines.extend(keys.iter().map(|(key, what)| {
        Line::from(vec![
            Span::styled(format!("{key:<11}"), theme.key()),
            Span::raw((*what).to_string()),
        ])
    }));
    lines
}

/// The key help: table keys on the left; search, dialog and mouse keys on the right.
pub fn help(frame: &mut Frame, area: Rect, theme: &Theme) {
    let left = key_lines("Table", TABLE_KEYS, theme);
    let mut right = key_lines("Search box", SEARCH_KEYS, theme);
    right.push(Line::raw(""));
    right.extend(key_lines("Dialogs and pickers", DIALOG_KEYS, theme));
    right.push(Line::raw(""));
    right.extend(key_lines("Mouse", MOUSE_KEYS, theme));
    let height = u16::try_from(left.len().max(right.len()) + 4).unwrap_or(u16::MAX);
    let rect = centered(area, 80, height);
    let inner = frame_box(frame, rect, "Help — jwctl keys", theme);
    let half = inner.width / 2;
    let body_height = inner.height.saturating_sub(2);
    frame.render_widget(
        Paragraph::new(left),
        Rect::new(inner.x + 1, inner.y, half.saturating_sub(1), body_height),
    );
    frame.render_widget(
        Paragraph::new(right),
        Rect::new(
            inner.x + half + 1,
            inner.y,
            inner.width - half - 1,
            body_height,
        ),
    );
    frame.render_widget(
        Line::styled(" Esc or ? closes this help", theme.dim()),
        Rect::new(
            inner.x,
            inner.y + inner.height.saturating_sub(1),
            inner.width,
            1,
        ),
    );
}

fn field(label: &str, value: impl Into<String>, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<12}"), theme.dim()),
        Span::raw(value.into()),
    ])
}

/// The detail of the writer `detail` names, with its recent audit entries.
pub fn detail(state: &State, detail: &DetailPopup, frame: &mut Frame, area: Rect, theme: &Theme) {
    let rect = centered(area, 100, area.height.saturating_sub(2));
    // The detail opens on the selected writer, and the selection follows it across
    // refreshes: the fleet is scanned only if the writer left the table.
    let writer = state
        .selected_writer()
        .filter(|w| w.id == detail.writer_id)
        .or_else(|| {
            state
                .fleet
                .writers
                .iter()
                .find(|w| w.id == detail.writer_id)
        });
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
            Span::styled(writer.status.label(), theme.status(writer.status)),
            Span::styled(format!("   version {}", writer.version), theme.dim()),
        ]),
        field("Kind", writer.kind.label(), theme),
        field(
            "Project",
            format!("{} ({})", writer.project.name, writer.project.id),
            theme,
        ),
        field("Server IP", writer.server_ip.clone(), theme),
        field("Region", writer.region.clone(), theme),
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
            writer.checkpoint.map_or("none".into(), when),
            theme,
        ),
        field(
            "Latency",
            writer.latency_ms.map_or("—".into(), format_duration_ms),
            theme,
        ),
        field("Updated", when(writer.updated_at), theme),
        field("Times in", zone.to_string(), theme),
    ];
    if let Some(message) = &writer.message {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<12}", "Message"), theme.dim()),
            Span::styled(message.clone(), theme.error()),
        ]));
    }
    lines
}

fn audit_line(state: &State, entry: &AuditEntry, theme: &Theme) -> Line<'static> {
    let action = match (entry.action, entry.replay_from) {
        (AuditAction::Start, Some(at)) => format!("start, replay from {}", format_utc(at)),
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
        spans.push(Span::styled(format!(": {message}"), theme.dim()));
    }
    Line::from(spans)
}

/// The region picker: "All regions", then each region with its writer count.
pub fn regions(state: &State, picker: &RegionPicker, frame: &mut Frame, area: Rect, theme: &Theme) {
    let regions: &[String] = state
        .deployment
        .as_ref()
        .map_or(&[], |d| d.regions.as_slice());
    let count = |region: &str| state.fleet.region_counts.get(region).copied().unwrap_or(0);
    let mut items: Vec<(String, usize, bool)> = vec![(
        "All regions".to_string(),
        state.fleet.writers.len(),
        picker.chosen.is_empty(),
    )];
    items.extend(
        regions
            .iter()
            .map(|r| (r.clone(), count(r), picker.chosen.contains(r))),
    );
    let height = u16::try_from(items.len() + 4).unwrap_or(u16::MAX);
    let rect = centered(area, 44, height);
    let inner = frame_box(frame, rect, "Regions", theme);
    let mut lines: Vec<Line> = items
        .iter()
        .enumerate()
        .map(|(i, (name, count, ticked))| {
            let mark = if *ticked { "[x]" } else { "[ ]" };
            let text = format!(" {mark} {name:<24}{count:>8} ");
            let style = if i == picker.cursor {
                theme.focused()
            } else {
                Style::new()
            };
            Line::styled(text, style)
        })
        .collect();
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " Space ticks · Enter applies · Esc cancels",
        theme.dim(),
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}
