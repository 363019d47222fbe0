//! Shared by the snapshot tests of the console's drawing: a deterministic fleet, a state
//! showing it, and the screen ratatui's TestBackend draws for it, at a fixed clock in UTC.

#![allow(dead_code)] // each test binary uses its own subset

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use jwctl::api::Deployment;
use jwctl::config::TuiConfig;
use jwctl::domain::{Project, Store, Writer, WriterKind, WriterStatus, Zone};
use jwctl::tui::dialogs::StartDialog;
use jwctl::tui::state::{ConnectionState, ControllerInfo, Fleet, Settings, State};
use jwctl::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .expect("valid instant")
}

pub const REGIONS: [&str; 3] = ["cn-hangzhou", "cn-shanghai", "cn-beijing"];
pub const PROJECTS: [(&str, &str); 6] = [
    ("np_4w3a8kz1", "orders MySQL to OceanBase"),
    ("np_77bq2m0c", "payment ledger sync"),
    ("np_k2d9x0aa", "inventory archive"),
    ("np_c0ffee12", "user profile migration"),
    ("np_9zz8yy7x", "risk events stream"),
    ("np_a1b2c3d4", "billing to data warehouse"),
];

/// A deterministic fleet of `n` writers over `regions` regions.
pub fn fleet(n: usize, regions: usize) -> Vec<Writer> {
    let mut writers: Vec<Writer> = (0..n)
        .map(|i| {
            let (project_id, project_name) = PROJECTS[(i / 5) % PROJECTS.len()];
            let status = match i % 11 {
                3 => WriterStatus::Stopped,
                7 => WriterStatus::Failed,
                9 => WriterStatus::Starting,
                _ => WriterStatus::Running,
            };
            let kind = if i % 6 == 5 {
                WriterKind::Full
            } else {
                WriterKind::Incremental
            };
            let latency_ms = [1_200, 4_000, 95_000, 730_000, 2_000][i % 5];
            let ip = format!("10.18.{}.{}", 3 + i % 4, 100 + i % 50);
            let name = format!(
                "{project_id}-{}_trans-{}-0",
                if kind == WriterKind::Full {
                    "full"
                } else {
                    "incr"
                },
                i + 1
            );
            Writer {
                id: format!("{ip}-9000:connector_v2:{name}:{i:010}"),
                name,
                server_ip: ip,
                region: REGIONS[i % regions].into(),
                project: Project {
                    id: project_id.into(),
                    name: project_name.into(),
                },
                kind,
                status,
                checkpoint: Some(now() - Span::milliseconds(latency_ms)),
                latency_ms: Some(latency_ms as u64),
                store: Store {
                    id: format!("store_{project_id}").into(),
                    earliest: now() - Span::hours(24),
                    latest: now(),
                },
                message: (status == WriterStatus::Failed).then(|| {
                    "java.sql.SQLException: Lock wait timeout exceeded; try restarting transaction"
                        .into()
                }),
                version: 3,
                updated_at: now() - Span::minutes(5),
                backend_status: None,
            }
        })
        .collect();
    writers.sort_by(|a, b| a.name.cmp(&b.name));
    writers
}

pub fn state(n: usize, regions: usize, size: (u16, u16)) -> State {
    let settings = Settings::from_config(&TuiConfig::default(), false);
    let controller = ControllerInfo {
        url: "http://127.0.0.1:7465".into(),
        demo: true,
        budget: std::time::Duration::from_secs(10),
    };
    let zone: Zone = "UTC".parse().expect("UTC");
    let mut state = State::new(controller, settings, zone, now(), size);
    state.connection = ConnectionState::Connected;
    state.last_refresh = Some(now() - Span::seconds(1));
    state.deployment = Some(Deployment {
        regions: REGIONS[..regions].iter().map(|r| r.to_string()).collect(),
        multi_region: regions > 1,
        backend: Default::default(),
        replicas: Vec::new(),
    });
    state.fleet = Fleet::new(7, fleet(n, regions));
    show_rows(&mut state, (0..n).collect());
    state
}

