//! Snapshots (fixed clock, UTC) of what operators work with beyond the table: the mark
//! column, the batch dialog and its results, the command line with completion, a read-only
//! console; and dialogs that keep their buttons on screen at every size the console draws.

#[path = "support/screen.rs"]
mod screen;

use std::collections::BTreeSet;

use chrono::Duration as Span;
use jwctl::client::ClientError;
use jwctl::domain::{Writer, WriterStatus};
use jwctl::tui::batch::{BatchDialog, BatchKind};
use jwctl::tui::command::CommandLine;
use jwctl::tui::dialogs::PauseDialog;
use jwctl::tui::start_form::StartFocus;
use jwctl::tui::state::{Popup, State, TextInput};
use screen::*;

fn of_status(state: &State, status: WriterStatus, count: usize) -> Vec<Writer> {
    state
        .fleet
        .writers
        .iter()
        .filter(|w| w.status == status)
        .take(count)
        .cloned()
        .collect()
}

#[test]
fn the_mark_column_and_the_count_of_marks() {
    let mut s = state(60, 3, (120, 20));
    for row in [0, 2, 3] {
        s.marks.insert(s.fleet.writers[row].id.clone());
    }
    s.table.selected = 2;
    let text = screen(&s);
    assert!(text.contains("● 3 marked"), "{text}");
    let marked_rows = text.lines().filter(|l| l.starts_with("● np_")).count();
    assert_eq!(marked_rows, 3, "{text}");
    insta::assert_snapshot!(text);
}

fn pause_batch(s: &State) -> BatchDialog {
    let mut writers = of_status(s, WriterStatus::Running, 3);
    writers.extend(of_status(s, WriterStatus::Stopped, 1));
    writers.extend(of_status(s, WriterStatus::Failed, 1));
    writers.sort_by(|a, b| a.name.cmp(&b.name));
    BatchDialog::new(1, BatchKind::Pause, writers, 1, s.now, &s.zone)
}

