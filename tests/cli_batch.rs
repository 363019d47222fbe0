//! End to end: `jwctl start` and `jwctl pause` on several writers or a selection, forward
//! replays, read-only mode and themes, with the real binary against a real controller.

use std::collections::HashMap;
use std::process::Output;

use chrono::Utc;
use jwctl::domain::{Writer, WriterKind, WriterStatus, plan_start};

#[path = "support/cli_fixture.rs"]
mod cli_fixture;
use cli_fixture::*;

#[path = "support/pty.rs"]
mod pty;

/// The rows of a result table: the cells NAME, RESULT, STATUS, and the whole line.
fn table_rows(output: &Output) -> Vec<(String, String, String, String)> {
    let table = stdout(output);
    let mut lines = table.lines();
    let header = lines.next().unwrap_or_else(|| panic!("no table:\n{table}"));
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["NAME", "RESULT", "STATUS", "DETAIL"],
        "{table}"
    );
    let detail_at = header.find("DETAIL").expect("DETAIL column");
    lines
        .map(|line| {
            // The columns line up: every DETAIL starts under its header.
            assert!(
                line.get(detail_at - 2..detail_at) == Some("  ")
                    && !line[detail_at..].starts_with(' '),
                "{table}"
            );
            let cells: Vec<&str> = line.split_whitespace().collect();
            (
                cells[0].to_string(),
                cells[1].to_string(),
                cells[2].to_string(),
                line.to_string(),
            )
        })
        .collect()
}

/// The region with the most writers that satisfy `wanted`, and those writers.
fn busiest_region(writers: &[Writer], wanted: impl Fn(&Writer) -> bool) -> (String, Vec<Writer>) {
    let mut by_region: HashMap<&str, Vec<Writer>> = HashMap::new();
    for writer in writers.iter().filter(|w| wanted(w)) {
        by_region
            .entry(writer.region.as_str())
            .or_default()
            .push(writer.clone());
    }
    by_region
        .into_iter()
        .max_by_key(|(region, members)| (members.len(), std::cmp::Reverse(*region)))
        .map(|(region, members)| (region.to_string(), members))
        .expect("the demo fleet has such writers")
}

fn versions(fx: &Fixture) -> HashMap<String, u64> {
    fx.writers()
        .into_iter()
        .map(|w| (w.id, w.version))
        .collect()
}

/// A stopped incremental writer that starts from its checkpoint: a replay from a few
/// seconds ago skips the data between its checkpoint and then.
fn resumable(w: &Writer) -> bool {
    w.status == WriterStatus::Stopped
        && w.kind == WriterKind::Incremental
        && plan_start(w, None, Utc::now()).is_ok()
}

#[test]
fn pausing_a_selection_pauses_exactly_the_running_writers_of_the_region() {
    let fx = Fixture::new();
    let before = fx.writers();
    let (region, running) = busiest_region(&before, |w| w.status == WriterStatus::Running);
    assert!(running.len() >= 2, "{running:?}");

    let output = fx.jwctl(&["pause", "--region", &region, "--status", "running", "--yes"]);
    assert_exit(&output, 0);
    let rows = table_rows(&output);
    assert_eq!(rows.len(), running.len(), "{}", stdout(&output));
    for ((name, result, status, line), writer) in rows.iter().zip(&running) {
        assert_eq!(name, &writer.name);
        assert_eq!(result, "ok", "{line}");
        assert!(status == "pausing" || status == "stopped", "{line}");
        assert!(line.contains(" kept"), "{line}");
    }
    assert_eq!(
        stderr(&output),
        format!("{} paused, 0 no-op, 0 refused, 0 failed\n", running.len())
    );
    for writer in &before {
        let after = fx.writer(&writer.id);
        if running.iter().any(|r| r.id == writer.id) {
            assert!(after.version > writer.version, "{after:?}");
            fx.settle(&writer.id, WriterStatus::Stopped);
        } else {
            assert_eq!(
                after.version, writer.version,
                "{} was left alone",
                writer.name
            );
        }
    }

    // Once more: every one of them is a no-op now, which is not a failure.
    let output = fx.jwctl(&["pause", "--region", &region, "--status", "stopped", "--yes"]);
    assert_exit(&output, 0);
    assert!(
        table_rows(&output)
            .iter()
            .all(|(_, result, status, line)| result == "no-op"
                && status == "stopped"
                && line.ends_with("already stopped")),
        "{}",
        stdout(&output)
    );
}

