//! End to end, where the terminal matters: the real `jwctl` in a pseudo-terminal against a
//! real `jwctl serve`. A too-small screen is inert, modifier keys do not run plain keys'
//! commands, a search's highlighted row is what keys act on, an explicit theme wins over
//! NO_COLOR, three marked writers pause through one dialog, and `y` copies with OSC 52.

#[path = "support/pty.rs"]
mod pty;
#[path = "support/serve.rs"]
mod serve;

use std::time::Duration;

use jwctl::domain::{Writer, WriterStatus};
use jwctl::tui::clipboard::base64;
use pty::{PtyApp, keys};
use serve::{Server, console, poll_writer, runtime};

const LIMIT: Duration = Duration::from_secs(20);

fn connect(server: &Server, sandbox: &std::path::Path, extra: &[&str], size: (u16, u16)) -> PtyApp {
    PtyApp::spawn(server.console(sandbox, extra), size.0, size.1)
}

/// The text of the screen line whose cells are highlighted as the selection (a background
/// colour in the colour theme, reverse video in mono), if any.
fn highlighted(app: &PtyApp, mono: bool) -> Option<String> {
    let screen = app.screen();
    let (rows, _) = screen.size();
    (2..rows.saturating_sub(2)).find_map(|row| {
        let cell = screen.cell(row, 4)?;
        let marked = if mono {
            cell.inverse()
        } else {
            cell.bgcolor() != vt100::Color::Default
        };
        marked.then(|| screen.contents_between(row, 0, row, screen.size().1))
    })
}

fn status_of(writers: &[Writer], id: &str) -> Option<(WriterStatus, u64)> {
    writers
        .iter()
        .find(|w| w.id == id)
        .map(|w| (w.status, w.version))
}

/// The "refreshed HH:MM:SS" the status bar shows.
fn refreshed(screen: &str) -> Option<String> {
    let at = screen.find("refreshed ")? + "refreshed ".len();
    screen.get(at..at + 8).map(str::to_string)
}

#[test]
fn below_the_smallest_size_keys_do_nothing_but_quit() {
    let server = Server::start();
    let client = server.client();
    let rt = runtime();
    let before = rt
        .block_on(client.list_writers(None))
        .expect("list")
        .writers;
    let sandbox = tempfile::tempdir().expect("sandbox");
    let mut app = connect(&server, sandbox.path(), &[], (40, 12));
    app.wait_for("Terminal too small");
    // Blind keys that would pause a running writer: move to it, p, Tab to OK, Enter; then
    // help, a mark and a search.
    let running = before
        .iter()
        .position(|w| w.status == WriterStatus::Running)
        .expect("a running writer");
    app.send(&"j".repeat(running));
    let blind = ["p", keys::TAB, keys::ENTER, "?", " ", "/", "s", keys::ENTER];
    for key in blind {
        app.send(key);
    }
    // Every key read (and ignored) at the small size before the window grows.
    app.wait_for(&format!("{} keys ignored.", running + blind.len()));
    app.resize(160, 48);
    let screen = app.wait_until("the table at full size", LIMIT, |s| {
        s.contains("● connected") && s.contains("80/80 shown")
    });
    assert!(!screen.contains("Pause np_"), "no dialog: {screen}");
    assert!(!screen.contains("Help —"), "no help: {screen}");
    assert!(!screen.contains("marked"), "no mark: {screen}");
    assert!(!screen.contains("Search:"), "no search box: {screen}");
    // Let one more refresh go by, then nothing has changed on the controller.
    let first = refreshed(&screen);
    app.wait_until("the next refresh", LIMIT, |s| refreshed(s) != first);
    let after = rt
        .block_on(client.list_writers(None))
        .expect("list")
        .writers;
    for writer in &before {
        assert_eq!(
            status_of(&after, &writer.id),
            Some((writer.status, writer.version)),
            "{} changed",
            writer.name
        );
    }
    app.resize(40, 12);
    app.wait_for("Terminal too small");
    app.send("q");
    assert_eq!(app.wait_exit(LIMIT), Some(true));
}