#[test]
fn the_batch_pause_dialog_says_what_will_happen() {
    let mut s = state(60, 3, (110, 30));
    let batch = pause_batch(&s);
    s.popup = Some(Popup::Batch(batch));
    let text = screen(&s);
    assert!(text.contains("Pause the 5 marked writers"), "{text}");
    assert!(
        text.contains("3 will pause · 2 skipped as no-ops"),
        "{text}"
    );
    assert!(
        text.contains("1 of them is not shown by the current filters"),
        "{text}"
    );
    assert!(text.contains("[ Pause 3 ]"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn the_batch_start_dialog_with_a_forward_replay_and_refusals() {
    let mut s = state(60, 3, (110, 34));
    let mut writers = of_status(&s, WriterStatus::Stopped, 3);
    writers.extend(of_status(&s, WriterStatus::Running, 1));
    // One whose checkpoint left the store.
    if let Some(w) = writers.first_mut() {
        w.checkpoint = Some(w.store.earliest - Span::hours(2));
    }
    let mut batch = BatchDialog::new(2, BatchKind::Start, writers, 0, s.now, &s.zone);
    batch.form.replay = true;
    batch.form.focus = StartFocus::Timestamp;
    batch.form.timestamp = TextInput::with_value("-10s");
    batch.replan(s.now, &s.zone);
    s.popup = Some(Popup::Batch(batch));
    let text = screen(&s);
    assert!(text.contains("skips change data of"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn batch_results_writer_by_writer() {
    let mut s = state(60, 3, (110, 30));
    let mut batch = pause_batch(&s);
    let mut pending = batch.begin();
    let mut answered = 0;
    while let Some(op) = pending.pop() {
        let writer = batch
            .writers
            .iter()
            .find(|w| w.id == op.id)
            .cloned()
            .unwrap_or_else(|| panic!("in the batch"));
        let result = if answered == 0 {
            let mut now = writer.clone();
            now.status = WriterStatus::Stopped;
            now.version += 1;
            Err(ClientError::Api {
                status: 412,
                code: "version_mismatch".into(),
                message: "changed".into(),
                current: Some(Box::new(now)),
            })
        } else {
            let mut after = writer.clone();
            after.status = WriterStatus::Pausing;
            after.version += 1;
            Ok(after)
        };
        answered += 1;
        pending.extend(
            batch.finished(
                batch
                    .writers
                    .iter()
                    .position(|w| w.id == op.id)
                    .unwrap_or_default(),
                &result,
                &s.zone,
            ),
        );
    }
    s.popup = Some(Popup::Batch(batch));
    let text = screen(&s);
    assert!(text.contains("Done: 2 ok · 2 no-op · 1 refused"), "{text}");
    assert!(
        text.contains("r retries the 1 writer that failed"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn the_command_line_with_completion() {
    let mut s = state(60, 3, (100, 20));
    let mut line = CommandLine::default();
    line.input.set("region cn-");
    let regions: Vec<String> = ["cn-beijing", "cn-hangzhou", "cn-shanghai"]
        .map(String::from)
        .to_vec();
    line.complete(&regions, true);
    line.complete(&regions, true);
    s.command = Some(line);
    let text = screen(&s);
    assert!(text.contains(":region cn-beijing"), "{text}");
    assert!(
        text.contains("Tab: cn-beijing  cn-hangzhou  cn-shanghai"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn a_read_only_console_says_so_and_offers_no_start_or_pause() {
    let mut s = state(60, 3, (120, 16));
    s.settings.read_only = true;
    let text = screen(&s);
    assert!(text.contains("READ-ONLY"), "{text}");
    let keys = text.lines().last().unwrap_or_default();
    assert!(!keys.contains("start") && !keys.contains("pause"), "{keys}");
    insta::assert_snapshot!(text);
}

/// The lines of the dialog box (between its top and bottom border) in `text`.
fn boxed(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    let top = lines.iter().position(|l| l.contains('┌')).unwrap_or(0);
    let bottom = lines.iter().rposition(|l| l.contains('└')).unwrap_or(0);
    lines
        .get(top..=bottom)
        .map(<[&str]>::to_vec)
        .unwrap_or_default()
}

#[test]
fn dialogs_keep_their_buttons_on_screen_at_every_size_the_console_draws() {
    let sizes = [(60, 12), (60, 16), (80, 16), (60, 20), (80, 24), (160, 48)];
    for (width, height) in sizes {
        let mut s = state(60, 3, (width, height));
        let stopped = of_status(&s, WriterStatus::Stopped, 1).remove(0);
        let running = of_status(&s, WriterStatus::Running, 1).remove(0);
        let mut start = jwctl::tui::dialogs::StartDialog::new(stopped);
        start.form.replay = true;
        start.form.focus = StartFocus::Timestamp;
        start.form.timestamp = TextInput::with_value("-3d");
        start.form.error = Some(
            "replay timestamp 2026-11-21 10:00:00 is outside the change data store_np_x holds \
             (2026-11-23 10:00:00 to 2026-11-24 10:00:00, UTC); choose a timestamp in that range"
                .into(),
        );
        let dialogs: Vec<(Popup, &[&str])> = vec![
            (
                Popup::Start(start),
                &["[ Start ]", "[ Cancel ]", "✖ replay"],
            ),
            (
                Popup::Pause(PauseDialog::new(running)),
                &["[ OK ]", "[ Cancel ]"],
            ),
            (
                Popup::Batch(pause_batch(&s)),
                &["[ Pause 3 ]", "[ Cancel ]"],
            ),
        ];
        for (popup, needles) in dialogs {
            s.popup = Some(popup);
            let text = screen(&s);
            let inside = boxed(&text).join("\n");
            for needle in needles {
                assert!(
                    inside.contains(needle),
                    "{needle} inside the box at {width}x{height}:\n{text}"
                );
            }
        }
        // The region picker keeps the cursor in view.
        let mut picker_state = state(60, 3, (width, height));
        picker_state.popup = Some(Popup::Regions(jwctl::tui::state::RegionPicker {
            cursor: 3,
            chosen: BTreeSet::new(),
        }));
        let text = screen(&picker_state);
        assert!(
            boxed(&text).join("\n").contains("cn-beijing"),
            "the cursor's region at {width}x{height}:\n{text}"
        );
    }
}

#[test]
fn timestamp_is_required_shows_only_once_the_field_was_left_or_submitted() {
    let mut s = state(60, 3, (100, 30));
    let stopped = of_status(&s, WriterStatus::Stopped, 1).remove(0);
    let mut dialog = jwctl::tui::dialogs::StartDialog::new(stopped);
    // Yes chosen with Space: the focus is still on Yes, nothing typed yet.
    dialog.form.replay = true;
    dialog.form.focus = StartFocus::ReplayYes;
    s.popup = Some(Popup::Start(dialog.clone()));
    let text = screen(&s);
    assert!(!text.contains("Timestamp is required"), "{text}");
    // The operator left the empty field.
    dialog.form.focus = StartFocus::Submit;
    dialog.form.touched = true;
    s.popup = Some(Popup::Start(dialog));
    let text = screen(&s);
    assert!(
        text.contains("✖ Timestamp is required when replaying data"),
        "{text}"
    );
}

#[test]
fn every_column_shows_its_sort_arrow_latency_included() {
    for width in [80, 120, 160] {
        let mut s = state(60, 3, (width, 20));
        for column in [
            jwctl::tui::state::Column::Latency,
            jwctl::tui::state::Column::Status,
            jwctl::tui::state::Column::Name,
        ] {
            for descending in [false, true] {
                s.sort = jwctl::tui::state::Sort { column, descending };
                let text = screen(&s);
                let header = text.lines().nth(1).unwrap_or_default();
                let arrow = if descending { "▼" } else { "▲" };
                assert!(
                    header.contains(&format!("{} {arrow}", column.title())),
                    "{width}: {header}"
                );
            }
        }
    }
}

#[test]
fn a_narrow_title_line_keeps_the_search_box() {
    for (width, editing) in [(60, false), (60, true), (80, false)] {
        let mut s = state(60, 3, (width, 20));
        s.search.input = TextInput::with_value("ledger");
        s.search.editing = editing;
        s.search.relevance = true;
        let text = screen(&s);
        let title = text.lines().next().unwrap_or_default();
        assert!(
            title.contains("ledger"),
            "{width} editing={editing}: {title}"
        );
        assert!(title.starts_with(" JDBCWriter"), "{title}");
    }
}
