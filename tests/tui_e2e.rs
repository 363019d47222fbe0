//! End to end: the real `jwctl` binary in a pseudo-terminal, against a real `jwctl serve`
//! (or the embedded demo controller), its screen parsed with vt100.

mod common;
#[path = "support/pty.rs"]
mod pty;
#[path = "support/serve.rs"]
mod serve;

use std::process::Command;
use std::time::Duration;

use chrono::Duration as TimeDelta;
use jwctl::api::AuditAction;
use jwctl::domain::{WriterKind, WriterStatus};
use pty::{PtyApp, keys};
use serve::{Server, console, poll_writer, row_of, runtime};

#[test]
fn search_pause_and_replay_a_writer_from_the_console() {
    let server = Server::start();
    let client = server.client();
    let rt = runtime();
    let writers = rt
        .block_on(client.list_writers(None))
        .expect("writer list")
        .writers;
    let target = writers
        .iter()
        .find(|w| {
            w.status == WriterStatus::Running
                && w.kind == WriterKind::Incremental
                && w.project.name.len() > 8
        })
        .expect("a running incremental writer")
        .clone();
    // Part of the project name: without its first and last characters.
    let chars: Vec<char> = target.project.name.chars().collect();
    let part: String = chars[1..chars.len() - 1].iter().collect();

    let sandbox = tempfile::tempdir().expect("sandbox");
    let token_file = server.token_file.to_string_lossy().to_string();
    let mut app = PtyApp::spawn(
        console(
            sandbox.path(),
            &[
                "--controller",
                &server.url,
                "--token-file",
                &token_file,
                "--tz",
                "UTC",
            ],
        ),
        160,
        40,
    );
    app.wait_for("● connected");

    // Search by part of the project name; the target is among the hits.
    app.send("/");
    app.send(&part);
    app.send(keys::ENTER);
    let screen = app.wait_until(
        "the target in the search hits",
        Duration::from_secs(20),
        |s| row_of(s, &target.name).is_some() && s.contains(&format!("Search: {part}")),
    );
    let line = screen
        .lines()
        .position(|l| l.split_whitespace().next() == Some(target.name.as_str()))
        .expect("target row");
    // Line 0 is the title, line 1 the header: select the target from the top.
    app.send("g");
    app.send(&"j".repeat(line - 2));
    app.send(keys::ENTER);
    let title = format!("┌ {} ", target.name);
    app.wait_for(&title);
    // A key right after Esc would read as Alt+key: wait for the popup to close first.
    app.send(keys::ESC);
    app.wait_until("the detail to close", Duration::from_secs(20), |s| {
        !s.contains(&title)
    });

    // Pause: the dialog's focus starts on Cancel; move to OK and confirm.
    app.send("p");
    app.wait_for(&format!("Pause {}?", target.name));
    app.send(keys::LEFT);
    app.send(keys::ENTER);
    app.wait_until("the target to show Stopped", Duration::from_secs(20), |s| {
        row_of(s, &target.name).is_some_and(|row| row.contains("Stopped"))
    });
    let paused = poll_writer(&rt, &client, &target.id, |w| {
        w.status == WriterStatus::Stopped
    });
    let checkpoint_before = paused
        .checkpoint
        .expect("a paused writer keeps its checkpoint");

    // Start with replay from a timestamp outside the store's range: the dialog says so.
    app.send("s");
    app.wait_for("Whether to Replay Data");
    app.send(keys::RIGHT);
    app.send(keys::TAB);
    app.send("2020-01-01 00:00:00");
    app.send(keys::ENTER);
    app.wait_for("is outside the change data");
    let still = rt.block_on(client.writer(&target.id)).expect("writer");
    assert_eq!(still.status, WriterStatus::Stopped, "nothing was sent");

    // Then a timestamp inside it: the writer starts replaying from there.
    let replay_from = still.store.earliest + TimeDelta::minutes(10);
    let typed = replay_from.format("%Y-%m-%d %H:%M:%S").to_string();
    app.send(keys::CTRL_U);
    app.send(&typed);
    app.send(keys::ENTER);
    app.wait_for(&format!("Started {}", target.name));
    app.wait_until("the target to show Running", Duration::from_secs(20), |s| {
        row_of(s, &target.name).is_some_and(|row| row.contains("Running"))
    });
    let running = poll_writer(&rt, &client, &target.id, |w| {
        w.status == WriterStatus::Running
    });
    let checkpoint = running.checkpoint.expect("checkpoint");
    let wanted = replay_from
        .with_timezone(&chrono::Utc)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    assert!(
        checkpoint >= replay_from - TimeDelta::seconds(1) && checkpoint < checkpoint_before,
        "the checkpoint was reset to {wanted} and replays from there: {checkpoint} (was {checkpoint_before})"
    );
    let audit = rt
        .block_on(client.audit(&target.id, 10))
        .expect("audit log");
    let start = audit
        .iter()
        .find(|e| e.action == AuditAction::Start && e.result == "ok")
        .expect("the start is audited");
    let asked = start.replay_from.expect("with its replay timestamp");
    assert_eq!(asked.format("%Y-%m-%d %H:%M:%S").to_string(), typed);

    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), Some(true));
    let raw = String::from_utf8_lossy(&app.raw_output()).to_string();
    assert!(raw.contains("\x1b[?1049l"), "the alternate screen is left");
}

