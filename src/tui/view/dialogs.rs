//! The Start and Pause dialogs, mirroring the console's, plus what it leaves unsaid: the
//! store's range, the parsed instant, and why the controller would refuse.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::popups::{centered, frame_box};
use super::text::wrap;
use crate::domain::{ACCEPTED_FORMS, Writer, WriterKind, format_ago};
use crate::tui::start_check::StartCheck;
use crate::tui::state::{PauseDialog, PauseFocus, StartDialog, StartFocus, State, Submission};
use crate::tui::theme::Theme;

const FIELD_WIDTH: usize = 30;

const START_WIDTH: u16 = 80;
const PAUSE_WIDTH: u16 = 70;

/// Width of the text inside a dialog `width` wide drawn in `area` (borders and margins off).
fn body_width(area: Rect, width: u16) -> usize {
    usize::from(width.min(area.width).saturating_sub(4))
}

/// The inside of a dialog box less a one-cell margin (left, right and top).
fn dialog_body(inner: Rect) -> Rect {
    Rect::new(
        inner.x + 1,
        inner.y + 1,
        inner.width.saturating_sub(2),
        inner.height.saturating_sub(1),
    )
}

fn writer_summary(writer: &Writer, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(writer.status.label(), theme.status(writer.status)),
        Span::styled(
            format!(
                " · {} · {} · {}",
                writer.kind.label(),
                writer.region,
                writer.server_ip
            ),
            theme.dim(),
        ),
    ])
}

fn button(label: &str, focused: bool, enabled: bool, theme: &Theme) -> Span<'static> {
    let style = match (focused, enabled) {
        (true, _) => theme.focused(),
        (false, true) => Style::new(),
        (false, false) => theme.dim(),
    };
    Span::styled(format!("[ {label} ]"), style)
}

fn choice(label: &str, chosen: bool, focused: bool, theme: &Theme) -> Span<'static> {
    let mark = if chosen { "(•)" } else { "( )" };
    let style = if focused {
        theme.focused()
    } else {
        Style::new()
    };
    Span::styled(format!("{mark} {label}"), style)
}

