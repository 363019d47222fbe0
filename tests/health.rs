//! `GET /v1/fleet/health` and `jwctl health`: counted here again from the writer list.

#[path = "support/cli_fixture.rs"]
mod cli_fixture;
mod common;

use std::collections::BTreeMap;

use jwctl::api::{LatencyBands, RegionHealth};
use jwctl::domain::WriterStatus;

use common::{Options, controller};

#[tokio::test]
async fn the_health_counts_every_writer_by_region_status_and_latency() {
    let c = controller(Options::default()).await;
    let client = c.client();
    // A pause, so that more than the demo's own statuses show.
    let running = c
        .find("running writer", |w| w.status == WriterStatus::Running)
        .await;
    client.pause(&running.id, None).await.unwrap();
    let health = client.fleet_health().await.unwrap();
    let writers = c.writers().await;

    let mut expected: BTreeMap<String, RegionHealth> = BTreeMap::new();
    for writer in &writers {
        let region = expected
            .entry(writer.region.to_string())
            .or_insert_with(|| RegionHealth {
                region: writer.region.to_string(),
                statuses: [
                    "running", "starting", "pausing", "stopped", "failed", "unknown",
                ]
                .into_iter()
                .map(|s| (s.to_string(), 0))
                .collect(),
                latency_bands: LatencyBands::default(),
            });
        *region.statuses.get_mut(writer.status.as_str()).unwrap() += 1;
        if writer.status == WriterStatus::Running {
            let bands = &mut region.latency_bands;
            match writer.latency_ms {
                Some(ms) if ms < 1_000 => bands.lt_1s += 1,
                Some(ms) if ms < 10_000 => bands.from_1s_to_10s += 1,
                Some(ms) if ms < 60_000 => bands.from_10s_to_60s += 1,
                Some(_) => bands.ge_60s += 1,
                None => {}
            }
        }
    }
    let expected: Vec<RegionHealth> = expected.into_values().collect();
    assert_eq!(health.regions, expected);
    assert_eq!(health.regions.len(), 3);
    assert_eq!(
        health
            .regions
            .iter()
            .map(|r| r.statuses["pausing"])
            .sum::<u64>(),
        1
    );
    let bands: u64 = health
        .regions
        .iter()
        .map(|r| {
            let b = r.latency_bands;
            b.lt_1s + b.from_1s_to_10s + b.from_10s_to_60s + b.ge_60s
        })
        .sum();
    assert!(
        bands >= 100,
        "the demo fleet has banded running writers: {bands}"
    );
}

#[test]
fn jwctl_health_prints_a_line_per_region_or_the_document() {
    let fixture = cli_fixture::Fixture::new();
    let table = fixture.jwctl(&["health"]);
    assert_eq!(table.status.code(), Some(0));
    let text = String::from_utf8_lossy(&table.stdout).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("REGION") && lines[0].ends_with(">=60s"),
        "{text}"
    );
    assert_eq!(lines.len(), 4, "a header and three regions: {text}");
    let json = fixture.jwctl(&["health", "--output", "json"]);
    assert_eq!(json.status.code(), Some(0));
    let document: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let regions = document["regions"].as_array().cloned().unwrap_or_default();
    assert_eq!(regions.len(), 3);
    let total: u64 = regions
        .iter()
        .flat_map(|r| r["statuses"].as_object().cloned().unwrap_or_default())
        .map(|(_, count)| count.as_u64().unwrap_or(0))
        .sum();
    assert_eq!(total, cli_fixture::FLEET as u64);
    assert!(regions[0]["latency_bands"]["1s_to_10s"].is_u64());
}
