//! The Start and Pause dialogs of one writer, mirroring the console's, plus what it leaves
//! unsaid: the store's range, the parsed instant, what a replay skips or writes again, and why
//! the controller would refuse.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::boxes::{Dialog, text_width};
use super::text::{wrap, wrap_spans};
use crate::domain::{ACCEPTED_FORMS, ReplaySpan, Writer, WriterKind, Zone, format_ago};
use crate::tui::dialogs::{PauseDialog, PauseFocus, StartDialog};
use crate::tui::start_check::StartCheck;
use crate::tui::start_form::{StartFocus, StartForm, TIMESTAMP_REQUIRED};
use crate::tui::state::{State, Submission};
use crate::tui::theme::Theme;

/// Width of the Timestamp field.
pub const FIELD_WIDTH: usize = 30;
/// Width of the labels on the left of the Start form.
pub const LABEL_WIDTH: usize = 24;

const START_WIDTH: u16 = 80;
const PAUSE_WIDTH: u16 = 70;

/// `text` as wrapped lines of `style`.
pub fn paragraph(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    wrap(text, width)
        .into_iter()
        .map(|line| Line::styled(line, style))
        .collect()
}

/// Where a wrapped value continues: under the value, unless that leaves too little room.
fn value_indent(width: usize) -> usize {
    if width >= LABEL_WIDTH + 20 {
        LABEL_WIDTH
    } else {
        2
    }
}

/// A labelled value, wrapped under the value's start when the line is too narrow.
pub fn field(
    label: &str,
    value: Vec<Span<'static>>,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut spans = vec![Span::styled(format!("{label:<LABEL_WIDTH$}"), theme.dim())];
    spans.extend(value);
    wrap_spans(&spans, width, value_indent(width))
}

/// Status, kind, region and IP of `writer`.
fn summary_spans(writer: &Writer, theme: &Theme) -> Vec<Span<'static>> {
    vec![
        Span::styled(
            writer.status_label().to_string(),
            theme.status(writer.status),
        ),
        Span::styled(
            format!(
                " · {} · {} · {}",
                writer.kind.label(),
                writer.region,
                writer.server_ip
            ),
            theme.dim(),
        ),
    ]
}

/// Status, kind, region and IP of `writer` under a blank label, wrapped to `width`.
pub fn writer_summary(writer: &Writer, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    field("", summary_spans(writer, theme), width, theme)
}

/// The buttons of the second question a replay that skips data asks.
pub fn skip_buttons(form: &StartForm, width: usize, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::raw(" ".repeat(LABEL_WIDTH.min(width / 4))),
        button(
            "Skip data and start",
            form.focus == StartFocus::ConfirmSkip,
            true,
            theme,
        ),
        Span::raw("   "),
        button("Back", form.focus == StartFocus::Back, true, theme),
    ])
}

/// A button, styled by focus and whether it can be pressed.
pub fn button(label: &str, focused: bool, enabled: bool, theme: &Theme) -> Span<'static> {
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

/// The replay choice and the Timestamp field of `form`, with `hint` under the field. Returns
/// the lines and the index of the Timestamp line.
pub fn replay_lines(
    form: &StartForm,
    hint: Span<'static>,
    width: usize,
    theme: &Theme,
) -> (Vec<Line<'static>>, Option<usize>) {
    let mut lines = field(
        "Whether to Replay Data",
        vec![
            choice(
                "No",
                !form.replay,
                form.focus == StartFocus::ReplayNo,
                theme,
            ),
            Span::raw("   "),
            choice(
                "Yes",
                form.replay,
                form.focus == StartFocus::ReplayYes,
                theme,
            ),
        ],
        width,
        theme,
    );
    if !form.replay {
        return (lines, None);
    }
    let focused = form.focus == StartFocus::Timestamp;
    let at = lines.len();
    lines.push(Line::from(vec![
        Span::styled(format!("{:<LABEL_WIDTH$}", "Timestamp"), theme.dim()),
        Span::styled(
            format!(" {:<FIELD_WIDTH$}", form.timestamp.value),
            if focused {
                theme.focused()
            } else {
                theme.header()
            },
        ),
    ]));
    let mut hint_line = vec![Span::raw(" ".repeat(LABEL_WIDTH))];
    hint_line.push(hint);
    lines.extend(wrap_spans(&hint_line, width, value_indent(width)));
    (lines, Some(at))
}

