//! End to end: the real `jwctl` in a pseudo-terminal against a real `jwctl serve`. An operator
//! finds a running writer, pauses it, opens its detail, and finds the latency chart with the
//! pause marked on it and said under it; `w` switches the chart to 6 hours.

#[path = "support/pty.rs"]
mod pty;
#[path = "support/serve.rs"]
mod serve;

use std::time::Duration;

use jwctl::domain::WriterStatus;
use pty::{PtyApp, keys};
use serve::{Server, runtime};

const LIMIT: Duration = Duration::from_secs(20);

fn is_braille(c: char) -> bool {
    ('\u{2801}'..='\u{28ff}').contains(&c)
}

#[test]
fn a_paused_writer_shows_its_pause_on_the_latency_chart() {
    let server = Server::start();
    let writers = runtime()
        .block_on(server.client().list_writers(None))
        .expect("list")
        .writers;
    let name = writers
        .iter()
        .find(|w| w.status == WriterStatus::Running)
        .map(|w| w.name.clone())
        .expect("a running writer");
    let sandbox = tempfile::tempdir().expect("sandbox");
    let mut app = PtyApp::spawn(server.console(sandbox.path(), &[]), 100, 30);
    app.wait_for("80/80 shown");
    app.search_to_top(&name);

    // Paused from the table…
    app.send("p");
    app.wait_for(&format!("Pause {name}?"));
    app.send(keys::TAB);
    app.send(keys::ENTER);
    app.wait_for(&format!("Paused {name}"));

    // …its detail shows the chart with the pause marked on it and said under it.
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
