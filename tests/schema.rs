//! The database's schema version: a database from before versions is used as it was, one a
//! newer jwctl wrote is refused by `jwctl serve` with what to do, and left unchanged.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Options, TOKEN};
use jwctl::controller::DB_FILE_NAME;
use jwctl::domain::WriterStatus;
use rusqlite::{Connection, OptionalExtension};

fn schema_version(dir: &std::path::Path) -> Option<i64> {
    let conn = Connection::open(dir.join(DB_FILE_NAME)).unwrap();
    conn.query_row(
        "SELECT value FROM meta WHERE key = 'schema_version'",
        [],
        |row| row.get(0),
    )
    .optional()
    .unwrap()
}

fn set_schema_version(dir: &std::path::Path, version: Option<i64>) {
    let conn = Connection::open(dir.join(DB_FILE_NAME)).unwrap();
    conn.execute("DELETE FROM meta WHERE key = 'schema_version'", [])
        .unwrap();
    if let Some(version) = version {
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
            [version],
        )
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_before_versions_is_used_as_it_was_and_stamped() {
    let options = || Options {
        demo_fleet: Some(20),
        regions: 1,
        transition: Duration::ZERO,
    };
    let controller = common::controller(options()).await;
    let running = controller
        .find("running writer", |w| w.status == WriterStatus::Running)
        .await;
    controller
        .client()
        .pause(&running.id, Some(running.version))
        .await
        .unwrap();
    let stopped = controller.stop().await;
    assert_eq!(schema_version(stopped.dir.path()), Some(1));
    set_schema_version(stopped.dir.path(), None);

    let controller = stopped.start(options()).await;
    let writers = controller.writers().await;
    assert_eq!(writers.len(), 20);
    let stopped_writer = writers.iter().find(|w| w.id == running.id).unwrap();
    assert_eq!(stopped_writer.status, WriterStatus::Stopped);
    assert_eq!(schema_version(controller.dir.path()), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_refuses_a_database_a_newer_jwctl_wrote_and_leaves_it_alone() {
    let controller = common::controller(Options {
        demo_fleet: Some(20),
        regions: 1,
        transition: Duration::ZERO,
    })
    .await;
    common::until_stored(controller.dir.path(), 20).await;
    let stopped = controller.stop().await;
    let dir = stopped.dir.path();
    set_schema_version(dir, Some(99));

    let mut child = Command::new(env!("CARGO_BIN_EXE_jwctl"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env("JWCTL_TOKEN", TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("jwctl serve did not refuse the database within 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(stderr.contains("schema is version 99"), "{stderr}");
    assert!(stderr.contains("knows versions up to 1"), "{stderr}");
    assert!(!stderr.contains("move it away"), "{stderr}");
    assert_eq!(schema_version(dir), Some(99));
    assert_eq!(common::writer_rows(dir), 20);
}
