//! End to end: the real `jwctl` binary in a pseudo-terminal, against a real `jwctl serve`
//! (or the embedded demo controller), its screen parsed with vt100.

mod common;
#[path = "support/pty.rs"]
mod pty;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::Duration as TimeDelta;
use jwctl::api::AuditAction;
use jwctl::client::{Client, ClientOptions};
use jwctl::domain::{Writer, WriterKind, WriterStatus};
use portable_pty::CommandBuilder;
use pty::{PtyApp, keys};

const TOKEN: &str = "e2e-token-5c1f0a9d7b3e";

/// `jwctl serve` on 127.0.0.1:0 with a demo fleet in a temp dir.
struct Server {
    child: Child,
    url: String,
    token_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let token_file = dir.path().join("token");
        std::fs::write(&token_file, TOKEN).expect("token file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_jwctl"))
            .args(["serve", "--listen", "127.0.0.1:0", "--demo-fleet", "80"])
            .args(["--regions", "3", "--transition-ms", "300", "--data-dir"])
            .arg(dir.path().join("data"))
            .arg("--token-file")
            .arg(&token_file)
            .env_remove("JWCTL_TOKEN")
            .env_remove("JWCTL_CONTROLLER")
            .env_remove("JWCTL_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start jwctl serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("jwctl serve ended before it listened")
                .expect("read stderr");
            if let Some(at) = line.find("listening on ") {
                break line[at + "listening on ".len()..].trim().to_string();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Server {
            child,
            url,
            token_file,
            _dir: dir,
        }
    }

    fn client(&self) -> Client {
        Client::new(ClientOptions::new(&self.url, Some(TOKEN.into()))).expect("client")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// `jwctl` with `args`, isolated from the user's config and environment.
fn console(sandbox: &Path, args: &[&str]) -> CommandBuilder {
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_jwctl"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("JWCTL_") {
            command.env_remove(name);
        }
    }
    command.env_remove("NO_COLOR");
    command.env("TERM", "xterm-256color");
    command.env("XDG_CONFIG_HOME", sandbox.join("config"));
    command.env("XDG_DATA_HOME", sandbox.join("data"));
    command.env("XDG_STATE_HOME", sandbox.join("state"));
    command.args(args);
    command
}

/// The screen line showing writer `name`.
fn row_of<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
}

/// Polls writer `id` until `done`, for at most 20 s. `rt` must be the runtime the client's
/// connections were made on.
fn poll_writer(
    rt: &tokio::runtime::Runtime,
    client: &Client,
    id: &str,
    done: impl Fn(&Writer) -> bool,
) -> Writer {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let writer = rt.block_on(client.writer(id)).expect("writer");
        if done(&writer) {
            return writer;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "writer never got there: {writer:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

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
            console(sandbox.path(), &["--demo-fleet", "40", "--regions", "1"]),
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
    let app = PtyApp::spawn(
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