/// Where the terminal cursor goes in the Timestamp field, drawn at screen row `row`.
pub fn timestamp_cursor(form: &StartForm, body: Rect, row: u16) -> (u16, u16) {
    let offset = u16::try_from(LABEL_WIDTH + 1 + form.timestamp.cursor).unwrap_or(u16::MAX);
    let x = body.x.saturating_add(offset);
    (x.min(body.x + body.width.saturating_sub(1)), row)
}

/// What a replay from `at` skips (a warning) or writes again, for `writer`.
pub fn span_line(span: ReplaySpan, zone: &Zone, theme: &Theme) -> Option<Span<'static>> {
    let text = span.describe(zone)?;
    Some(if span.skips() {
        Span::styled(format!("⚠ The replay {text}"), theme.warning())
    } else {
        Span::styled(format!("The replay {text}"), theme.dim())
    })
}

/// The Start dialog of one writer.
pub fn start(state: &State, dialog: &StartDialog, frame: &mut Frame, area: Rect, theme: &Theme) {
    let writer = &dialog.writer;
    let form = &dialog.form;
    let zone = &state.zone;
    let width = text_width(area, START_WIDTH);
    let check = dialog.check(state.now, zone);
    let in_flight = dialog.submission == Submission::InFlight;

    let mut body = field(
        "JDBCWriter",
        vec![Span::styled(writer.name.clone(), theme.title())],
        width,
        theme,
    );
    body.extend(writer_summary(writer, width, theme));
    body.extend(field(
        "Checkpoint",
        vec![Span::raw(writer.checkpoint.map_or("none".into(), |at| {
            format!("{} ({})", zone.format(at), format_ago(at, state.now))
        }))],
        width,
        theme,
    ));
    body.extend(field(
        "Store holds",
        vec![Span::raw(format!(
            "{} → {}",
            zone.format(writer.store.earliest),
            zone.format(writer.store.latest)
        ))],
        width,
        theme,
    ));
    body.push(Line::raw(""));
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
    let (replay, timestamp_line) = replay_lines(form, hint, width, theme);
    let timestamp_line = timestamp_line.map(|at| at + body.len());
    body.extend(replay);
    if let StartCheck::Parsed { span, .. } = &check
        && let Some(line) = span_line(*span, zone, theme)
    {
        body.extend(wrap_spans(&[line], width, 0));
    }
    if form.replay && writer.kind == WriterKind::Full {
        body.extend(paragraph(
            "Data replay applies only to incremental data synchronization writers.",
            width,
            theme.warning(),
        ));
    }
    let anchor = match form.focus {
        StartFocus::Timestamp => timestamp_line,
        StartFocus::ReplayNo | StartFocus::ReplayYes => Some(timestamp_line.unwrap_or(0)),
        _ => Some(body.len().saturating_sub(1)),
    };

    let mut footer = Vec::new();
    if form.confirming_skip {
        let text = match &check {
            StartCheck::Parsed { span, .. } => span.describe(zone).unwrap_or_default(),
            _ => String::new(),
        };
        footer.extend(paragraph(
            &format!(
                "The replay {text}: the destination never receives that data. Skip it for good \
                 and start?"
            ),
            width,
            theme.warning(),
        ));
        footer.push(skip_buttons(form, width, theme));
    } else {
        let (message, style) = start_message(form, &check, in_flight, theme);
        footer.extend(paragraph(&message, width, style));
        footer.push(Line::from(vec![
            Span::raw(" ".repeat(LABEL_WIDTH.min(width / 4))),
            button("Start", form.focus == StartFocus::Submit, !in_flight, theme),
            Span::raw("   "),
            button("Cancel", form.focus == StartFocus::Cancel, true, theme),
        ]));
    }
    let drawn = Dialog {
        title: "Start".into(),
        width: START_WIDTH,
        body,
        footer,
        anchor,
    }
    .draw(frame, area, theme);
    if form.focus == StartFocus::Timestamp
        && let Some(row) = timestamp_line.and_then(|line| drawn.row_of(line))
    {
        frame.set_cursor_position(timestamp_cursor(form, drawn.body, row));
    }
}

