//! An idle controller on an OMS (the stand-in of `support/oms_standin.rs`: OMS cannot run
//! here, and the stand-in follows OMS's public documentation) does not keep a core busy. A
//! test binary of its own, so that no other test's work counts in this process's CPU time.

mod common;
#[path = "support/oms_standin.rs"]
mod oms_standin;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TOKEN;
use jwctl::client::{Client, ClientOptions};
use jwctl::controller::{Access, ControllerConfig, StateLocation, start};
use jwctl::domain::ManualClock;
use oms_standin::OmsStandin;

/// The CPU time this process has used so far, in clock ticks (Linux: `/proc/self/stat`).
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // After the command's closing parenthesis: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // Ticks of 1/100 s (USER_HZ, 100 on Linux).
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// With a store of its own (SQLite) the OMS backend leads from its start and polls every poll
/// interval, waiting in between: the controller answers and polls go on, and an idle one does
/// not keep a core busy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poller_waits_between_polls() {
    let standin = OmsStandin::start(2, &["hz"]).await;
    let mut oms = standin.config(Duration::from_secs(5));
    oms.poll = Duration::from_millis(200);
    let dir = tempfile::tempdir().unwrap();
    let handle = start(ControllerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        access: Access::Token(TOKEN.into()),
        demo_fleet: None,
        regions: 1,
        transition: Duration::ZERO,
        clock: Arc::new(ManualClock::new(common::t0())),
        oms: Some(oms),
        tls: None,
        state: StateLocation::DataDir,
    })
    .await
    .unwrap();
    let client = Client::new(ClientOptions::new(handle.url(), Some(TOKEN.into()))).unwrap();
    let (ticks, wall) = (cpu_ticks(), Instant::now());
    let polls = standin.calls_to("ListProjects").len();
    while standin.calls_to("ListProjects").len() < polls + 5 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let used = Duration::from_millis((cpu_ticks() - ticks) * 10);
    assert_eq!(
        client.list_writers(None).await.expect("list").writers.len(),
        4
    );
    // Five polls of a 200 ms interval: a spinning task would use about all of that time.
    assert!(
        used < wall.elapsed() / 2,
        "{used:?} of CPU in {:?} of an idle controller",
        wall.elapsed()
    );
    handle.shutdown().await;
}
