//! Snapshot tests of the console's drawing: ratatui's TestBackend, a fixed clock and UTC.

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use jwctl::api::{AuditAction, AuditEntry, Deployment};
use jwctl::config::TuiConfig;
use jwctl::domain::{Project, Store, Writer, WriterKind, WriterStatus, Zone};
use jwctl::tui::dialogs::{PauseDialog, PauseFocus, StartDialog};
use jwctl::tui::start_form::StartFocus;
use jwctl::tui::state::{
    ConnectionState, ControllerInfo, DetailView, Fleet, HelpView, Loadable, Popup, RegionPicker,
    Settings, State, Submission, TextInput,
};
use jwctl::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .expect("valid instant")
}

const REGIONS: [&str; 3] = ["cn-hangzhou", "cn-shanghai", "cn-beijing"];
const PROJECTS: [(&str, &str); 6] = [
    ("np_4w3a8kz1", "orders MySQL to OceanBase"),
    ("np_77bq2m0c", "payment ledger sync"),
    ("np_k2d9x0aa", "inventory archive"),
    ("np_c0ffee12", "user profile migration"),
    ("np_9zz8yy7x", "risk events stream"),
    ("np_a1b2c3d4", "billing to data warehouse"),
];

/// A deterministic fleet of `n` writers over `regions` regions.
fn fleet(n: usize, regions: usize) -> Vec<Writer> {
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
                region: REGIONS[i % regions].to_string(),
                project: Project {
                    id: project_id.into(),
                    name: project_name.into(),
                },
                kind,
                status,
                checkpoint: Some(now() - Span::milliseconds(latency_ms)),
                latency_ms: Some(latency_ms as u64),
                store: Store {
                    id: format!("store_{project_id}"),
                    earliest: now() - Span::hours(24),
                    latest: now(),
                },
                message: (status == WriterStatus::Failed).then(|| {
                    "java.sql.SQLException: Lock wait timeout exceeded; try restarting transaction"
                        .to_string()
                }),
                version: 3,
                updated_at: now() - Span::minutes(5),
            }
        })
        .collect();
    writers.sort_by(|a, b| a.name.cmp(&b.name));
    writers
}

fn state(n: usize, regions: usize, size: (u16, u16)) -> State {
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
    });
    state.fleet = Fleet::new(7, fleet(n, regions));
    show_rows(&mut state, (0..n).collect());
    state
}

