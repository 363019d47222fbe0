//! End to end: the real `jwctl` in a pseudo-terminal against a real `jwctl serve`. An operator
//! opens a running writer's detail, finds its latency chart, pauses it there, and finds the
//! pause marked on the chart and said under it; `w` switches the chart to 6 hours.

#[path = "support/pty.rs"]
mod pty;
#[path = "support/serve.rs"]
mod serve;

use std::time::Duration;

use pty::{PtyApp, keys};
use serve::Server;

const LIMIT: Duration = Duration::from_secs(20);

fn is_braille(c: char) -> bool {
    ('\u{2801}'..='\u{28ff}').contains(&c)
}

#[test]
fn a_paused_writer_shows_its_pause_on_the_latency_chart() {
    let server = Server::start();
    let sandbox = tempfile::tempdir().expect("sandbox");
    let mut app = PtyApp::spawn(server.console(sandbox.path(), &[]), 100, 30);
    app.wait_for("80/80 shown");
    app.send(":status running");
    app.send(keys::ENTER);
    let screen = app.wait_until("running writers only", LIMIT, |s| {
        s.contains("Status: running")
    });
    let name = screen
        .lines()
        .nth(2)
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_default()
        .to_string();
    assert!(name.starts_with("np_"), "{screen}");

    app.send(keys::ENTER);
    app.wait_until("the detail with its chart", LIMIT, |s| {
        s.contains("Latency, last 15 min") && s.chars().any(is_braille)
    });
    // Paused from its detail view, which stays open and reads its history again.
    app.send("p");
    app.wait_for(&format!("Pause {name}?"));
    app.send(keys::TAB);
    app.send(keys::ENTER);
    let detail = app.wait_until("the chart with the pause marked", LIMIT, |s| {
        s.contains("Latency, last 15 min") && s.contains("paused by") && s.chars().any(is_braille)
    });
    let graph_rows: Vec<&str> = detail
        .lines()
        .skip_while(|l| !l.contains("Latency, last 15 min"))
        .skip(1)
        .take(3)
        .collect();
    assert!(
        graph_rows.iter().any(|l| l.contains('P')),
        "the P marker on the graph's top row: {detail}"
    );
    assert!(detail.contains("Recent operations"), "{detail}");

    app.send("w");
    app.wait_until("the 6 h chart", LIMIT, |s| {
        s.contains("Latency, last 6 h") && s.contains("paused by")
    });
    app.send("q");
    app.wait_until("back to the table", LIMIT, |s| !s.contains("Latency, last"));
    app.send("q");
    assert_eq!(app.wait_exit(LIMIT), Some(true));
}