#[test]
fn ctrl_and_alt_keys_do_not_run_the_plain_keys_commands() {
    let server = Server::start();
    let sandbox = tempfile::tempdir().expect("sandbox");
    let mut app = connect(&server, sandbox.path(), &[], (160, 48));
    app.wait_for("80/80 shown");
    // A writer that is not running selected: plain s would open Start, r the regions.
    app.send("ff");
    app.wait_until("only writers not running", LIMIT, |s| {
        s.contains("Status: not running")
    });
    for key in [keys::CTRL_P, keys::CTRL_R, keys::ALT_S, keys::CTRL_Q] {
        app.send(key);
    }
    // Keys are handled in order: the help opening proves the four came and went.
    app.send("?");
    let screen = app.wait_for("Help —");
    assert!(!screen.contains("Whether to Replay Data"), "{screen}");
    assert!(!screen.contains("┌ Regions"), "{screen}");
    assert_eq!(app.wait_exit(Duration::ZERO), None, "Ctrl-Q did not quit");
    app.send(keys::ESC);
    app.wait_until("the help to close", LIMIT, |s| !s.contains("Help —"));
    app.send("q");
    assert_eq!(app.wait_exit(LIMIT), Some(true));
}

#[test]
fn after_a_search_the_highlighted_best_match_is_what_keys_act_on() {
    let server = Server::start();
    let sandbox = tempfile::tempdir().expect("sandbox");
    let mut app = connect(&server, sandbox.path(), &[], (160, 48));
    app.wait_for("80/80 shown");
    // Start from a row further down, as an operator would be.
    app.send("G");
    app.send("/ledger");
    app.send(keys::ENTER);
    let screen = app.wait_until("the hits", LIMIT, |s| s.contains("9/80 shown"));
    let first_hit = screen
        .lines()
        .nth(2)
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    assert_eq!(first_hit, "np_6f5dljs4-incr_trans-1-0", "{screen}");
    let selected = app
        .wait_until("a highlighted row", LIMIT, |_| {
            highlighted(&app, false).is_some()
        })
        .to_string();
    let line = highlighted(&app, false).unwrap_or_default();
    assert!(line.contains(&first_hit), "highlighted: {line}\n{selected}");
    app.send("p");
    let question = format!("Pause {first_hit}?");
    app.wait_for(&question);
    // A key right after Esc would read as Alt+key: wait for the dialog to close first.
    app.send(keys::ESC);
    app.wait_until("the dialog to close", LIMIT, |s| !s.contains(&question));
    app.send("q");
    assert_eq!(app.wait_exit(LIMIT), Some(true));
}

#[test]
fn an_explicit_colour_theme_wins_over_no_color_and_mono_still_marks_the_selection() {
    let server = Server::start();
    for (theme, mono) in [("color", false), ("auto", true), ("mono", true)] {
        let sandbox = tempfile::tempdir().expect("sandbox");
        let token_file = server.token_file.to_string_lossy().to_string();
        let mut command = console(
            sandbox.path(),
            &[
                "--controller",
                &server.url,
                "--token-file",
                &token_file,
                "--theme",
                theme,
            ],
        );
        command.env("NO_COLOR", "1");
        let mut app = PtyApp::spawn(command, 160, 48);
        app.wait_for("80/80 shown");
        app.wait_until(
            &format!("the selection shown with --theme {theme}"),
            LIMIT,
            |_| highlighted(&app, mono).is_some(),
        );
        if !mono {
            assert_eq!(
                app.screen().cell(2, 4).map(|c| c.bgcolor()),
                Some(vt100::Color::Idx(4)),
                "--theme color colours the selection despite NO_COLOR"
            );
        }
        // The mark is a glyph, so it shows without colour too.
        app.send(" ");
        app.wait_for("1 marked");
        assert_eq!(
            app.screen().cell(2, 0).map(|c| c.contents()),
            Some("●"),
            "--theme {theme}"
        );
        app.send("q");
        assert_eq!(app.wait_exit(LIMIT), Some(true));
    }
}

