//! Cutting text to a width and marking matched characters.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// `text` in at most `width` columns; a cut is marked with `…`.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    if width > 0 {
        cut.push('…');
    }
    cut
}

/// Spans of `text` with the chars at positions `marks` (sorted char indices) in `mark` style
/// and the rest in `base`.
pub fn marked(text: &str, marks: &[usize], base: Style, mark: Style) -> Vec<Span<'static>> {
    if marks.is_empty() {
        return vec![Span::styled(text.to_string(), base)];
    }
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_marked = false;
    let mut next_mark = marks.iter().peekable();
    for (i, c) in text.chars().enumerate() {
        while next_mark.next_if(|&&m| m < i).is_some() {}
        let is_marked = next_mark.peek() == Some(&&i);
        if is_marked != run_marked && !run.is_empty() {
            let style = if run_marked { mark } else { base };
            spans.push(Span::styled(std::mem::take(&mut run), style));
        }
        run_marked = is_marked;
        run.push(c);
    }
    if !run.is_empty() {
        spans.push(Span::styled(run, if run_marked { mark } else { base }));
    }
    spans
}

/// `spans` cut to `width` chars; a cut is marked with `…` in the style of the span it ends.
pub fn fit_spans(spans: Vec<Span<'static>>, width: usize) -> Vec<Span<'static>> {
    let total: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if total <= width {
        return spans;
    }
    let mut room = width.saturating_sub(1);
    let mut out = Vec::new();
    for span in spans {
        let len = span.content.chars().count();
        if len < room {
            room -= len;
            out.push(span);
            continue;
        }
        let cut: String = span.content.chars().take(room).collect();
        out.push(Span::styled(format!("{cut}…"), span.style));
        break;
    }
    if width == 0 {
        out.clear();
    }
    out
}

/// `text` broken at spaces into lines of at most `width` chars; a word longer than a line
/// is cut. Wrapping here, not in the paragraph, lets a dialog know its height exactly.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut rest: Vec<char> = word.chars().collect();
        while !rest.is_empty() {
            let used = line.chars().count();
            if used == 0 && rest.len() > width {
                lines.push(rest.drain(..width).collect());
            } else if used == 0 {
                line.extend(rest.drain(..));
            } else if used + 1 + rest.len() <= width {
                line.push(' ');
                line.extend(rest.drain(..));
            } else {
                lines.push(std::mem::take(&mut line));
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `spans` broken at spaces into lines of at most `width` chars, each word keeping its
/// span's style; a word longer than a line is cut. `indent` starts every line but the first.
pub fn wrap_spans(spans: &[Span<'_>], width: usize, indent: usize) -> Vec<Line<'static>> {
    let width = width.max(indent + 1);
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in spans {
        // Split keeping the spaces, so runs like "   " between buttons survive.
        for piece in span.content.split_inclusive(' ') {
            let len = piece.chars().count();
            let word_len = piece.trim_end_matches(' ').chars().count();
            if used > 0 && used + word_len > width {
                lines.push(Line::from(std::mem::take(&mut line)));
                line.push(Span::raw(" ".repeat(indent)));
                used = indent;
            }
            let room = width.saturating_sub(used);
            let text: String = piece.chars().take(room.max(1)).collect();
            used += len.min(room.max(1));
            line.push(Span::styled(text, span.style));
        }
    }
    if line.iter().any(|s| !s.content.trim().is_empty()) {
        lines.push(Line::from(line));
    }
    lines
}

#[cfg(test)]
mod tests {
    use ratatui::style::Modifier;

    use super::*;

    #[test]
    fn fit_cuts_with_an_ellipsis() {
        assert_eq!(fit("abcdef", 6), "abcdef");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abcdef", 0), "");
    }

    #[test]
    fn fit_spans_cuts_across_spans() {
        let spans = vec![Span::raw("orders"), Span::raw(" (np_1)")];
        let text = |spans: Vec<Span<'static>>| -> String {
            spans.iter().map(|s| s.content.as_ref()).collect()
        };
        assert_eq!(text(fit_spans(spans.clone(), 13)), "orders (np_1)");
        assert_eq!(text(fit_spans(spans.clone(), 9)), "orders (…");
        assert_eq!(text(fit_spans(spans.clone(), 6)), "order…");
        assert_eq!(text(fit_spans(spans, 0)), "");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(
            wrap("the writer stops writing", 10),
            vec!["the writer", "stops", "writing"]
        );
        assert_eq!(wrap("abcdefghij klm", 4), vec!["abcd", "efgh", "ij", "klm"]);
        assert_eq!(wrap("  ", 4), Vec::<String>::new());
    }

    #[test]
    fn styled_text_wraps_at_spaces_and_keeps_its_styles() {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let spans = [
            Span::styled("Stopped", bold),
            Span::raw(" · Incremental · cn-beijing"),
        ];
        let lines = wrap_spans(&spans, 20, 2);
        let text: Vec<String> = lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect();
        assert_eq!(text, ["Stopped · ", "  Incremental · ", "  cn-beijing"]);
        assert_eq!(lines[0].spans[0].style, bold);
    }

    #[test]
    fn marked_groups_runs() {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let spans = marked("orders", &[1, 2, 5], Style::new(), bold);
        let parts: Vec<(&str, bool)> = spans
            .iter()
            .map(|s| (s.content.as_ref(), s.style == bold))
            .collect();
        assert_eq!(
            parts,
            vec![("o", false), ("rd", true), ("er", false), ("s", true)]
        );
    }
}
