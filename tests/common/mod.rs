//! Shared helpers: a real controller on 127.0.0.1:0 with a SQLite file in a temp dir.

#![allow(dead_code)] // each test binary uses its own subset

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use jwctl::client::{Client, ClientOptions};
use jwctl::controller::{Access, ControllerConfig, ControllerHandle, start};
use jwctl::domain::{ManualClock, Writer, WriterStatus};

pub const TOKEN: &str = "test-token-0123456789abcdef";

/// A stopped writer whose checkpoint its store still holds: it can start without a replay.
pub fn is_stopped_and_resumable(w: &Writer) -> bool {
    w.status == WriterStatus::Stopped && w.checkpoint.is_some_and(|c| c >= w.store.earliest)
}

/// The instant the manual clock starts at.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()
}

pub struct TestController {
    pub handle: ControllerHandle,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
}

pub struct Options {
    pub demo_fleet: Option<usize>,
    pub regions: u8,
    pub transition: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            demo_fleet: Some(300),
            regions: 3,
            transition: Duration::from_millis(200),
        }
    }
}

pub async fn controller(options: Options) -> TestController {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let handle = start_in(&dir, &clock, &options).await;
    TestController { handle, clock, dir }
}

async fn start_in(
    dir: &tempfile::TempDir,
    clock: &Arc<ManualClock>,
    options: &Options,
) -> ControllerHandle {
    start(ControllerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        access: Access::Token(TOKEN.into()),
        demo_fleet: options.demo_fleet,
        regions: options.regions,
        transition: options.transition,
        clock: clock.clone(),
        oms: None,
        tls: None,
        state: jwctl::controller::StateLocation::DataDir,
    })
    .await
    .unwrap()
}

/// A controller shut down: its data dir and clock, to start it again.
pub struct Stopped {
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
}

impl Stopped {
    /// Starts a controller on the same database and clock (on another port).
    pub async fn start(self, options: Options) -> TestController {
        let Stopped { clock, dir } = self;
        let handle = start_in(&dir, &clock, &options).await;
        TestController { handle, clock, dir }
    }
}

impl TestController {
    /// Shuts the controller down gracefully and starts it again on the same database and
    /// clock (on another port).
    pub async fn restart(self, options: Options) -> TestController {
        self.stop().await.start(options).await
    }

    /// Shuts the controller down gracefully, keeping its data dir.
    pub async fn stop(self) -> Stopped {
        let TestController { handle, clock, dir } = self;
        handle.shutdown().await;
        Stopped { clock, dir }
    }

    pub fn client(&self) -> Client {
        Client::new(ClientOptions::new(self.handle.url(), Some(TOKEN.into()))).unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.url())
    }

    pub async fn writers(&self) -> Vec<Writer> {
        self.client().list_writers(None).await.unwrap().writers
    }

    /// The first writer (by name) matching `pick`.
    pub async fn find(&self, what: &str, pick: impl Fn(&Writer) -> bool) -> Writer {
        let writers = self.writers().await;
        writers
            .into_iter()
            .find(|w| pick(w))
            .unwrap_or_else(|| panic!("the demo fleet has no {what}"))
    }
}

/// How many writers the SQLite file in `dir` holds.
pub fn writer_rows(dir: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(dir.join(jwctl::controller::DB_FILE_NAME)).unwrap();
    conn.query_row("SELECT COUNT(*) FROM writers", [], |row| row.get(0))
        .unwrap()
}

/// Waits until the SQLite file in `dir` holds `writers` writers. A demo fleet is served at once
/// and written behind; a controller shut down before it is written gives it up, and the next
/// start seeds again.
pub async fn until_stored(dir: &std::path::Path, writers: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while writer_rows(dir) != writers {
        assert!(
            Instant::now() < deadline,
            "the demo fleet was not written within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Polls until writer `id` has `status`, for at most 10 s.
pub async fn wait_for_status(client: &Client, id: &str, status: WriterStatus) -> Writer {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let writer = client.writer(id).await.unwrap();
        if writer.status == status {
            return writer;
        }
        assert!(
            Instant::now() < deadline,
            "writer {id} never became {status}; it is {}",
            writer.status
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Writer `id` as `handle` serves it, once `done` holds (within `within`): how long that took.
pub async fn writer_when(
    handle: &ControllerHandle,
    id: &str,
    within: Duration,
    done: impl Fn(&Writer) -> bool,
) -> (Writer, Duration) {
    let started = Instant::now();
    let client = Client::new(ClientOptions::new(handle.url(), Some(TOKEN.into()))).unwrap();
    loop {
        let writer = client.writer(id).await.unwrap();
        if done(&writer) {
            return (writer, started.elapsed());
        }
        assert!(
            started.elapsed() < within,
            "not there within {within:?}: {writer:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