/// Sets the rows shown (what `update` maintains) and their status counts.
fn show_rows(state: &mut State, rows: Vec<usize>) {
    let mut counts = [0; 5];
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

fn render(state: &State) -> Terminal<TestBackend> {
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    terminal.draw(|frame| view(state, frame)).expect("draw");
    terminal
}

fn screen(state: &State) -> String {
    let terminal = render(state);
    let buffer = terminal.backend().buffer();
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

fn start_dialog(state: &State, row: usize) -> StartDialog {
    StartDialog::new(state.fleet.writers[row].clone())
}

fn stopped_row(state: &State) -> usize {
    state
        .fleet
        .writers
        .iter()
        .position(|w| w.status == WriterStatus::Stopped && w.kind == WriterKind::Incremental)
        .expect("a stopped incremental writer")
}

#[test]
fn multi_region_table_160x48() {
    let mut s = state(300, 3, (160, 48));
    s.table.selected = 2;
    insta::assert_snapshot!(screen(&s));
}

#[test]
fn multi_region_table_80x24_gives_way_but_keeps_name_and_status() {
    let s = state(300, 3, (80, 24));
    let text = screen(&s);
    let header = text.lines().nth(1).unwrap_or_default();
    assert!(
        header.contains("Name") && header.contains("Status"),
        "{header}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn single_region_shows_the_region_by_the_title_and_no_region_column() {
    let s = state(40, 1, (120, 20));
    let text = screen(&s);
    assert!(
        text.lines()
            .next()
            .unwrap_or_default()
            .contains("JDBCWriter cn-hangzhou")
    );
    assert!(!text.lines().nth(1).unwrap_or_default().contains("Region"));
    insta::assert_snapshot!(text);
}

#[test]
fn region_filter_is_visible_in_the_title() {
    let mut s = state(30, 3, (120, 14));
    s.filter.regions = ["cn-beijing".to_string(), "cn-shanghai".to_string()].into();
    let rows = (0..30)
        .filter(|&i| s.fleet.writers[i].region != "cn-hangzhou")
        .collect();
    show_rows(&mut s, rows);
    let text = screen(&s);
    assert!(text.contains("Regions: cn-beijing, cn-shanghai"), "{text}");
}

#[test]
fn search_marks_the_matched_characters() {
    let mut s = state(60, 3, (140, 20));
    s.search.input = TextInput {
        value: "ledger".into(),
        cursor: 6,
    };
    s.search.relevance = true;
    let hits = s.fleet.index.search("ledger");
    show_rows(&mut s, hits.iter().map(|h| h.row).collect());
    let terminal = render(&s);
    let buffer = terminal.backend().buffer();
    // First body row: its marked (bold + underlined) characters spell the query.
    let marked: String = (0..buffer.area.width)
        .map(|x| &buffer[(x, 2)])
        .filter(|cell| {
            cell.modifier
                .contains(Modifier::BOLD | Modifier::UNDERLINED)
        })
        .map(|cell| cell.symbol())
        .collect();
    assert_eq!(marked, "ledger");
    let text = screen(&s);
    assert!(text.contains("Order: best match (o sorts)"), "{text}");
    assert!(
        !text.contains('▲') && !text.contains('▼'),
        "no column orders ranked hits"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn search_box_while_typing() {
    let mut s = state(60, 3, (120, 16));
    s.search.editing = true;
    s.search.input = TextInput {
        value: "10.18.4".into(),
        cursor: 7,
    };
    let hits = s.fleet.index.search("10.18.4");
    show_rows(&mut s, hits.iter().map(|h| h.row).collect());
    insta::assert_snapshot!(screen(&s));
}

#[test]
fn nothing_matches_explains_how_to_get_rows_back() {
    let mut s = state(60, 3, (100, 16));
    s.search.input = TextInput {
        value: "zzzz".into(),
        cursor: 4,
    };
    show_rows(&mut s, Vec::new());
    let text = screen(&s);
    assert!(text.contains("No writer matches."), "{text}");
    assert!(text.contains("Esc clears it"), "{text}");
}

#[test]
fn start_dialog_without_replay() {
    let mut s = state(60, 3, (100, 30));
    let row = stopped_row(&s);
    s.popup = Some(Popup::Start(start_dialog(&s, row)));
    insta::assert_snapshot!(screen(&s));
}

#[test]
fn start_dialog_with_replay_timestamp_and_store_range() {
    let mut s = state(60, 3, (100, 30));
    let row = stopped_row(&s);
    let mut dialog = start_dialog(&s, row);
    dialog.form.replay = true;
    dialog.form.focus = StartFocus::Timestamp;
    dialog.form.timestamp = TextInput {
        value: "2026-11-24 08:00:00".into(),
        cursor: 19,
    };
    s.popup = Some(Popup::Start(dialog));
    let text = screen(&s);
    assert!(
        text.contains("→ 2026-11-24 08:00:00 UTC · 2h 00m ago"),
        "{text}"
    );
    assert!(
        text.contains("2026-11-23 10:00:00 → 2026-11-24 10:00:00"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn start_dialog_says_before_submitting_that_a_timestamp_is_out_of_range() {
    let mut s = state(60, 3, (100, 30));
    let row = stopped_row(&s);
    let mut dialog = start_dialog(&s, row);
    dialog.form.replay = true;
    dialog.form.focus = StartFocus::Submit;
    dialog.form.timestamp = TextInput {
        value: "-3d".into(),
        cursor: 3,
    };
    s.popup = Some(Popup::Start(dialog));
    let text = screen(&s);
    assert!(text.contains("is outside the change data"), "{text}");
}

#[test]
fn start_dialog_shows_the_controller_error() {
    let mut s = state(60, 3, (100, 30));
    let row = stopped_row(&s);
    let mut dialog = start_dialog(&s, row);
    dialog.form.replay = true;
    dialog.form.focus = StartFocus::Timestamp;
    dialog.form.timestamp = TextInput {
        value: "-1h".into(),
        cursor: 3,
    };
    dialog.form.error = Some(
        "replay timestamp 2026-11-24 09:00:00 is outside the change data store_np_4w3a8kz1 holds (2026-11-24 09:30:00 to 2026-11-24 10:00:00, UTC); choose a timestamp in that range".into(),
    );
    s.popup = Some(Popup::Start(dialog));
    insta::assert_snapshot!(screen(&s));
}

#[test]
fn start_dialog_in_flight() {
    let mut s = state(60, 3, (100, 30));
    let row = stopped_row(&s);
    let mut dialog = start_dialog(&s, row);
    dialog.submission = Submission::InFlight;
    dialog.form.focus = StartFocus::Submit;
    s.popup = Some(Popup::Start(dialog));
    let text = screen(&s);
    assert!(
        text.contains("Starting … waiting for the controller"),
        "{text}"
    );
}

#[test]
fn pause_dialog_focuses_cancel() {
    let mut s = state(60, 3, (100, 30));
    let row = s
        .fleet
        .writers
        .iter()
        .position(|w| w.status == WriterStatus::Running)
        .expect("running writer");
    s.popup = Some(Popup::Pause(PauseDialog {
        writer: s.fleet.writers[row].clone(),
        focus: PauseFocus::Cancel,
        submission: Submission::Idle,
        error: None,
    }));
    insta::assert_snapshot!(screen(&s));
}

#[test]
fn help_fits_80x16_and_scrolls() {
    let mut s = state(60, 3, (80, 16));
    s.popup = Some(Popup::Help(HelpView::default()));
    let text = screen(&s);
    assert!(text.contains("Esc closes"), "{text}");
    assert!(text.contains("1–13 of"), "{text}");
    insta::assert_snapshot!(text);
    s.popup = Some(Popup::Help(HelpView { scroll: 20 }));
    let scrolled = screen(&s);
    assert!(scrolled.contains("21–33 of"), "{scrolled}");
}

#[test]
fn detail_with_audit_entries() {
    let mut s = state(60, 3, (110, 32));
    let failed = s
        .fleet
        .writers
        .iter()
        .find(|w| w.status == WriterStatus::Failed)
        .expect("failed writer")
        .clone();
    let entries = vec![
        AuditEntry {
            id: 2,
            at: now() - Span::minutes(3),
            actor: "alice@ops-bastion".into(),
            writer_id: failed.id.clone(),
            action: AuditAction::Start,
            replay_from: Some(now() - Span::hours(2)),
            result: "replay_out_of_range".into(),
            message: Some(
                "replay timestamp 2026-11-24T08:00:00Z is outside the change data store_x holds"
                    .into(),
            ),
        },
        AuditEntry {
            id: 1,
            at: now() - Span::minutes(30),
            actor: "bob@ops-bastion".into(),
            writer_id: failed.id.clone(),
            action: AuditAction::Pause,
            replay_from: None,
            result: "ok".into(),
            message: None,
        },
    ];
    s.detail = Some(DetailView {
        writer_id: failed.id,
        audit: Loadable::Loaded(entries),
        scroll: 0,
    });
    insta::assert_snapshot!(screen(&s));
}

#[test]
fn region_picker_with_counts() {
    let mut s = state(300, 3, (100, 24));
    s.popup = Some(Popup::Regions(RegionPicker {
        cursor: 2,
        chosen: ["cn-shanghai".to_string()].into(),
    }));
    insta::assert_snapshot!(screen(&s));
}

#[test]
fn disconnected_banner_keeps_the_stale_data() {
    let mut s = state(60, 3, (120, 20));
    s.connection = ConnectionState::Failed {
        error: "cannot reach the controller at http://127.0.0.1:7465 (Connection refused)".into(),
        attempts: 3,
        retry_at: now() + Span::seconds(4),
    };
    let text = screen(&s);
    assert!(text.contains("retry in 4s (attempt 3)"), "{text}");
    assert!(text.contains("np_"), "stale rows stay on screen: {text}");
    insta::assert_snapshot!(text);
}

#[test]
fn too_small_terminal_says_so() {
    let s = state(60, 3, (50, 10));
    let text = screen(&s);
    assert!(text.contains("Terminal too small"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn latency_and_status_are_coloured_and_mono_still_marks_them() {
    for mono in [false, true] {
        let mut s = state(20, 3, (160, 30));
        s.settings.mono = mono;
        let terminal = render(&s);
        let buffer = terminal.backend().buffer();
        let line = |y: u16| -> String {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect()
        };
        // Find the row of a failed writer and check its status cell stands out.
        let y = (2..buffer.area.height)
            .find(|&y| line(y).contains("Failed"))
            .expect("a failed row");
        let x = u16::try_from(line(y).find("Failed").expect("status")).expect("fits");
        let cell = &buffer[(x, y)];
        assert!(cell.modifier.contains(Modifier::BOLD), "mono={mono}");
        if mono {
            assert!(cell.modifier.contains(Modifier::REVERSED));
        } else {
            assert_eq!(cell.fg, ratatui::style::Color::Red);
        }
    }
}

#[test]
fn long_refusals_wrap_inside_the_dialog_and_the_buttons_stay_in_the_box() {
    for width in [100, 60] {
        let mut s = state(60, 3, (width, 30));
        let row = stopped_row(&s);
        let mut dialog = start_dialog(&s, row);
        // A checkpoint the store no longer holds: resuming is refused with a long reason.
        dialog.writer.checkpoint = Some(dialog.writer.store.earliest - Span::hours(3));
        s.popup = Some(Popup::Start(dialog));
        let text = screen(&s);
        let lines: Vec<&str> = text.lines().collect();
        let at = |needle: &str| lines.iter().position(|l| l.contains(needle));
        let buttons =
            at("[ Start ]").unwrap_or_else(|| panic!("buttons shown at {width}:\n{text}"));
        let bottom = lines
            .iter()
            .rposition(|l| l.contains('└'))
            .unwrap_or_else(|| panic!("dialog bottom at {width}:\n{text}"));
        assert!(
            buttons < bottom,
            "buttons inside the box at {width}:\n{text}"
        );
        assert!(text.contains("start with replay from a"), "{text}");
        assert!(at("✖ checkpoint").is_some_and(|l| l < buttons), "{text}");
        if width == 60 {
            insta::assert_snapshot!(text);
        }
    }
}
