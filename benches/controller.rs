//! Controller throughput over loopback: `GET /v1/writers` with 100k writers, and start/pause
//! round trips (transition 0, every change committed to SQLite with `synchronous=FULL`); and
//! encoding a change-feed delta, which the controller does once per published scan.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jwctl::api::{Progress, WriterDelta};
use jwctl::client::{Client, ClientOptions};
use jwctl::controller::{Access, ControllerConfig, demo_writers, start};
use jwctl::domain::{SystemClock, WriterStatus};

const TOKEN: &str = "bench-token";
const FLEET: usize = 100_000;

fn controller_benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let seeding = Instant::now();
    let handle = runtime
        .block_on(start(ControllerConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            data_dir: dir.path().to_path_buf(),
            access: Access::Token(TOKEN.into()),
            demo_fleet: Some(FLEET),
            regions: 3,
            transition: Duration::ZERO,
            clock: Arc::new(SystemClock),
            oms: None,
            tls: None,
            state: jwctl::controller::StateLocation::DataDir,
        }))
        .expect("controller starts");
    eprintln!(
        "seeded and loaded {FLEET} demo writers in {:.2?}",
        seeding.elapsed()
    );
    let url = format!("{}/v1/writers", handle.url());
    let http = reqwest::Client::new();
    let client = Client::new(ClientOptions::new(handle.url(), Some(TOKEN.into()))).expect("client");

    let mut group = c.benchmark_group("controller");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    group.bench_function("get_writers_100k_bytes", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let response = http
                    .get(&url)
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .expect("send");
                let body = response.bytes().await.expect("body");
                assert!(body.len() > FLEET * 100);
            })
        })
    });
    group.bench_function("client_list_writers_100k_decoded", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let list = client.list_writers(None).await.expect("list");
                assert_eq!(list.writers.len(), FLEET);
            })
        })
    });

    let writer = runtime
        .block_on(client.list_writers(Some("cn-hangzhou")))
        .expect("list")
        .writers
        .into_iter()
        .find(|w| w.status == WriterStatus::Running)
        .expect("a running writer");
    group.throughput(Throughput::Elements(2));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("pause_then_start_round_trips", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let paused = client.pause(&writer.id, None).await.expect("pause");
                assert_eq!(paused.status, WriterStatus::Stopped);
                let started = client.start(&writer.id, None, None).await.expect("start");
                assert_eq!(started.status, WriterStatus::Running);
            })
        })
    });
    group.finish();
    runtime.block_on(handle.shutdown());
}

/// A delta of 1,000 demo writers: 200 whole (changed), 800 progress only — the mix of a busy
/// second (non-progress changes are rare, progress is most of every delta).
fn delta_benches(c: &mut Criterion) {
    let now = chrono::Utc::now();
    let writers = demo_writers(1_000, 3, now);
    let (whole, rest) = writers.split_at(200);
    let delta = WriterDelta {
        revision: 123_456,
        writers: whole.to_vec(),
        progress: rest
            .iter()
            .map(|w| Progress {
                id: w.id.clone(),
                checkpoint: w.checkpoint,
                latency_ms: w.latency_ms,
            })
            .collect(),
        removed: Vec::new(),
    };
    let bytes = serde_json::to_vec(&delta).expect("encode").len();
    let progress_only = WriterDelta {
        writers: Vec::new(),
        ..delta.clone()
    };
    let progress_bytes = serde_json::to_vec(&progress_only).expect("encode").len();
    eprintln!(
        "a 1k-writer delta (200 whole, 800 progress) is {bytes} bytes; its 800 progress \
         entries alone {progress_bytes} bytes"
    );
    let mut group = c.benchmark_group("feed");
    group.throughput(Throughput::Elements(1_000));
    group.bench_function("encode_delta_1k_writers", |b| {
        b.iter(|| serde_json::to_vec(std::hint::black_box(&delta)).expect("encode"))
    });
    group.finish();
}

criterion_group!(benches, controller_benches, delta_benches);
criterion_main!(benches);
