//! The real `jwctl serve` binary: acknowledged changes survive a SIGKILL, no writer is left
//! transitional after a restart, the token file is private and the token never reaches the
//! log.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Duration as Span, Utc};
use jwctl::client::{Client, ClientOptions};
use jwctl::controller::{
    Access, ControllerConfig, ControllerError, DB_FILE_NAME, TOKEN_FILE_NAME, start,
};
use jwctl::domain::{ManualClock, WriterKind, WriterStatus};

struct Server {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
}

/// Starts `jwctl serve` on a free loopback port, logging at debug, and waits for its
/// listening line.
fn serve(dir: &Path) -> Server {
    serve_logging(dir, Some("debug"))
}

/// `serve` with the log level `level` (`None`: the default).
fn serve_logging(dir: &Path, level: Option<&str>) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jwctl"));
    command.env_remove("JWCTL_LOG");
    if let Some(level) = level {
        command.env("JWCTL_LOG", level);
    }
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0", "--demo-fleet", "60"])
        .args(["--transition-ms", "60000", "--data-dir"])
        .arg(dir)
        .env_remove("JWCTL_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Arc::new(Mutex::new(String::new()));
    let (lines_tx, lines_rx) = mpsc::channel();
    let reader = BufReader::new(child.stderr.take().unwrap());
    let collected = stderr.clone();
    std::thread::spawn(move || {
        for line in reader.lines().map_while(Result::ok) {
            collected.lock().unwrap().push_str(&line);
            collected.lock().unwrap().push('\n');
            let _ = lines_tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines_rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no listening line ({e}): {}", stderr.lock().unwrap()));
        if let Some(url) = line.split("jwctl controller listening on ").nth(1) {
            break url.trim().to_string();
        }
    };
    Server { child, url, stderr }
}

fn client(server: &Server, dir: &Path) -> Client {
    let token = std::fs::read_to_string(dir.join(TOKEN_FILE_NAME)).unwrap();
    Client::new(ClientOptions::new(&server.url, Some(token.trim().into()))).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_changes_survive_a_kill_and_nothing_stays_transitional() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = serve(dir.path());
    let token = std::fs::read_to_string(dir.path().join(TOKEN_FILE_NAME)).unwrap();
    let token = token.trim().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(TOKEN_FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the token file is private");
    }
    let api = client(&first, dir.path());
    let writers = api.list_writers(None).await.unwrap().writers;
    assert_eq!(writers.len(), 60);
    let running = writers
        .iter()
        .find(|w| w.status == WriterStatus::Running)
        .unwrap();
    let resumable = writers
        .iter()
        .find(|w| {
            w.kind == WriterKind::Incremental
                && w.status == WriterStatus::Stopped
                && w.checkpoint.is_some_and(|c| c >= w.store.earliest)
        })
        .unwrap();

    // The transition lasts a minute, so both writers are transitional when the server dies.
    let paused = api.pause(&running.id, None).await.unwrap();
    assert_eq!(paused.status, WriterStatus::Pausing);
    let from = Utc::now() - Span::minutes(20);
    let from = chrono::DateTime::from_timestamp(from.timestamp(), 0).unwrap();
    let started = api.start(&resumable.id, Some(from), None).await.unwrap();
    assert_eq!(started.status, WriterStatus::Starting);
    let revision = api.list_writers(None).await.unwrap().revision;
    first.child.kill().unwrap(); // SIGKILL: no graceful shutdown
    first.child.wait().unwrap();

    let mut second = serve(dir.path());
    let api = client(&second, dir.path());
    let after = api.list_writers(None).await.unwrap();
    assert_eq!(
        after.writers.len(),
        60,
        "the demo fleet is not seeded twice"
    );
    assert!(after.revision > revision);
    assert!(
        after.writers.iter().all(|w| !w.status.is_transitional()),
        "no writer is left starting or pausing"
    );
    let was_paused = api.writer(&running.id).await.unwrap();
    assert_eq!(was_paused.status, WriterStatus::Stopped);
    assert_eq!(
        was_paused.checkpoint, paused.checkpoint,
        "the checkpoint is kept"
    );
    assert_eq!(was_paused.version, paused.version + 1);
    let was_started = api.writer(&resumable.id).await.unwrap();
    assert_eq!(was_started.status, WriterStatus::Running);
    assert!(
        was_started.checkpoint.unwrap() >= from,
        "it runs from the replayed checkpoint"
    );
    for (id, action) in [(&running.id, "pause"), (&resumable.id, "start")] {
        let audit = api.audit(id, 10).await.unwrap();
        assert_eq!(audit.len(), 1, "{id}");
        assert_eq!(serde_json::to_value(audit[0].action).unwrap(), action);
        assert_eq!(audit[0].result, "ok");
    }
    assert_eq!(
        api.audit(&resumable.id, 1).await.unwrap()[0].replay_from,
        Some(from)
    );

    // A graceful stop on SIGTERM.
    let status = Command::new("kill")
        .args(["-TERM", &second.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = second.child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");

    for server in [&first, &second] {
        let log = server.stderr.lock().unwrap().clone();
        assert!(log.contains("/v1/writers"), "requests are logged: {log}");
        assert!(!log.contains(&token), "the token never appears in the log");
        assert!(log.contains(&dir.path().join(TOKEN_FILE_NAME).display().to_string()));
    }
    assert!(second.stderr.lock().unwrap().contains("shutting down"));
}

#[test]
fn serve_refuses_an_empty_token_file_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("empty-token");
    std::fs::write(&token_file, "\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_jwctl"))
        .args(["serve", "--listen", "127.0.0.1:0", "--token-file"])
        .arg(&token_file)
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("JWCTL_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is empty"), "{stderr}");
    assert!(!dir.path().join(DB_FILE_NAME).exists(), "nothing started");
}

/// A graceful shutdown saves the checkpoints of running writers, and a restart resumes them
/// from there (in-process, with a manual clock, so the values are exact).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_writers_resume_from_the_checkpoint_saved_at_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
    ));
    let config = ControllerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        access: Access::Token("t".into()),
        demo_fleet: Some(100),
        regions: 2,
        transition: Duration::ZERO,
        clock: clock.clone(),
        oms: None,
        tls: None,
        state: jwctl::controller::StateLocation::DataDir,
    };
    let first = start(config.clone()).await.unwrap();
    let api = Client::new(ClientOptions::new(first.url(), Some("t".into()))).unwrap();
    clock.advance(Span::minutes(30));
    let before = api.list_writers(None).await.unwrap();
    common::until_stored(dir.path(), 100).await;
    first.shutdown().await;

    clock.advance(Span::minutes(30)); // the controller is down: nothing advances
    let second = start(ControllerConfig {
        demo_fleet: Some(5),
        ..config
    })
    .await
    .unwrap();
    let api = Client::new(ClientOptions::new(second.url(), Some("t".into()))).unwrap();
    let after = api.list_writers(None).await.unwrap();
    assert!(
        after.revision > before.revision,
        "a restart starts the change feed above every revision served before"
    );
    assert_eq!(after.writers.len(), before.writers.len());
    for (b, a) in before.writers.iter().zip(&after.writers) {
        assert_eq!((&a.id, a.status, a.version), (&b.id, b.status, b.version));
        assert_eq!(a.checkpoint, b.checkpoint, "{}", a.name);
    }
    let running = before
        .writers
        .iter()
        .filter(|w| w.status == WriterStatus::Running);
    assert!(running.count() > 50);
    second.shutdown().await;
}

