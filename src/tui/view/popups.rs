//! The help screen and the region picker.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::boxes::{Dialog, centered, frame_box};
use crate::tui::help::{self, HelpLine};
use crate::tui::state::{HelpView, RegionPicker, State};
use crate::tui::theme::Theme;

/// The help: every mode's keys, the mouse and the commands, from the keymaps themselves;
/// it scrolls when it does not fit.
pub fn help(state: &State, view: &HelpView, frame: &mut Frame, area: Rect, theme: &Theme) {
    let lines = help::lines(state.settings.read_only);
    let visible = help::visible_lines(state.size, lines.len());
    let first = view.scroll.min(lines.len().saturating_sub(visible));
    let height = u16::try_from(visible + 3).unwrap_or(u16::MAX);
    let rect = centered(area, help::WIDTH, height);
    let inner = frame_box(frame, rect, "Help — jwctl keys and commands", theme);
    let shown: Vec<Line> = lines
        .iter()
        .skip(first)
        .take(visible)
        .map(|line| match line {
            HelpLine::Section(title) => Line::styled((*title).to_string(), theme.header()),
            HelpLine::Entry { keys, what } => Line::from(vec![
                Span::styled(format!("  {keys:<14}"), theme.key()),
                Span::raw(what.clone()),
            ]),
            HelpLine::Blank => Line::raw(""),
        })
        .collect();
    frame.render_widget(
        Paragraph::new(shown),
        Rect::new(
            inner.x + 1,
            inner.y,
            inner.width.saturating_sub(2),
            inner.height.saturating_sub(1),
        ),
    );
    let position = format!(
        " {}–{} of {} · ↑↓ PgUp PgDn scroll · Esc closes",
        first + 1,
        (first + visible).min(lines.len()),
        lines.len()
    );
    frame.render_widget(
        Line::styled(position, theme.dim()),
        Rect::new(
            inner.x,
            inner.y + inner.height.saturating_sub(1),
            inner.width,
            1,
        ),
    );
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
    let body: Vec<Line> = items
        .iter()
        .enumerate()
        .map(|(i, (name, count, ticked))| {
            let mark = if *ticked { "[x]" } else { "[ ]" };
            let text = format!("{mark} {name:<24}{count:>8} ");
            let style = if i == picker.cursor {
                theme.focused()
            } else {
                Style::new()
            };
            Line::styled(text, style)
        })
        .collect();
    Dialog {
        title: "Regions".into(),
        width: 46,
        body,
        footer: vec![Line::styled(
            "Space ticks · Enter applies · Esc cancels",
            theme.dim(),
        )],
        anchor: Some(picker.cursor),
    }
    .draw(frame, area, theme);
}