/// The line above the buttons: the problem, the request in flight, or what Start will do.
fn start_message(
    form: &StartForm,
    check: &StartCheck,
    in_flight: bool,
    theme: &Theme,
) -> (String, Style) {
    let problem = match (&form.error, check) {
        (Some(error), _) => Some(error.clone()),
        (None, StartCheck::Missing) if form.touched => Some(TIMESTAMP_REQUIRED.into()),
        (None, StartCheck::Unreadable(message)) => {
            Some(message.replace(&format!("; accepted forms: {ACCEPTED_FORMS}"), ""))
        }
        (None, StartCheck::NoReplay { problem } | StartCheck::Parsed { problem, .. }) => {
            problem.clone()
        }
        (None, StartCheck::Missing) => None,
    };
    match problem {
        Some(problem) => (format!("✖ {problem}"), theme.error()),
        None if in_flight => (
            "Starting … waiting for the controller (Esc closes; the result will show)".into(),
            theme.warning(),
        ),
        None if form.replay => (
            "The writer first moves its checkpoint to this timestamp, then starts.".into(),
            theme.dim(),
        ),
        None => (
            "The writer resumes from its checkpoint.".into(),
            theme.dim(),
        ),
    }
}

/// The Pause confirmation of one writer.
pub fn pause(state: &State, dialog: &PauseDialog, frame: &mut Frame, area: Rect, theme: &Theme) {
    let writer = &dialog.writer;
    let in_flight = dialog.submission == Submission::InFlight;
    let checkpoint = writer
        .checkpoint
        .map_or("its current position".into(), |at| state.zone.format(at));
    let width = text_width(area, PAUSE_WIDTH);
    let mut body = wrap_spans(
        &[
            Span::raw("Pause "),
            Span::styled(writer.name.clone(), theme.title()),
            Span::raw("?"),
        ],
        width,
        0,
    );
    body.extend(wrap_spans(&summary_spans(writer, theme), width, 0));
    body.push(Line::raw(""));
    body.extend(paragraph(
        "The writer stops writing to the destination until it is started again. Change data \
         keeps accumulating in the store, so latency grows while it is paused.",
        width,
        Style::new(),
    ));
    body.extend(paragraph(
        &format!("Its checkpoint ({checkpoint}) is kept: a later start resumes from there."),
        width,
        Style::new(),
    ));
    let mut footer = Vec::new();
    if let Some(error) = &dialog.error {
        footer.extend(paragraph(&format!("✖ {error}"), width, theme.error()));
    } else if in_flight {
        footer.extend(paragraph(
            "Pausing … waiting for the controller",
            width,
            theme.warning(),
        ));
    }
    footer.push(Line::from(vec![
        Span::raw(" ".repeat(20.min(width / 4))),
        button("OK", dialog.focus == PauseFocus::Ok, !in_flight, theme),
        Span::raw("   "),
        button("Cancel", dialog.focus == PauseFocus::Cancel, true, theme),
    ]));
    Dialog {
        title: "Pause".into(),
        width: PAUSE_WIDTH,
        body,
        footer,
        anchor: None,
    }
    .draw(frame, area, theme);
}