/// A data dir whose database is not SQLite is refused with a message saying what to do.
#[tokio::test]
async fn a_corrupt_database_is_reported_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = b"this is not a database, it is a shopping list\n".repeat(100);
    std::fs::write(dir.path().join(DB_FILE_NAME), &garbage).unwrap();
    let result = start(ControllerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        access: Access::Token("t".into()),
        demo_fleet: Some(10),
        regions: 1,
        transition: Duration::ZERO,
        clock: Arc::new(ManualClock::new(Utc::now())),
        oms: None,
        tls: None,
        state: jwctl::controller::StateLocation::DataDir,
    })
    .await;
    let error = result.err().unwrap();
    assert!(matches!(error, ControllerError::Database { .. }), "{error}");
    assert!(error.to_string().contains("move it away"), "{error}");
    assert_eq!(
        std::fs::read(dir.path().join(DB_FILE_NAME)).unwrap(),
        garbage
    );
}

/// A real SQLite failure (another process holds the write lock past the busy timeout) is a
/// generic 500 `internal`, and the refused change is not applied in memory either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_failure_is_a_500_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let handle = start(ControllerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        access: Access::Token("t".into()),
        demo_fleet: Some(20),
        regions: 1,
        transition: Duration::ZERO,
        clock: Arc::new(ManualClock::new(Utc::now())),
        oms: None,
        tls: None,
        state: jwctl::controller::StateLocation::DataDir,
    })
    .await
    .unwrap();
    let api = Client::new(ClientOptions::new(handle.url(), Some("t".into()))).unwrap();
    let writers = api.list_writers(None).await.unwrap().writers;
    let running = writers
        .iter()
        .find(|w| w.status == WriterStatus::Running)
        .unwrap();

    let blocker = rusqlite::Connection::open(dir.path().join(DB_FILE_NAME)).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let refused = api.pause(&running.id, None).await;
    let Err(jwctl::client::ClientError::Api {
        status,
        code,
        message,
        ..
    }) = refused
    else {
        panic!("expected an API error, got {refused:?}");
    };
    assert_eq!((status, code.as_str()), (500, "internal"));
    assert!(message.contains("internal error"), "{message}");
    assert!(
        !message.contains("locked"),
        "details stay in the log: {message}"
    );
    let unchanged = api.writer(&running.id).await.unwrap();
    assert_eq!(
        (unchanged.status, unchanged.version),
        (WriterStatus::Running, running.version)
    );

    blocker.execute_batch("ROLLBACK").unwrap();
    let paused = api.pause(&running.id, None).await.unwrap();
    assert_eq!(paused.status, WriterStatus::Stopped);
    handle.shutdown().await;
}

