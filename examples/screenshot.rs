//! Makes the README screenshots from the real console: runs the `jwctl` binary (with its
//! embedded demo controller) in a pseudo-terminal, drives it with keys as an operator would,
//! and renders the terminal screen as SVG. Run it through `scripts/screenshot.sh`.
//!
//! Usage: `screenshot JWCTL_BINARY OUTPUT_DIR`

#[path = "../tests/support/pty.rs"]
mod pty;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use portable_pty::CommandBuilder;
use pty::{PtyApp, keys};

const COLS: u16 = 150;
const ROWS: u16 = 34;
const CELL_W: f64 = 8.4;
const CELL_H: f64 = 18.0;
const FG: &str = "#d8dee9";
const BG: &str = "#1d2129";
/// The 16 basic colours (a dark xterm-like palette).
const PALETTE: [&str; 16] = [
    "#1d2129", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2", "#d8dee9",
    "#5c6370", "#ff7b86", "#b5e890", "#ffd68a", "#80c4ff", "#de9bf0", "#7fd8e3", "#ffffff",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(binary), Some(out_dir)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: screenshot JWCTL_BINARY OUTPUT_DIR");
        std::process::exit(2);
    };
    let out_dir = PathBuf::from(out_dir);
    let binary = match std::fs::canonicalize(binary) {
        Ok(path) => path,
        Err(e) => {
            eprintln!("cannot find the jwctl binary {binary}: {e}; build it first");
            std::process::exit(2);
        }
    };
    let sandbox = std::env::temp_dir().join(format!("jwctl-screenshot-{}", std::process::id()));
    let mut command = CommandBuilder::new(&binary);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("JWCTL_") {
            command.env_remove(name);
        }
    }
    command.env_remove("NO_COLOR");
    command.env("TERM", "xterm-256color");
    for dir in ["config", "data", "state"] {
        command.env(
            format!("XDG_{}_HOME", dir.to_uppercase()),
            sandbox.join(dir),
        );
    }
    command.args([
        "--demo",
        "--demo-fleet",
        "300",
        "--regions",
        "3",
        "--tz",
        "UTC",
    ]);
    let mut app = PtyApp::spawn(command, COLS, ROWS);
    app.wait_for("● connected");
    app.wait_for("300/300 shown");
    save(&app, &out_dir.join("screenshot.svg"));

    // The table, searched by part of a project name: matches are marked.
    app.send("/");
    app.send("ledger");
    app.send(keys::ENTER);
    app.wait_until("search hits", Duration::from_secs(20), |s| {
        s.contains("Search: ledger") && s.contains("ledger")
    });
    save(&app, &out_dir.join("screenshot-search.svg"));

    // The Start dialog with data replay from two hours ago: parsed instant and store range.
    app.send("f");
    app.send("f");
    app.wait_for("Status: not running");
    app.send("g");
    app.send("s");
    app.wait_for("Whether to Replay Data");
    app.send(keys::RIGHT);
    app.send(keys::TAB);
    app.send("-2h");
    app.wait_for("2h 00m ago");
    save(&app, &out_dir.join("screenshot-start.svg"));

    app.send(keys::ESC);
    app.wait_until("the dialog to close", Duration::from_secs(20), |s| {
        !s.contains("Whether to Replay Data")
    });

    // The writers not running, all marked, started through one dialog.
    app.send(keys::ESC);
    app.wait_until("the search to clear", Duration::from_secs(20), |s| {
        !s.contains("Search: ledger")
    });
    app.send("*");
    app.wait_for("marked");
    app.send("s");
    app.wait_for("Start the ");
    save(&app, &out_dir.join("screenshot-batch.svg"));
    app.send(keys::ESC);
    app.wait_until("the dialog to close", Duration::from_secs(20), |s| {
        !s.contains("Start the ")
    });
    app.send("q");
    let _ = app.wait_exit(Duration::from_secs(10));
    let _ = std::fs::remove_dir_all(&sandbox);
}

fn save(app: &PtyApp, path: &Path) {
    let svg = render(&app.screen());
    if let Err(e) = std::fs::write(path, svg) {
        eprintln!("cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
    println!("wrote {}", path.display());
}

fn colour(color: vt100::Color, default: &str) -> String {
    match color {
        vt100::Color::Default => default.to_string(),
        vt100::Color::Idx(i) if usize::from(i) < PALETTE.len() => PALETTE[usize::from(i)].into(),
        vt100::Color::Idx(i) if i >= 232 => {
            let level = 8 + 10 * (u32::from(i) - 232);
            format!("#{level:02x}{level:02x}{level:02x}")
        }
        vt100::Color::Idx(i) => {
            let i = u32::from(i) - 16;
            let step = |v: u32| if v == 0 { 0 } else { 55 + 40 * v };
            format!(
                "#{:02x}{:02x}{:02x}",
                step(i / 36),
                step(i / 6 % 6),
                step(i % 6)
            )
        }
        vt100::Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The screen as SVG: a background rectangle per coloured run, a text element per run of
/// equally styled characters, each stretched to its cells so columns line up.
fn render(screen: &vt100::Screen) -> String {
    let (rows, cols) = screen.size();
    let width = f64::from(cols) * CELL_W + 16.0;
    let height = f64::from(rows) * CELL_H + 16.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         font-family=\"'DejaVu Sans Mono','Menlo','Consolas',monospace\" font-size=\"14\">\n\
         <rect width=\"100%\" height=\"100%\" rx=\"6\" fill=\"{BG}\"/>\n"
    );
    for row in 0..rows {
        let y = 8.0 + f64::from(row) * CELL_H;
        let mut col = 0;
        while col < cols {
            let Some(cell) = screen.cell(row, col) else {
                col += 1;
                continue;
            };
            let style = Style::of(cell);
            let mut text = String::new();
            let start = col;
            while col < cols {
                let Some(next) = screen.cell(row, col) else {
                    break;
                };
                if Style::of(next) != style {
                    break;
                }
                let content = next.contents();
                text.push_str(if content.is_empty() { " " } else { content });
                col += 1;
            }
            let x = 8.0 + f64::from(start) * CELL_W;
            let run = f64::from(col - start) * CELL_W;
            if style.bg != BG {
                let _ = writeln!(
                    svg,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{run:.1}\" height=\"{CELL_H}\" fill=\"{}\"/>",
                    style.bg
                );
            }
            if text.trim().is_empty() {
                continue;
            }
            let weight = if style.bold {
                " font-weight=\"bold\""
            } else {
                ""
            };
            let decoration = if style.underline {
                " text-decoration=\"underline\""
            } else {
                ""
            };
            let opacity = if style.dim { " opacity=\"0.6\"" } else { "" };
            let _ = writeln!(
                svg,
                "<text x=\"{x:.1}\" y=\"{:.1}\" fill=\"{}\"{weight}{decoration}{opacity} \
                 textLength=\"{run:.1}\" lengthAdjust=\"spacingAndGlyphs\" xml:space=\"preserve\">{}</text>",
                y + CELL_H - 5.0,
                style.fg,
                escape(&text)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

#[derive(PartialEq)]
struct Style {
    fg: String,
    bg: String,
    bold: bool,
    underline: bool,
    dim: bool,
}

impl Style {
    fn of(cell: &vt100::Cell) -> Style {
        let (mut fg, mut bg) = (colour(cell.fgcolor(), FG), colour(cell.bgcolor(), BG));
        if cell.inverse() {
            std::mem::swap(&mut fg, &mut bg);
        }
        Style {
            fg,
            bg,
            bold: cell.bold(),
            underline: cell.underline(),
            dim: cell.dim(),
        }
    }
}