#[test]
fn starting_a_selection_sends_only_what_the_rules_allow() {
    let fx = Fixture::with_fleet(300);
    let before = fx.writers();
    let now = Utc::now();
    let stopped = |w: &Writer| w.status == WriterStatus::Stopped;
    let refused = |w: &Writer| plan_start(w, None, now).is_err();
    // A region with stopped writers the rules allow to start and ones they refuse (their
    // checkpoints have left the store).
    let (region, members) = busiest_region(&before, |w| {
        stopped(w)
            && before
                .iter()
                .any(|o| o.region == w.region && stopped(o) && refused(o))
            && before
                .iter()
                .any(|o| o.region == w.region && stopped(o) && !refused(o))
    });
    let expired: Vec<&Writer> = members.iter().filter(|w| refused(w)).collect();
    let startable = members.len() - expired.len();

    let output = fx.jwctl(&["start", "--status", "stopped", "--region", &region, "--yes"]);
    assert_exit(&output, 1);
    let rows = table_rows(&output);
    assert_eq!(rows.len(), members.len(), "{}", stdout(&output));
    for ((name, result, status, line), writer) in rows.iter().zip(&members) {
        assert_eq!(name, &writer.name);
        if refused(writer) {
            assert_eq!(
                (result.as_str(), status.as_str()),
                ("refused", "stopped"),
                "{line}"
            );
            assert!(
                line.contains("is older than the earliest change data"),
                "{line}"
            );
            assert_eq!(fx.writer(&writer.id).version, writer.version, "{line}");
            assert!(
                fx.audit(&writer.id).is_empty(),
                "nothing was sent for {name}"
            );
        } else {
            assert_eq!(result, "ok", "{line}");
            assert!(status == "starting" || status == "running", "{line}");
            assert!(line.contains("resuming from checkpoint"), "{line}");
            assert!(fx.writer(&writer.id).version > writer.version, "{line}");
        }
    }
    assert_eq!(
        stderr(&output),
        format!(
            "{startable} started, 0 no-op, {} refused, 0 failed\n",
            expired.len()
        )
    );
}