/// The Start dialog.
pub fn start(state: &State, dialog: &StartDialog, frame: &mut Frame, area: Rect, theme: &Theme) {
    let writer = &dialog.writer;
    let zone = &state.zone;
    let check = dialog.check(state.now, zone);
    let in_flight = dialog.submission == Submission::InFlight;
    let label = |text: &str| Span::styled(format!("{text:<24}"), theme.dim());

    let mut lines = vec![
        Line::from(vec![
            label("JDBCWriter"),
            Span::styled(writer.name.clone(), theme.title()),
        ]),
        Line::from([vec![label("")], writer_summary(writer, theme).spans].concat()),
        Line::from(vec![
            label("Checkpoint"),
            Span::raw(writer.checkpoint.map_or("none".into(), |at| {
                format!("{} ({})", zone.format(at), format_ago(at, state.now))
            })),
        ]),
        Line::from(vec![
            label("Store holds"),
            Span::raw(format!(
                "{} → {}",
                zone.format(writer.store.earliest),
                zone.format(writer.store.latest)
            )),
        ]),
        Line::raw(""),
        Line::from(vec![
            label("Whether to Replay Data"),
            choice(
                "No",
                !dialog.replay,
                dialog.focus == StartFocus::ReplayNo,
                theme,
            ),
            Span::raw("   "),
            choice(
                "Yes",
                dialog.replay,
                dialog.focus == StartFocus::ReplayYes,
                theme,
            ),
        ]),
    ];
    if dialog.replay {
        let focused = dialog.focus == StartFocus::Timestamp;
        let value = format!(" {:<FIELD_WIDTH$}", dialog.timestamp.value);
        lines.push(Line::from(vec![
            label("Timestamp"),
            Span::styled(
                value,
                if focused {
                    theme.focused()
                } else {
                    theme.header()
                },
            ),
        ]));
        let hint = match &check {
            StartCheck::Parsed { at, .. } => Span::styled(
                format!(
                    "→ {} {zone} · {}",
                    zone.format(*at),
                    format_ago(*at, state.now)
                ),
                theme.ok(),
            ),
            _ => Span::styled(format!("in {zone}; -2h and 30m ago work too"), theme.dim()),
        };
        lines.push(Line::from(vec![label(""), hint]));
    }
    if dialog.replay && writer.kind == WriterKind::Full {
        lines.extend(
            wrap(
                "Data replay applies only to incremental data synchronization writers.",
                body_width(area, START_WIDTH),
            )
            .into_iter()
            .map(|line| Line::styled(line, theme.warning())),
        );
    }
    lines.push(Line::raw(""));
    let problem = match (&dialog.error, &check) {
        (Some(error), _) => Some(error.clone()),
        (None, StartCheck::Missing) if dialog.focus != StartFocus::Timestamp => {
            Some("Timestamp is required when replaying data".into())
        }
        (None, StartCheck::Unreadable(message)) => {
            Some(message.replace(&format!("; accepted forms: {ACCEPTED_FORMS}"), ""))
        }
        (None, StartCheck::NoReplay { problem } | StartCheck::Parsed { problem, .. }) => {
            problem.clone()
        }
        (None, StartCheck::Missing) => None,
    };
    let (message, style) = match problem {
        Some(problem) => (format!("✖ {problem}"), theme.error()),
        None if in_flight => (
            "Starting … waiting for the controller (Esc closes; the result will show)".into(),
            theme.warning(),
        ),
        None if dialog.replay => (
            "The writer first moves its checkpoint to this timestamp, then starts.".into(),
            theme.dim(),
        ),
        None => (
            "The writer resumes from its checkpoint.".into(),
            theme.dim(),
        ),
    };
    lines.extend(
        wrap(&message, body_width(area, START_WIDTH))
            .into_iter()
            .map(|line| Line::styled(line, style)),
    );
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::raw(" ".repeat(24)),
        button(
            "Start",
            dialog.focus == StartFocus::StartButton,
            !in_flight,
            theme,
        ),
        Span::raw("   "),
        button(
            "Cancel",
            dialog.focus == StartFocus::CancelButton,
            true,
            theme,
        ),
    ]));

    let rect = centered(
        area,
        START_WIDTH,
        u16::try_from(lines.len() + 4).unwrap_or(u16::MAX),
    );
    let body = dialog_body(frame_box(frame, rect, "Start", theme));
    frame.render_widget(Paragraph::new(lines), body);
    if dialog.replay && dialog.focus == StartFocus::Timestamp {
        let x = body.x + 25 + u16::try_from(dialog.timestamp.cursor).unwrap_or(0);
        // The timestamp field is the line after the replay choice.
        frame.set_cursor_position((x.min(body.x + body.width.saturating_sub(1)), body.y + 6));
    }
}

/// The Pause confirmation.
pub fn pause(state: &State, dialog: &PauseDialog, frame: &mut Frame, area: Rect, theme: &Theme) {
    let writer = &dialog.writer;
    let in_flight = dialog.submission == Submission::InFlight;
    let checkpoint = writer
        .checkpoint
        .map_or("its current position".into(), |at| state.zone.format(at));
    let width = body_width(area, PAUSE_WIDTH);
    let paragraph = |text: &str, style: Style| -> Vec<Line<'static>> {
        wrap(text, width)
            .into_iter()
            .map(|line| Line::styled(line, style))
            .collect()
    };
    let mut lines = vec![
        Line::from(vec![
            Span::raw("Pause "),
            Span::styled(writer.name.clone(), theme.title()),
            Span::raw("?"),
        ]),
        writer_summary(writer, theme),
        Line::raw(""),
    ];
    lines.extend(paragraph(
        "The writer stops writing to the destination until it is started again. Change data \
         keeps accumulating in the store, so latency grows while it is paused.",
        Style::new(),
    ));
    lines.extend(paragraph(
        &format!("Its checkpoint ({checkpoint}) is kept: a later start resumes from there."),
        Style::new(),
    ));
    lines.push(Line::raw(""));
    if let Some(error) = &dialog.error {
        lines.extend(paragraph(&format!("✖ {error}"), theme.error()));
    } else if in_flight {
        lines.extend(paragraph(
            "Pausing … waiting for the controller",
            theme.warning(),
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::raw(" ".repeat(20)),
        button("OK", dialog.focus == PauseFocus::Ok, !in_flight, theme),
        Span::raw("   "),
        button("Cancel", dialog.focus == PauseFocus::Cancel, true, theme),
    ]));
    let height = u16::try_from(lines.len() + 4).unwrap_or(u16::MAX);
    let rect = centered(area, PAUSE_WIDTH, height);
    let body = dialog_body(frame_box(frame, rect, "Pause", theme));
    frame.render_widget(Paragraph::new(lines), body);
}
