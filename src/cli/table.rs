//! The writer table of `jwctl list`: aligned columns, optional status colours.

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
/// Column index of STATUS, which may be coloured.
const STATUS: usize = 5;
const GAP: &str = "  ";

/// Renders `writers` as a table with a header line; checkpoints are wall times in `zone`.
/// With `colour`, statuses are coloured with ANSI escapes.
pub fn render(writers: &[&Writer], zone: &Zone, colour: bool) -> String {
    let rows: Vec<[String; 8]> = writers.iter().map(|w| cells(w, zone)).collect();
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    push_line(&mut out, &HEADERS.map(String::from), &widths, None);
    for (row, writer) in rows.iter().zip(writers) {
        push_line(&mut out, row, &widths, colour.then_some(writer.status));
    }
    out
}

fn cells(writer: &Writer, zone: &Zone) -> [String; 8] {
    [
        writer.name.clone(),
        writer.server_ip.clone(),
        format!("{} ({})", writer.project.name, writer.project.id),
        writer.region.clone(),
        writer.kind.as_str().to_string(),
        writer.status.as_str().to_string(),
        writer
            .latency_ms
            .map(format_duration_ms)
            .unwrap_or_else(|| "-".into()),
        writer
            .checkpoint
            .map(|at| zone.format(at))
            .unwrap_or_else(|| "-".into()),
    ]
}

fn push_line(
    out: &mut String,
    cells: &[String; 8],
    widths: &[usize; 8],
    colour: Option<WriterStatus>,
) {
    let last = cells.len() - 1;
    let mut line = String::new();
    for (column, (cell, width)) in cells.iter().zip(widths).enumerate() {
        if column > 0 {
            line.push_str(GAP);
        }
        let padding = " ".repeat(width.saturating_sub(cell.chars().count()));
        let text = match (column, colour) {
            (STATUS, Some(status)) => format!("\x1b[{}m{cell}\x1b[0m", ansi(status)),
            _ => cell.clone(),
        };
        if column == LATENCY {
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
