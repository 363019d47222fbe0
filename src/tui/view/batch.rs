//! The dialog of a batch: what will happen to the marked writers, the requests going out,
//! and the results, writer by writer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::boxes::{Dialog, text_width};
use super::dialogs::{
    LABEL_WIDTH, button, paragraph, replay_lines, skip_buttons, timestamp_cursor,
};
use super::text::{fit, wrap_spans};
use crate::domain::{ReplaySpan, format_ago, format_duration_ms};
use crate::tui::batch::{BatchDialog, BatchKind, BatchRun, BatchStage, Outcome, Plan};
use crate::tui::dialogs::PauseFocus;
use crate::tui::start_form::{ReplayInput, StartFocus, TIMESTAMP_REQUIRED};
use crate::tui::state::State;
use crate::tui::theme::Theme;

const WIDTH: u16 = 100;

fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("{count} {one}")
    } else {
        format!("{count} {many}")
    }
}

/// Draws `batch` in `area`.
pub fn draw(state: &State, batch: &BatchDialog, frame: &mut Frame, area: Rect, theme: &Theme) {
    match &batch.stage {
        BatchStage::Confirm => confirm(state, batch, frame, area, theme),
        BatchStage::Running(run) => progress(batch, run, false, frame, area, theme),
        BatchStage::Results(run) => progress(batch, run, true, frame, area, theme),
    }
}

fn confirm(state: &State, batch: &BatchDialog, frame: &mut Frame, area: Rect, theme: &Theme) {
    let width = text_width(area, WIDTH);
    let summary = batch.summary();
    let verb = batch.kind.verb().to_lowercase();
    let mut body = vec![Line::styled(
        format!(
            "{} the {}",
            batch.kind.verb(),
            plural(batch.writers.len(), "marked writer", "marked writers")
        ),
        theme.title(),
    )];
    if batch.hidden > 0 {
        body.extend(paragraph(
            &format!(
                "{} not shown by the current filters.",
                plural(batch.hidden, "of them is", "of them are")
            ),
            width,
            theme.warning(),
        ));
    }
    let mut counts = vec![Span::styled(
        format!("{} will {verb}", summary.send),
        theme.ok(),
    )];
    if summary.no_op > 0 {
        counts.push(Span::styled(
            format!(" · {} skipped as no-ops", summary.no_op),
            theme.dim(),
        ));
    }
    let refused: usize = summary.refused.iter().map(|(_, n)| n).sum();
    if refused > 0 {
        counts.push(Span::styled(
            format!(" · {refused} refused by the rules"),
            theme.error(),
        ));
    }
    body.extend(wrap_spans(&counts, width, 2));
    for (reason, count) in &summary.refused {
        body.extend(wrap_spans(
            &[Span::styled(
                format!("  {count} refused: {reason}"),
                theme.error(),
            )],
            width,
            4,
        ));
    }
    let mut anchor = None;
    let mut timestamp_line = None;
    if batch.kind == BatchKind::Start {
        body.push(Line::raw(""));
        let hint = match batch.form.input(state.now, &state.zone) {
            ReplayInput::At(at) => Span::styled(
                format!(
                    "→ {} {} · {}",
                    state.zone.format(at),
                    state.zone,
                    format_ago(at, state.now)
                ),
                theme.ok(),
            ),
            _ => Span::styled(
                format!("in {}; -2h and 30m ago work too", state.zone),
                theme.dim(),
            ),
        };
        let (lines, at) = replay_lines(&batch.form, hint, width, theme);
        timestamp_line = at.map(|at| at + body.len());
        anchor = Some(timestamp_line.unwrap_or(body.len()));
        body.extend(lines);
        if summary.skipping > 0 {
            body.extend(paragraph(
                &format!(
                    "⚠ The replay skips change data of {} (up to {}): the destination never \
                     receives it.",
                    plural(summary.skipping, "writer", "writers"),
                    format_duration_ms(summary.longest_skip_ms)
                ),
                width,
                theme.warning(),
            ));
        }
        if summary.rewriting > 0 {
            body.extend(paragraph(
                &format!(
                    "The replay writes change data again for {} (up to {}).",
                    plural(summary.rewriting, "writer", "writers"),
                    format_duration_ms(summary.longest_rewrite_ms)
                ),
                width,
                theme.dim(),
            ));
        }
    }
    body.push(Line::raw(""));
    // Only what can be on screen: a batch may hold the whole fleet.
    let rows = usize::from(area.height);
    for (writer, plan) in batch
        .writers
        .iter()
        .zip(&batch.plan)
        .skip(batch.scroll)
        .take(rows)
    {
        let (label, detail, style) = match plan {
            Plan::Send { span, .. } => {
                let detail = match span {
                    ReplaySpan::Neither => String::new(),
                    span => span.describe(&state.zone).unwrap_or_default(),
                };
                let style = if span.skips() {
                    theme.warning()
                } else {
                    theme.ok()
                };
                (format!("will {verb}"), detail, style)
            }
            Plan::NoOp(reason) => ("no-op".to_string(), (*reason).to_string(), theme.dim()),
            Plan::Refused { reason, .. } => ("refused".to_string(), reason.clone(), theme.error()),
        };
        body.extend(writer_row(
            &writer.name,
            &label,
            &detail,
            style,
            width,
            theme,
        ));
    }
    let mut footer = Vec::new();
    if batch.form.confirming_skip {
        footer.extend(paragraph(
            &format!(
                "The replay skips change data of {} for good. Skip it and start?",
                plural(summary.skipping, "writer", "writers")
            ),
            width,
            theme.warning(),
        ));
        footer.push(skip_buttons(&batch.form, width, theme));
    } else {
        let problem = match (&batch.form.error, batch.form.input(state.now, &state.zone)) {
            (Some(error), _) => Some(error.clone()),
            (None, ReplayInput::Missing) if batch.form.touched => Some(TIMESTAMP_REQUIRED.into()),
            (None, ReplayInput::Unreadable(message)) => Some(message),
            _ => None,
        };
        if let Some(problem) = problem {
            footer.extend(paragraph(&format!("✖ {problem}"), width, theme.error()));
        }
        let (submit_focus, cancel_focus) = match batch.kind {
            BatchKind::Start => (
                batch.form.focus == StartFocus::Submit,
                batch.form.focus == StartFocus::Cancel,
            ),
            BatchKind::Pause => (
                batch.pause_focus == PauseFocus::Ok,
                batch.pause_focus == PauseFocus::Cancel,
            ),
        };
        footer.push(Line::from(vec![
            Span::raw(" ".repeat(LABEL_WIDTH.min(width / 4))),
            button(
                &format!("{} {}", batch.kind.verb(), summary.send),
                submit_focus,
                summary.send > 0,
                theme,
            ),
            Span::raw("   "),
            button("Cancel", cancel_focus, true, theme),
            Span::styled("   PgUp PgDn scroll the writers", theme.dim()),
        ]));
    }
    let drawn = Dialog {
        title: format!("{} marked writers", batch.kind.verb()),
        width: WIDTH,
        body,
        footer,
        anchor,
    }
    .draw(frame, area, theme);
    if batch.form.focus == StartFocus::Timestamp
        && !batch.form.confirming_skip
        && let Some(row) = timestamp_line.and_then(|line| drawn.row_of(line))
    {
        frame.set_cursor_position(timestamp_cursor(&batch.form, drawn.body, row));
    }
}

