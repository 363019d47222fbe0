//! Snapshot tests of the console's drawing: ratatui's TestBackend, a fixed clock and UTC.

#[path = "support/screen.rs"]
mod screen;

use chrono::Duration as Span;
use jwctl::api::{AuditAction, AuditEntry, Identity, Role};
use jwctl::domain::{HistoryWindow, WriterStatus};
use jwctl::tui::dialogs::{PauseDialog, PauseFocus};
use jwctl::tui::start_form::StartFocus;
use jwctl::tui::state::{
    ConnectionState, DetailView, HelpView, Loadable, Popup, RegionPicker, Submission, TextInput,
};
use ratatui::style::Modifier;
use screen::*;

#[test]
fn multi_region_table_160x48() {
    let mut s = state(300, 3, (160, 48));
    s.table.selected = 2;
    insta::assert_snapshot!(screen(&s));
}

#[test]
fn the_status_bar_says_who_the_token_is_and_a_viewer_reads_only() {
    let mut s = state(300, 3, (160, 48));
    s.identity = Some(Identity {
        name: "vera".into(),
        role: Role::Viewer,
    });
    s.settings.read_only = true;
    let text = screen(&s);
    let status = text.lines().rev().nth(1).unwrap_or_default();
    assert!(
        status.contains("READ-ONLY  ● connected as vera (viewer) · 300/300 shown"),
        "{status}"
    );
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
    let row = row_in(&s, WriterStatus::Running);
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
        audit: Loadable::Loaded(entries),
        ..DetailView::new(failed.id, HistoryWindow::Minutes15)
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
