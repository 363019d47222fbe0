//! End to end against an OMS: the real console in a pseudo-terminal, against the real
//! `jwctl serve --backend oms`, against the stand-in OMS of `support/oms_standin.rs` (OMS cannot
//! run here; the stand-in follows OMS's public documentation). Search, pause, and start with
//! replay, checked through the stand-in's record of the calls it received.

#[path = "support/oms_standin.rs"]
mod oms_standin;
#[path = "support/pty.rs"]
mod pty;
#[path = "support/serve.rs"]
mod serve;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use oms_standin::{OmsStandin, PASSWORD, USER};
use pty::{PtyApp, keys};
use serve::{console, listening_url, row_of};

const LIMIT: Duration = Duration::from_secs(20);

/// `jwctl serve --backend oms` against `standin`, polling every second, with its state and
/// token in `dir`: the child, the URL it listens on and the token file.
fn serve_oms(standin: &OmsStandin, dir: &Path) -> (Child, String, String) {
    let password = dir.join("oms-password");
    std::fs::write(&password, format!("{PASSWORD}\n")).expect("password file");
    std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
    let token = dir.join("token");
    std::fs::write(&token, "oms-e2e-token").expect("token file");
    let mut serve = Command::new(env!("CARGO_BIN_EXE_jwctl"));
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--backend", "oms"])
        .args(["--oms-url", &standin.url, "--oms-user", USER])
        .arg("--oms-password-file")
        .arg(&password)
        .args(["--oms-poll-secs", "1", "--data-dir"])
        .arg(dir.join("data"))
        .arg("--token-file")
        .arg(&token)
        .env_remove("JWCTL_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (region, url) in &standin.cm {
        serve.args(["--cm-url", &format!("{region}={url}")]);
    }
    let mut child = serve.spawn().expect("jwctl serve");
    let url = listening_url(&mut child);
    (child, url, token.to_string_lossy().to_string())
}

/// The console against `url`, in a 160x40 pseudo-terminal.
fn console_on(sandbox: &Path, url: &str, token: &str) -> PtyApp {
    PtyApp::spawn(
        console(
            sandbox,
            &["--controller", url, "--token-file", token, "--tz", "UTC"],
        ),
        160,
        40,
    )
}

#[test]
fn the_console_pauses_and_replays_a_writer_of_an_oms() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let standin = rt.block_on(OmsStandin::start(8, &["hz", "sh"]));
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut child, url, token) = serve_oms(&standin, dir.path());

    let project = standin.projects()[2].clone();
    let component = project.incr[0].clone();
    assert_eq!(component.status, "RUNNING");
    let name = jwctl::oms::subtask_name(&component.name).to_string();

    let sandbox = tempfile::tempdir().expect("sandbox");
    let mut app = console_on(sandbox.path(), &url, &token);
    app.wait_for("16/16 shown");
    app.search_to_top(&name);

    app.send("p");
    app.wait_for(&format!("Pause {name}?"));
    app.send(keys::LEFT);
    app.send(keys::ENTER);
    // The answer, not only the row: the change feed may show the writer stopped before the
    // console has the answer, and an operation is not offered while one is in flight.
    app.wait_for(&format!("Paused {name}"));
    app.wait_until("the writer stopped", LIMIT, |s| {
        row_of(s, &name).is_some_and(|row| row.contains("Stopped"))
    });
    let stops = standin.calls_to("stop");
    assert_eq!(stops.len(), 1, "{stops:?}");
    assert_eq!(
        stops[0].query.get("taskName").map(String::as_str),
        Some(component.name.as_str())
    );
    assert_eq!(stops[0].region.as_deref(), Some(project.region.as_str()));

    // Start, replaying from half an hour before the stand-in's "now" (written again: no
    // second question).
    app.send("s");
    app.wait_for("Whether to Replay Data");
    app.send(keys::RIGHT);
    app.send(keys::TAB);
    app.send("2026-11-24 09:30:00");
    app.send(keys::ENTER);
    app.wait_for(&format!(
        "Started {name}, replaying from 2026-11-24 09:30:00"
    ));
    let resets = standin.calls_to("ResetIncrStartTimestamp");
    assert_eq!(resets.len(), 1, "{resets:?}");
    assert_eq!(resets[0].body["id"], project.id.as_str());
    assert_eq!(resets[0].body["startTimestamp"], 1_795_512_600_i64);
    let resumes = standin.calls_to("resume");
    assert_eq!(resumes.len(), 1, "{resumes:?}");
    assert_eq!(
        resumes[0].query.get("pullBackFlag").map(String::as_str),
        Some("true")
    );
    app.wait_until("the writer running", LIMIT, |s| {
        row_of(s, &name).is_some_and(|row| row.contains("Running"))
    });

    app.send("q");
    assert_eq!(app.wait_exit(LIMIT), Some(true));
    let _ = child.kill();
    let _ = child.wait();
}

/// A measurement, not a limit (run with `--release -- --nocapture` for the figure): how long
/// `jwctl serve --backend oms` takes to listen on an OMS of 1,000 projects (its first poll
/// included), and the console to show all 2,000 writers through it.
#[test]
fn the_console_starts_on_an_oms_of_a_thousand_projects() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let standin = rt.block_on(OmsStandin::start(1_000, &["hz", "sh", "sz"]));
    let dir = tempfile::tempdir().expect("temp dir");
    let serve_started = Instant::now();
    let (mut child, url, token) = serve_oms(&standin, dir.path());
    let serve_took = serve_started.elapsed();
    let sandbox = tempfile::tempdir().expect("sandbox");
    let console_started = Instant::now();
    let mut app = console_on(sandbox.path(), &url, &token);
    app.wait_until("all 2,000 writers", LIMIT, |s| {
        s.contains("2000/2000 shown")
    });
    let console_took = console_started.elapsed();
    println!(
        "serve on 1,000 OMS projects listened after {serve_took:?}; \
         the console showed 2,000 writers after {console_took:?}"
    );
    app.send("q");
    assert_eq!(app.wait_exit(LIMIT), Some(true));
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn serve_refuses_an_open_password_file_wrong_credentials_and_an_absent_oms() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let standin = rt.block_on(OmsStandin::start(2, &["hz"]));
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |url: &str, password: &str, mode: u32| {
        let file = dir.path().join(format!("pw-{mode:o}-{}", password.len()));
        std::fs::write(&file, password).expect("password file");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).expect("chmod");
        let output = Command::new(env!("CARGO_BIN_EXE_jwctl"))
            .args(["serve", "--listen", "127.0.0.1:0", "--backend", "oms"])
            .args(["--oms-url", url, "--oms-user", USER])
            .arg("--oms-password-file")
            .arg(&file)
            .args(["--cm-url", &standin.cm[0].1, "--data-dir"])
            .arg(dir.path().join("data"))
            .env_remove("JWCTL_CONFIG")
            .stdin(Stdio::null())
            .output()
            .expect("jwctl serve runs");
        assert!(!output.status.success(), "serve must not start");
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(
            !stderr.contains(password),
            "the password is never shown: {stderr}"
        );
        stderr
    };
    let open = run(&standin.url, PASSWORD, 0o644);
    assert!(open.contains("chmod 600"), "{open}");
    let wrong = run(&standin.url, "not-the-password", 0o600);
    assert!(wrong.contains("credentials"), "{wrong}");
    // A port that was just free: nothing answers there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let absent = run(&format!("http://127.0.0.1:{port}"), PASSWORD, 0o600);
    assert!(absent.contains("unavailable"), "{absent}");
}