/// One writer of the list: name, label, and the detail wrapped under it.
fn writer_row(
    name: &str,
    label: &str,
    detail: &str,
    style: Style,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let name_width = 30.min(width / 2);
    let mut spans = vec![
        Span::raw(format!("{:<name_width$} ", fit(name, name_width))),
        Span::styled(format!("{label:<11}"), style),
    ];
    if !detail.is_empty() {
        spans.push(Span::styled(format!(" {detail}"), theme.dim()));
    }
    wrap_spans(&spans, width, name_width + 1)
}

fn outcome_style(outcome: &Outcome, theme: &Theme) -> Style {
    match outcome {
        Outcome::Done(_) => theme.ok(),
        Outcome::NoOp(_) | Outcome::Unchanged | Outcome::Queued { .. } => theme.dim(),
        Outcome::InFlight | Outcome::NotSent(_) => theme.warning(),
        Outcome::Refused(_) | Outcome::Failed(_) => theme.error(),
    }
}

fn progress(
    batch: &BatchDialog,
    run: &BatchRun,
    done: bool,
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
) {
    let width = text_width(area, WIDTH);
    let (answered, to_send) = run.progress();
    let tally: Vec<String> = run
        .tally()
        .into_iter()
        .map(|(label, count)| format!("{count} {label}"))
        .collect();
    let doing = match batch.kind {
        BatchKind::Start => "Starting",
        BatchKind::Pause => "Pausing",
    };
    let headline = if done {
        format!("Done: {}", tally.join(" · "))
    } else {
        format!(
            "{doing} … {answered} / {to_send} answered ({} in flight)",
            run.in_flight
        )
    };
    let mut body = vec![Line::styled(headline, theme.title())];
    if !done {
        body.push(Line::styled(tally.join(" · "), theme.dim()));
    }
    body.push(Line::raw(""));
    for item in run
        .items
        .iter()
        .skip(batch.scroll)
        .take(usize::from(area.height))
    {
        let detail = match &item.outcome {
            Outcome::Done(status) => format!("now {status}"),
            Outcome::NoOp(reason) => (*reason).to_string(),
            Outcome::Unchanged => "the controller found nothing to do".to_string(),
            Outcome::NotSent(reason) | Outcome::Refused(reason) | Outcome::Failed(reason) => {
                reason.clone()
            }
            Outcome::Queued { .. } | Outcome::InFlight => String::new(),
        };
        body.extend(writer_row(
            &item.writer.name,
            item.outcome.label(),
            &detail,
            outcome_style(&item.outcome, theme),
            width,
            theme,
        ));
    }
    let failed = run.items.iter().filter(|i| i.outcome.is_failure()).count();
    let footer_text = match (done, run.stopped) {
        (false, false) => "Esc stops sending the rest · ↑↓ PgUp PgDn scroll".to_string(),
        (false, true) => format!(
            "Stopped: no more requests go out; waiting for {} in flight",
            run.in_flight
        ),
        (true, _) if failed > 0 => format!(
            "r retries the {} that failed (through this dialog again) · Esc closes",
            plural(failed, "writer", "writers")
        ),
        (true, _) => "Esc closes · ↑↓ PgUp PgDn scroll".to_string(),
    };
    let footer = paragraph(&footer_text, width, theme.dim());
    Dialog {
        title: format!("{} marked writers", batch.kind.verb()),
        width: WIDTH,
        body,
        footer,
        anchor: None,
    }
    .draw(frame, area, theme);
}