#[test]
fn writers_and_filters_together_or_neither_are_usage_errors() {
    let fx = Fixture::new();
    let before = versions(&fx);
    let running = fx.pick("running writer", |w| w.status == WriterStatus::Running);

    let output = fx.jwctl(&["pause", &running.name, "--status", "running", "--yes"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("give either WRITERs or --region/--status/--search, not both"),
        "{}",
        stderr(&output)
    );
    let output = fx.jwctl(&["start", "--yes"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("name the writers to start"),
        "{}",
        stderr(&output)
    );
    // Without a terminal a batch needs --yes too.
    let output = fx.jwctl(&["pause", "--region", &running.region, "--status", "running"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("refusing to pause without confirmation"),
        "{}",
        stderr(&output)
    );
    assert_eq!(versions(&fx), before, "nothing was sent");

    // A selection that matches nothing did nothing a script asked for: exit 1.
    let output = fx.jwctl(&[
        "pause",
        "--region",
        &running.region,
        "--status",
        "pausing",
        "--yes",
    ]);
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains(&format!(
            "no writer matches --region {} --status pausing",
            running.region
        )),
        "{}",
        stderr(&output)
    );
    let output = fx.jwctl(&["pause", "--region", "mars-1", "--yes"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("unknown region 'mars-1'"));
}

#[test]
fn a_writer_named_twice_counts_once() {
    let fx = Fixture::new();
    let all = fx.writers();
    let running: Vec<&Writer> = all
        .iter()
        .filter(|w| w.status == WriterStatus::Running)
        .take(2)
        .collect();
    let (first, second) = (running[0], running[1]);
    let output = fx.jwctl(&[
        "pause",
        &first.name,
        &first.id,
        &second.name,
        &first.name,
        "--yes",
    ]);
    assert_exit(&output, 0);
    let names: Vec<String> = table_rows(&output).into_iter().map(|row| row.0).collect();
    assert_eq!(names, [first.name.clone(), second.name.clone()]);
    let audit = fx.audit(&first.id);
    assert_eq!(audit.len(), 1, "one request for {}", first.name);
}

#[test]
fn a_forward_replay_asks_a_second_time_on_a_terminal() {
    use pty::PtyApp;

    let fx = Fixture::new();
    let writer = fx.pick("resumable stopped writer", resumable);
    let run = |answers: [&str; 2], outcome: &str| -> (String, bool) {
        let command = fx.pty_command(&["start", &writer.name, "--replay-from", "-30s"]);
        let mut app = PtyApp::spawn(command, 200, 40);
        app.wait_for("[y/N]");
        app.send(&format!("{}\r", answers[0]));
        app.wait_for("Skip it for good? [y/N]");
        app.send(&format!("{}\r", answers[1]));
        let screen = app.wait_for(outcome);
        let ok = app
            .wait_exit(RUN_LIMIT)
            .unwrap_or_else(|| panic!("jwctl did not exit:\n{screen}"));
        (screen, ok)
    };

    let (screen, ok) = run(["y", "n"], "nothing was changed");
    assert!(!ok, "{screen}");
    assert!(
        screen.contains(&format!("{} skips ", writer.name)) && screen.contains(" of change data, "),
        "the span is shown: {screen}"
    );
    assert!(
        screen.contains("The destination never receives that data. Skip it for good? [y/N] n"),
        "{screen}"
    );
    assert_eq!(fx.writer(&writer.id).version, writer.version);
    assert!(fx.audit(&writer.id).is_empty(), "nothing was sent");

    let (screen, ok) = run(["y", "y"], "Started");
    assert!(ok, "{screen}");
    assert!(fx.writer(&writer.id).version > writer.version);
    let audit = fx.audit(&writer.id);
    assert!(
        audit.first().and_then(|e| e.replay_from).is_some(),
        "{audit:?}"
    );
}

#[test]
fn yes_answers_both_questions_and_the_span_is_still_printed() {
    let fx = Fixture::with_fleet(300);
    let candidates: Vec<Writer> = fx.writers().into_iter().filter(resumable).collect();
    assert!(candidates.len() >= 3, "{candidates:?}");

    let single = &candidates[0];
    let output = fx.jwctl(&["start", &single.name, "--replay-from", "-30s", "--yes"]);
    assert_exit(&output, 0);
    let message = stderr(&output);
    assert!(
        message.starts_with(&format!("{} skips ", single.name))
            && message.contains(" of change data, "),
        "{message}"
    );
    assert!(!message.contains("[y/N]"), "{message}");
    assert!(
        stdout(&output).starts_with(&format!(
            "Started {}: starting (replaying from ",
            single.name
        )),
        "{}",
        stdout(&output)
    );

    let batch = [&candidates[1], &candidates[2]];
    let output = fx.jwctl(&[
        "start",
        &batch[0].name,
        &batch[1].name,
        "--replay-from",
        "-30s",
        "--yes",
    ]);
    assert_exit(&output, 0);
    let message = stderr(&output);
    let largest = batch
        .iter()
        .min_by_key(|w| w.checkpoint)
        .map(|w| w.name.clone())
        .unwrap_or_default();
    assert!(
        message.starts_with(&format!(
            "2 writers skip change data; the most: {largest} skips "
        )),
        "{message}"
    );
    assert!(
        message.ends_with("2 started, 0 no-op, 0 refused, 0 failed\n"),
        "{message}"
    );
    for (name, result, _, line) in table_rows(&output) {
        assert_eq!(result, "ok", "{line}");
        assert!(line.contains("replaying from "), "{name}: {line}");
    }
}

#[test]
fn read_only_mode_sends_nothing() {
    let fx = Fixture::new();
    let before = versions(&fx);
    let running = fx.pick("running writer", |w| w.status == WriterStatus::Running);

    let output = fx.jwctl(&["pause", &running.name, "--read-only", "--yes"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("read-only is on (--read-only): jwctl pause sends nothing"),
        "{}",
        stderr(&output)
    );

    let config = fx.sandbox.path().join("read-only.toml");
    std::fs::write(&config, "read_only = true\n").expect("config file");
    let config = config.to_string_lossy().into_owned();
    let output = fx.jwctl(&["start", "--config", &config, "--status", "stopped", "--yes"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains(&format!(
            "read-only is on (read_only = true in {config}): jwctl start sends nothing"
        )),
        "{}",
        stderr(&output)
    );
    assert_eq!(versions(&fx), before, "nothing was sent");

    // Reading is not affected.
    let output = fx.jwctl(&["list", "--config", &config]);
    assert_exit(&output, 0);
}

#[test]
fn the_theme_decides_colour_whatever_no_color_says() {
    let fx = Fixture::new();
    // The sandbox sets NO_COLOR=1 and stdout is a pipe.
    for (theme, coloured) in [("color", true), ("auto", false), ("mono", false)] {
        let output = fx.jwctl(&["list", "--theme", theme]);
        assert_exit(&output, 0);
        assert_eq!(
            stdout(&output).contains("\x1b["),
            coloured,
            "--theme {theme}"
        );
    }
    let stopped = fx.pick("stopped writer", |w| w.status == WriterStatus::Stopped);
    let output = fx.jwctl(&[
        "pause",
        "--region",
        &stopped.region,
        "--status",
        "stopped",
        "--theme",
        "color",
    ]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("\x1b[2mno-op\x1b[0m"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_full_migration_writer_with_an_old_checkpoint_starts_without_replay() {
    // A month after the fleet was seeded, every stopped writer's checkpoint is older than its
    // store holds. A full-migration writer does not read the store, so it starts.
    let clock = std::sync::Arc::new(jwctl::domain::ManualClock::new(Utc::now()));
    let fx = Fixture::with_clock(300, clock.clone());
    clock.advance(chrono::Duration::days(30));
    let writers = fx.writers();
    let full = writers
        .iter()
        .find(|w| {
            w.status.can_start()
                && w.kind == WriterKind::Full
                && w.checkpoint.is_some_and(|cp| cp < w.store.earliest)
        })
        .expect("a stopped full writer with an old checkpoint");
    let output = fx.jwctl(&["start", &full.name, "--yes"]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains(&format!("Started {}", full.name)),
        "{}",
        stdout(&output)
    );
    // An incremental one in the same state is refused before anything is sent.
    let incremental = writers
        .iter()
        .find(|w| {
            w.status.can_start()
                && w.kind == WriterKind::Incremental
                && w.checkpoint.is_some_and(|cp| cp < w.store.earliest)
        })
        .expect("a stopped incremental writer with an old checkpoint");
    let output = fx.jwctl(&["start", &incremental.name, "--yes"]);
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("start with replay"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fx.writer(&incremental.id).version, incremental.version);
}
