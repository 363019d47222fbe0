//! The fleet health view: per region, a bar of its writers by status and the counts by status
//! and by latency band, each a choice the cursor moves over. Without colour the bar's
//! statuses differ by glyph, and each count carries its glyph or its band.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::boxes::{Dialog, text_width};
use crate::domain::{LatencyBand, WriterStatus};
use crate::tui::health::{HealthItem, HealthView, RegionCounts};
use crate::tui::state::State;
use crate::tui::theme::{LatencyLevel, Theme};

/// Widest the view gets.
const WIDTH: u16 = 100;

/// The glyph of a status in the bar and before its count.
fn glyph(status: WriterStatus) -> char {
    match status {
        WriterStatus::Running => '█',
        WriterStatus::Starting => '▓',
        WriterStatus::Pausing => '▒',
        WriterStatus::Stopped => '░',
        WriterStatus::Failed => '×',
        WriterStatus::Unknown => '?',
    }
}

/// Cells per status summing to `width`, each status with writers getting at least one.
fn segments(counts: &[u64; 6], width: usize) -> Vec<(WriterStatus, usize)> {
    let total: u64 = counts.iter().sum();
    if total == 0 || width == 0 {
        return Vec::new();
    }
    let present: Vec<(WriterStatus, u64)> = WriterStatus::ALL
        .into_iter()
        .zip(*counts)
        .filter(|(_, n)| *n > 0)
        .collect();
    let room = width.saturating_sub(present.len());
    let mut cells: Vec<(WriterStatus, usize, u64)> = present
        .iter()
        .map(|&(status, n)| {
            let exact = n as u128 * room as u128;
            let whole = (exact / u128::from(total)) as usize;
            let remainder = (exact % u128::from(total)) as u64;
            (status, whole + 1, remainder)
        })
        .collect();
    // The cells left go to the largest remainders.
    let mut left = width.saturating_sub(cells.iter().map(|c| c.1).sum());
    let mut order: Vec<usize> = (0..cells.len()).collect();
    order.sort_by(|&a, &b| cells[b].2.cmp(&cells[a].2));
    for i in order {
        if left == 0 {
            break;
        }
        cells[i].1 += 1;
        left -= 1;
    }
    cells.into_iter().map(|(s, w, _)| (s, w)).collect()
}

fn band_level(band: LatencyBand) -> LatencyLevel {
    match band {
        LatencyBand::Under1s | LatencyBand::From1sTo10s => LatencyLevel::Normal,
        LatencyBand::From10sTo60s => LatencyLevel::Warning,
        LatencyBand::From60s => LatencyLevel::Critical,
    }
}

fn region_lines(
    row: &RegionCounts,
    cursor: Option<usize>,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let items = row.items();
    let focus = |item: HealthItem, style: Style| -> Style {
        match cursor.and_then(|at| items.get(at)) {
            Some(chosen) if *chosen == item => theme.focused(),
            _ => style,
        }
    };
    let name = row.region.as_deref().unwrap_or("All regions").to_string();
    let header = Line::from(vec![
        Span::styled(name, focus(HealthItem::Region, theme.header())),
        Span::styled(format!("  {} writers", row.tally.total()), theme.dim()),
    ]);
    let bar: Vec<Span> = segments(&row.tally.statuses, width)
        .into_iter()
        .map(|(status, cells)| {
            Span::styled(
                glyph(status).to_string().repeat(cells),
                theme.status(status),
            )
        })
        .collect();
    let mut statuses = vec![Span::raw("  ")];
    for (status, count) in WriterStatus::ALL.into_iter().zip(row.tally.statuses) {
        if count == 0 {
            continue;
        }
        let text = format!("{} {} {count}", glyph(status), status.as_str());
        statuses.push(Span::styled(
            text,
            focus(HealthItem::Status(status), theme.status(status)),
        ));
        statuses.push(Span::raw("  "));
    }
    let mut bands = vec![Span::styled("  latency ", theme.dim())];
    for (band, count) in LatencyBand::ALL.into_iter().zip(row.tally.bands) {
        let style = theme.latency(band_level(band));
        bands.push(Span::styled(
            format!("{band} {count}"),
            focus(HealthItem::Band(band), style),
        ));
        bands.push(Span::raw("  "));
    }
    vec![
        header,
        Line::from(bar),
        Line::from(statuses),
        Line::from(bands),
    ]
}

/// Draws the view over the table.
pub fn draw(state: &State, view: &HealthView, frame: &mut Frame, area: Rect, theme: &Theme) {
    let width = text_width(area, WIDTH);
    let mut body = Vec::new();
    for (i, row) in view.rows.iter().enumerate() {
        let cursor = (i == view.row).then_some(view.item);
        body.extend(region_lines(row, cursor, width, theme));
    }
    let time = state.zone.time_of_day(state.now);
    let footer = vec![Line::styled(
        format!("Counted at {time} from the table's data · Enter shows them in the table"),
        theme.dim(),
    )];
    Dialog {
        title: "Fleet health".into(),
        width: WIDTH,
        body,
        footer,
        // The whole of the cursor's region in view.
        anchor: Some(view.row * 4 + 3),
    }
    .draw(frame, area, theme);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_its_width_and_every_status_present_shows() {
        let cells = segments(&[9_000, 0, 0, 900, 99, 1], 40);
        let widths: Vec<usize> = cells.iter().map(|c| c.1).collect();
        assert_eq!(widths.iter().sum::<usize>(), 40);
        assert_eq!(cells.len(), 4, "{cells:?}");
        assert!(widths.iter().all(|&w| w >= 1));
        assert!(segments(&[0; 6], 40).is_empty());
    }
}
