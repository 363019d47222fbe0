//! Aligned tables for stdout: the writer table of `jwctl list`, and the column layout the
//! result table of `jwctl start` and `jwctl pause` shares with it.

use crate::domain::{Writer, WriterStatus, Zone, format_duration_ms};

const HEADERS: [&str; 8] = [
    "NAME",
    "SERVER IP",
    "PROJECT",
    "REGION",
    "KIND",
    "STATUS",
    "LATENCY",
    "CHECKPOINT",
];
/// Column index of LATENCY, which is right-aligned.
const LATENCY: usize = 6;
const GAP: &str = "  ";

/// One cell of a table: its text and, when it is coloured, its ANSI SGR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub ansi: Option<&'static str>,
}

impl Cell {
    /// A cell without colour.
    pub fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ansi: None,
        }
    }

    /// A cell coloured with `ansi` when `colour` is on.
    pub fn coloured(text: impl Into<String>, ansi: &'static str, colour: bool) -> Cell {
        Cell {
            text: text.into(),
            ansi: colour.then_some(ansi),
        }
    }
}

/// Renders `writers` as a table with a header line; checkpoints are wall times in `zone`.
/// With `colour`, statuses are coloured with ANSI escapes.
pub fn render(writers: &[&Writer], zone: &Zone, colour: bool) -> String {
    let rows: Vec<[Cell; 8]> = writers.iter().map(|w| cells(w, zone, colour)).collect();
    align(HEADERS, &rows, &[LATENCY])
}

/// Lines `rows` up under `headers`: columns two spaces apart and as wide as their widest
/// cell, the columns in `right` right-aligned, no blanks at the end of a line. Colour
/// escapes do not count towards the widths.
pub fn align<const N: usize>(headers: [&str; N], rows: &[[Cell; N]], right: &[usize]) -> String {
    let mut widths = headers.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.text.chars().count());
        }
    }
    let mut out = String::new();
    push_line(&mut out, &headers.map(Cell::plain), &widths, right);
    for row in rows {
        push_line(&mut out, row, &widths, right);
    }
    out
}

fn cells(writer: &Writer, zone: &Zone, colour: bool) -> [Cell; 8] {
    [
        Cell::plain(writer.name.clone()),
        Cell::plain(writer.server_ip.clone()),
        Cell::plain(writer.project_label()),
        Cell::plain(writer.region.clone()),
        Cell::plain(writer.kind.as_str()),
        match &writer.backend_status {
            // A status jwctl does not know, shown as the backend reports it.
            Some(word) if writer.status == WriterStatus::Unknown => {
                Cell::coloured(word.as_str(), ansi(writer.status), colour)
            }
            _ => status_cell(Some(writer.status), colour),
        },
        Cell::plain(
            writer
                .latency_ms
                .map(format_duration_ms)
                .unwrap_or_else(|| "-".into()),
        ),
        Cell::plain(
            writer
                .checkpoint
                .map(|at| zone.format(at))
                .unwrap_or_else(|| "-".into()),
        ),
    ]
}

/// A STATUS cell, `-` when the status is not known.
pub fn status_cell(status: Option<WriterStatus>, colour: bool) -> Cell {
    match status {
        Some(status) => Cell::coloured(status.as_str(), ansi(status), colour),
        None => Cell::plain("-"),
    }
}

fn push_line<const N: usize>(
    out: &mut String,
    cells: &[Cell; N],
    widths: &[usize; N],
    right: &[usize],
) {
    let last = N.saturating_sub(1);
    let mut line = String::new();
    for (column, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if column > 0 {
            line.push_str(GAP);
        }
        let padding = " ".repeat(width.saturating_sub(cell.text.chars().count()));
        let text = match cell.ansi {
            Some(code) => format!("\x1b[{code}m{}\x1b[0m", cell.text),
            None => cell.text.clone(),
        };
        if right.contains(&column) {
            line.push_str(&padding);
            line.push_str(&text);
        } else {
            line.push_str(&text);
            if column != last {
                line.push_str(&padding);
            }
        }
    }
    out.push_str(line.trim_end());
    out.push('\n');
}

fn ansi(status: WriterStatus) -> &'static str {
    match status {
        WriterStatus::Running => "32",
        WriterStatus::Starting | WriterStatus::Pausing => "33",
        WriterStatus::Stopped => "2",
        WriterStatus::Failed => "31",
        WriterStatus::Unknown => "35",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::resolve::tests::writer;

    #[test]
    fn columns_line_up() {
        let mut slow = writer(
            "id-2",
            "np_77bq2m0c-incr_trans-1-0",
            "cn-shanghai",
            "Payments archive",
        );
        slow.status = WriterStatus::Stopped;
        slow.latency_ms = Some(2 * 3_600_000);
        slow.checkpoint = None;
        let fast = writer("id-1", "orders-1", "cn-hangzhou", "Orders");
        let zone: Zone = "Asia/Shanghai".parse().unwrap_or_default();
        let table = render(&[&fast, &slow], &zone, false);
        let expected = "\
NAME                        SERVER IP    PROJECT                         REGION       KIND         STATUS   LATENCY  CHECKPOINT
orders-1                    10.18.3.122  Orders (np_4w3a8kz1)            cn-hangzhou  incremental  running       1s  2026-11-24 18:00:00
np_77bq2m0c-incr_trans-1-0  10.18.3.122  Payments archive (np_4w3a8kz1)  cn-shanghai  incremental  stopped   2h 00m  -
";
        assert_eq!(table, expected);
    }

    #[test]
    fn colour_wraps_only_the_status() {
        let w = writer("id-1", "orders-1", "cn-hangzhou", "Orders");
        let table = render(&[&w], &Zone::default(), true);
        assert!(table.contains("\x1b[32mrunning\x1b[0m"), "{table}");
        assert_eq!(table.matches('\x1b').count(), 2, "{table}");
        let plain = render(&[&w], &Zone::default(), false);
        assert!(!plain.contains('\x1b'));
    }

    #[test]
    fn an_empty_table_is_just_the_header() {
        assert_eq!(render(&[], &Zone::default(), false).lines().count(), 1);
    }
}
