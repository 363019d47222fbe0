//! Boxes on top of the table. A dialog's footer — its message and its buttons — always stays
//! inside the box at every size the console draws; when the body does not fit, it scrolls so
//! the focused line stays in view, and the border says that more is above or below.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

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

/// Width of the text inside a box `width` wide drawn in `area` (borders and margins off).
pub fn text_width(area: Rect, width: u16) -> usize {
    usize::from(width.min(area.width).saturating_sub(4))
}

/// A dialog to draw.
pub struct Dialog<'a> {
    pub title: String,
    /// Widest the box gets.
    pub width: u16,
    pub body: Vec<Line<'a>>,
    /// Messages and buttons: always shown, at the bottom of the box.
    pub footer: Vec<Line<'a>>,
    /// The body line that must stay visible (the focused field).
    pub anchor: Option<usize>,
}

/// Where a dialog's body landed: its rectangle and the first body line shown.
#[derive(Debug, Clone, Copy)]
pub struct Drawn {
    pub body: Rect,
    pub first: usize,
}

impl Drawn {
    /// The screen row of body line `line`, if it is shown.
    pub fn row_of(&self, line: usize) -> Option<u16> {
        let offset = u16::try_from(line.checked_sub(self.first)?).ok()?;
        (offset < self.body.height).then_some(self.body.y + offset)
    }
}

impl Dialog<'_> {
    /// Draws the dialog centred in `area`.
    pub fn draw(self, frame: &mut Frame, area: Rect, theme: &Theme) -> Drawn {
        let (body_len, footer_len) = (self.body.len(), self.footer.len());
        let wanted = body_len + footer_len + 4;
        let height = u16::try_from(wanted).unwrap_or(u16::MAX).min(area.height);
        let rect = centered(area, self.width, height);
        let inner_height = usize::from(rect.height.saturating_sub(2));
        // The footer first; then a top margin and a gap above the footer while there is room.
        let footer_rows = footer_len.min(inner_height);
        let spare = inner_height - footer_rows;
        let top = usize::from(spare > body_len);
        let gap = usize::from(spare > body_len + top);
        let body_rows = spare - top - gap;
        let first = match self.anchor {
            Some(anchor) if anchor >= body_rows => anchor + 1 - body_rows,
            _ => 0,
        }
        .min(body_len.saturating_sub(body_rows));
        let more_above = first > 0;
        let more_below = first + body_rows < body_len;
        let mut block = Block::bordered()
            .border_style(theme.border())
            .title(Span::styled(format!(" {} ", self.title), theme.title()));
        if more_above {
            block = block.title(Line::styled(" ▲ more ", theme.dim()).right_aligned());
        }
        if more_below {
            block = block.title_bottom(Line::styled(" ▼ more ", theme.dim()).right_aligned());
        }
        let inner = block.inner(rect);
        frame.render_widget(Clear, rect);
        frame.render_widget(block, rect);
        let x = inner.x + 1;
        let width = inner.width.saturating_sub(2);
        let row = |offset: usize| inner.y + u16::try_from(offset).unwrap_or(u16::MAX);
        let body = Rect::new(x, row(top), width, u16::try_from(body_rows).unwrap_or(0));
        let shown: Vec<Line> = self.body.into_iter().skip(first).take(body_rows).collect();
        frame.render_widget(Paragraph::new(shown), body);
        let footer: Vec<Line> = self
            .footer
            .into_iter()
            .skip(footer_len - footer_rows)
            .collect();
        let footer_rect = Rect::new(
            x,
            row(top + body_rows + gap),
            width,
            u16::try_from(footer_rows).unwrap_or(0),
        );
        frame.render_widget(Paragraph::new(footer), footer_rect);
        Drawn { body, first }
    }
}