#[test]
fn the_embedded_demo_needs_no_setup_and_signals_restore_the_terminal() {
    // SIGTERM (a service manager) and SIGHUP (the SSH link dropped).
    for signal in ["TERM", "HUP"] {
        let sandbox = tempfile::tempdir().expect("sandbox");
        let mut app = PtyApp::spawn(
            console(
                sandbox.path(),
                &["--demo", "--demo-fleet", "40", "--regions", "1"],
            ),
            120,
            30,
        );
        let screen = app.wait_for("● connected");
        assert!(screen.contains("DEMO"), "{screen}");
        app.wait_for("JDBCWriter cn-hangzhou");
        app.wait_for("40/40 shown");
        let status = Command::new("kill")
            .args([format!("-{signal}"), app.pid().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        assert!(
            app.wait_exit(Duration::from_secs(10)).is_some(),
            "jwctl ends on SIG{signal}"
        );
        let raw = String::from_utf8_lossy(&app.raw_output()).to_string();
        assert!(
            raw.contains("\x1b[?1049l"),
            "SIG{signal}: the alternate screen is left"
        );
        assert!(
            raw.contains("\x1b[?25h"),
            "SIG{signal}: the cursor is shown again"
        );
    }
}

#[test]
fn an_unreachable_controller_shows_a_banner_and_the_console_stays_usable() {
    // Nothing listens on a port that was just free.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let sandbox = tempfile::tempdir().expect("sandbox");
    let mut app = PtyApp::spawn(
        console(sandbox.path(), &["--controller", &url, "--token", "t"]),
        120,
        30,
    );
    let screen = app.wait_for("⚠ Disconnected · retry in");
    assert!(screen.contains("cannot reach the controller"), "{screen}");
    app.send("?");
    app.wait_for("Esc closes");
    app.send("q");
    app.wait_until("help to close", Duration::from_secs(20), |s| {
        !s.contains("Esc closes")
    });
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), Some(true));
}

#[test]
fn an_idle_console_sends_nothing_down_the_link() {
    // A controller whose clock stands still serves the same data every time, and a refresh
    // interval of an hour: once drawn, nothing on screen changes. The controller runs on
    // the runtime's worker thread while the test waits.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let controller = rt.block_on(common::controller(common::Options {
        demo_fleet: Some(30),
        ..common::Options::default()
    }));
    let sandbox = tempfile::tempdir().expect("sandbox");
    let config = sandbox.path().join("config.toml");
    std::fs::write(&config, "[tui]\nrefresh_secs = 3600\n").expect("config");
    let url = controller.handle.url();
    let config = config.to_string_lossy().to_string();
    let mut app = PtyApp::spawn(
        console(
            sandbox.path(),
            &[
                "--controller",
                &url,
                "--token",
                common::TOKEN,
                "--config",
                &config,
            ],
        ),
        120,
        30,
    );
    app.wait_for("30/30 shown");
    // Latencies and checkpoints tick with the console's own clock (a stopped writer falls
    // behind, a running one moves on): a search that matches no writer leaves a screen that
    // nothing changes.
    app.send("/no-such-writer\r");
    app.wait_until(
        "the search kept, its box closed",
        Duration::from_secs(20),
        |screen| {
            screen.contains("0/30 shown")
                && screen.contains("Search \"no-such-writer\": Esc clears it")
                && screen.contains("Search: no-such-writer (Esc clears)")
        },
    );
    let settled = app.raw_output().len();
    // The console wakes every second (tick); watch a few ticks go by.
    let window = std::time::Instant::now() + Duration::from_millis(3500);
    while std::time::Instant::now() < window {
        assert_eq!(
            app.raw_output().len(),
            settled,
            "an unchanged screen wrote to the terminal"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_console_uses_jwctl_serve_on_the_default_address_else_says_it_runs_the_demo() {
    // The default address is a fixed port; this needs it free (it is on CI).
    if std::net::TcpListener::bind("127.0.0.1:7465").is_err() {
        eprintln!("127.0.0.1:7465 is in use here: skipping the default-address test");
        return;
    }
    let sandbox = tempfile::tempdir().expect("sandbox");
    let mut app = PtyApp::spawn(console(sandbox.path(), &[]), 120, 30);
    let screen = app.wait_for("● connected");
    assert!(screen.contains("DEMO"), "{screen}");
    assert!(
        screen.contains("No controller answered at http://127.0.0.1:7465"),
        "{screen}"
    );
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), Some(true));

    // `jwctl serve` on the default address, with its data (and token) in the default data dir
    // the console also looks in.
    let data_dir = sandbox.path().join("data").join("jwctl");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_jwctl"))
        .args(["serve", "--listen", "127.0.0.1:7465", "--demo-fleet", "20"])
        .args(["--regions", "1", "--data-dir"])
        .arg(&data_dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("jwctl serve");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect("127.0.0.1:7465").is_err() {
        assert!(std::time::Instant::now() < deadline, "jwctl serve listens");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut app = PtyApp::spawn(console(sandbox.path(), &[]), 120, 30);
    let screen = app.wait_for("20/20 shown");
    assert!(!screen.contains("DEMO"), "{screen}");
    assert!(screen.contains("http://127.0.0.1:7465"), "{screen}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(10)), Some(true));
    let _ = serve.kill();
    let _ = serve.wait();
}