/// Waits until the server's stderr holds a line containing every one of `needles`.
fn wait_for_log(server: &Server, needles: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = server.stderr.lock().unwrap().clone();
        if log
            .lines()
            .any(|line| needles.iter().all(|needle| line.contains(needle)))
        {
            return log;
        }
        assert!(
            Instant::now() < deadline,
            "no log line with {needles:?}:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_logs_mutations_at_info_reads_at_debug_plain_and_in_whole_milliseconds() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve_logging(dir.path(), None);
    let api = client(&server, dir.path());
    let writers = api.list_writers(None).await.unwrap().writers;
    let running = writers
        .iter()
        .find(|w| w.status == WriterStatus::Running)
        .unwrap();
    api.pause(&running.id, Some(running.version)).await.unwrap();
    let log = wait_for_log(&server, &["POST", "/pause", "status=200"]);
    assert!(!log.contains("method=GET"), "reads are debug:\n{log}");
    assert!(
        !log.contains('\x1b'),
        "no colours when stderr is not a terminal:\n{log}"
    );
    let line = log.lines().find(|l| l.contains("/pause")).unwrap();
    let ms = line.split("ms=").nth(1).unwrap_or_default();
    let ms = ms.split_whitespace().next().unwrap_or_default();
    assert!(
        !ms.is_empty() && ms.bytes().all(|b| b.is_ascii_digit()),
        "durations are whole milliseconds: {line}"
    );
    let _ = server.child.kill();
    let _ = server.child.wait();

    let dir = tempfile::tempdir().unwrap();
    let mut server = serve_logging(dir.path(), Some("debug"));
    let api = client(&server, dir.path());
    api.deployment().await.unwrap();
    wait_for_log(&server, &["GET", "/v1/deployment", "status=200"]);
    let _ = server.child.kill();
    let _ = server.child.wait();
}