/// Sets the rows shown (what `update` maintains) and their status counts.
pub fn show_rows(state: &mut State, rows: Vec<usize>) {
    let mut counts = [0; 6];
    for &i in &rows {
        let status = state.fleet.writers[i].status;
        let slot = WriterStatus::ALL
            .iter()
            .position(|s| *s == status)
            .expect("known");
        counts[slot] += 1;
    }
    state.table.rows = rows;
    state.table.status_counts = counts;
}

pub fn render(state: &State) -> Terminal<TestBackend> {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    terminal.draw(|frame| view(state, frame)).expect("draw");
    terminal
}

pub fn screen(state: &State) -> String {
    text(render(state).backend().buffer())
}

/// The characters of `buffer`, a line per row, trailing spaces cut.
fn text(buffer: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .map(|x| buffer[(x, y)].symbol())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub fn start_dialog(state: &State, row: usize) -> StartDialog {
    StartDialog::new(state.fleet.writers[row].clone())
}

pub fn stopped_row(state: &State) -> usize {
    state
        .fleet
        .writers
        .iter()
        .position(|w| w.status == WriterStatus::Stopped && w.kind == WriterKind::Incremental)
        .expect("a stopped incremental writer")
}

/// The screen followed by its styles, a letter per cell: in colour the foreground (`r`ed,
/// `g`reen, `y`ellow, `b`lue, `m`agenta, `c`yan, `w`hite, blac`k`, `d`ark grey, `.` none);
/// in mono the strongest emphasis (`R`eversed, `B`old, `D`im, `U`nderlined, `I`talic, `.`).
/// What a colour or a monochrome snapshot must keep.
pub fn styled_screen(state: &State) -> String {
    use ratatui::style::{Color, Modifier};
    let terminal = render(state);
    let buffer = terminal.backend().buffer();
    let mut out = text(buffer);
    out.push_str("--- styles ---\n");
    for y in 0..buffer.area.height {
        let line: String = (0..buffer.area.width)
            .map(|x| {
                let cell = &buffer[(x, y)];
                if state.settings.mono {
                    let m = cell.modifier;
                    [
                        (Modifier::REVERSED, 'R'),
                        (Modifier::BOLD, 'B'),
                        (Modifier::DIM, 'D'),
                        (Modifier::UNDERLINED, 'U'),
                        (Modifier::ITALIC, 'I'),
                    ]
                    .into_iter()
                    .find(|(flag, _)| m.contains(*flag))
                    .map_or('.', |(_, c)| c)
                } else {
                    match cell.fg {
                        Color::Red | Color::LightRed => 'r',
                        Color::Green | Color::LightGreen => 'g',
                        Color::Yellow | Color::LightYellow => 'y',
                        Color::Blue | Color::LightBlue => 'b',
                        Color::Magenta | Color::LightMagenta => 'm',
                        Color::Cyan | Color::LightCyan => 'c',
                        Color::White | Color::Gray => 'w',
                        Color::Black => 'k',
                        Color::DarkGray => 'd',
                        _ => '.',
                    }
                }
            })
            .collect();
        out.push_str(line.trim_end_matches('.'));
        out.push('\n');
    }
    out
}

/// The name of a snapshot of `what` at `size`, in colour or mono: `what_80x24_mono`.
pub fn snapshot_name(what: &str, size: (u16, u16), mono: bool) -> String {
    let theme = if mono { "mono" } else { "colour" };
    format!("{what}_{}x{}_{theme}", size.0, size.1)
}

/// The fleet row of the first writer in `status`.
pub fn row_in(state: &State, status: WriterStatus) -> usize {
    state
        .fleet
        .writers
        .iter()
        .position(|w| w.status == status)
        .unwrap_or_else(|| panic!("the fleet has a {status} writer"))
}