#[test]
fn three_marked_writers_pause_through_one_dialog() {
    let server = Server::start();
    let client = server.client();
    let rt = runtime();
    let sandbox = tempfile::tempdir().expect("sandbox");
    let mut app = connect(&server, sandbox.path(), &[], (160, 48));
    app.wait_for("80/80 shown");
    app.send(":status running");
    app.send(keys::ENTER);
    let screen = app.wait_until("running writers only", LIMIT, |s| {
        s.contains("Status: running")
    });
    let names: Vec<String> = screen
        .lines()
        .skip(2)
        .take(3)
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert_eq!(names.len(), 3, "{screen}");
    for _ in 0..3 {
        app.send(" ");
        app.send("j");
    }
    app.wait_for("3 marked");
    app.send("p");
    app.wait_for("Pause the 3 marked writers");
    app.wait_for("3 will pause");
    app.send(keys::TAB);
    app.send(keys::ENTER);
    app.wait_for("Done: 3 ok");
    let writers = rt
        .block_on(client.list_writers(None))
        .expect("list")
        .writers;
    for name in &names {
        let writer = writers
            .iter()
            .find(|w| &w.name == name)
            .unwrap_or_else(|| panic!("{name} in the fleet"));
        let paused = poll_writer(&rt, &client, &writer.id, |w| {
            w.status == WriterStatus::Stopped
        });
        assert!(paused.version > writer.version);
        let audit = rt.block_on(client.audit(&writer.id, 5)).expect("audit");
        assert!(
            audit.iter().any(|e| e.result == "ok"),
            "{name}: the pause is audited"
        );
    }
    app.send(keys::ESC);
    app.wait_until("the results to close", LIMIT, |s| !s.contains("Done: 3 ok"));
    app.send("q");
    assert_eq!(app.wait_exit(LIMIT), Some(true));
}

#[test]
fn y_puts_the_writer_id_on_the_clipboard_with_osc_52() {
    let server = Server::start();
    let client = server.client();
    let rt = runtime();
    let first = rt
        .block_on(client.list_writers(None))
        .expect("list")
        .writers
        .into_iter()
        .next()
        .expect("a writer");
    let sandbox = tempfile::tempdir().expect("sandbox");
    let mut app = connect(&server, sandbox.path(), &[], (160, 48));
    app.wait_for("80/80 shown");
    app.send("g");
    app.send("y");
    app.wait_for("to the clipboard");
    let raw = String::from_utf8_lossy(&app.raw_output()).to_string();
    let expected = format!("\x1b]52;c;{}\x07", base64(first.id.as_bytes()));
    assert!(
        raw.contains(&expected),
        "OSC 52 with the id of {}",
        first.name
    );
    app.send("q");
    assert_eq!(app.wait_exit(LIMIT), Some(true));
}

#[test]
fn the_view_comes_back_on_the_next_start_unless_fresh() {
    let server = Server::start();
    let sandbox = tempfile::tempdir().expect("sandbox");
    let mut app = connect(&server, sandbox.path(), &[], (160, 48));
    app.wait_for("80/80 shown");
    app.send(":status failed");
    app.send(keys::ENTER);
    app.wait_for("Status: failed");
    app.send("o");
    app.wait_for("Server IP ▲");
    app.send("q");
    assert_eq!(app.wait_exit(LIMIT), Some(true));

    let mut app = connect(&server, sandbox.path(), &[], (160, 48));
    let screen = app.wait_until("the remembered view", LIMIT, |s| {
        s.contains("Status: failed") && s.contains("Server IP ▲") && s.contains("/80 shown")
    });
    assert!(!screen.contains("80/80 shown"), "{screen}");
    // The command history came back too.
    app.send(":");
    app.send(keys::UP);
    app.wait_for(":status failed");
    app.send(keys::ESC);
    app.wait_until("the command line to close", LIMIT, |s| {
        !s.contains(":status failed")
    });
    app.send("q");
    assert_eq!(app.wait_exit(LIMIT), Some(true));

    let mut app = connect(&server, sandbox.path(), &["--fresh"], (160, 48));
    let screen = app.wait_for("80/80 shown");
    assert!(
        screen.contains("Status: all") && screen.contains("Name ▲"),
        "{screen}"
    );
    app.send("q");
    assert_eq!(app.wait_exit(LIMIT), Some(true));
}
