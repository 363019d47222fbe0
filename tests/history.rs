//! Latency and status history: `GET /v1/writers/{id}/history` and `GET /v1/history`, built
//! from what the controller's scans saw, against a real controller with a manual clock.

mod common;

use std::time::{Duration, Instant};

use chrono::Duration as Span;
use jwctl::api::{DEFAULT_IDENTITY, HistoryEventKind, WriterHistory};
use jwctl::client::Client;
use jwctl::domain::{HistoryWindow, WriterStatus};
use reqwest::StatusCode;

use common::{Options, TOKEN, TestController, controller, t0, wait_for_status};

fn options() -> Options {
    Options {
        demo_fleet: Some(40),
        ..Options::default()
    }
}

/// Polls writer `id`'s history until `done` holds, for at most 10 s (the scans run every
/// second).
async fn history_until(
    client: &Client,
    id: &str,
    window: HistoryWindow,
    what: &str,
    done: impl Fn(&WriterHistory) -> bool,
) -> WriterHistory {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let history = client.writer_history(id, window).await.unwrap();
        if done(&history) {
            return history;
        }
        assert!(Instant::now() < deadline, "never {what}: {history:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn get(c: &TestController, path: &str) -> (StatusCode, String) {
    let response = reqwest::Client::new()
        .get(c.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn points_follow_the_steps_with_nulls_where_nothing_was_seen_and_survive_a_restart() {
    let c = controller(options()).await;
    let client = c.client();
    let running = c
        .find("running writer", |w| w.status == WriterStatus::Running)
        .await;
    let latency = running.latency_ms.unwrap();

    let first = client
        .writer_history(&running.id, HistoryWindow::Minutes15)
        .await
        .unwrap();
    assert_eq!((first.window, first.step_s), (HistoryWindow::Minutes15, 10));
    assert_eq!(first.points.len(), 90);
    let last = first.points[89];
    assert_eq!(last.t, t0(), "the last point is the step now filling");
    assert_eq!(last.status, Some(WriterStatus::Running));
    let seen = last.latency_ms.unwrap();
    assert!(
        seen.abs_diff(latency) * 200 <= latency,
        "{seen} vs {latency}"
    );
    assert_eq!(first.points[0].t, t0() - Span::seconds(890));
    assert!(
        first.points[..89]
            .iter()
            .all(|p| p.status.is_none() && p.latency_ms.is_none()),
        "nothing before the controller saw it"
    );

    // The next step fills as the scans see it.
    c.clock.advance(Span::seconds(10));
    let next = history_until(
        &client,
        &running.id,
        HistoryWindow::Minutes15,
        "the next step",
        |h| h.points[89].status.is_some(),
    )
    .await;
    assert_eq!(next.points[89].t, t0() + Span::seconds(10));
    assert_eq!(next.points[88].t, t0());
    assert_eq!(next.points[88].status, Some(WriterStatus::Running));

    // Down for 30 s: those steps were not seen and stay null after the restart; what was
    // seen before is still there.
    let c = c.restart(options()).await;
    c.clock.advance(Span::seconds(30));
    let client = c.client();
    let after = history_until(
        &client,
        &running.id,
        HistoryWindow::Minutes15,
        "seen after the restart",
        |h| h.points[89].status.is_some(),
    )
    .await;
    assert_eq!(after.points[89].t, t0() + Span::seconds(40));
    let statuses: Vec<Option<WriterStatus>> = after.points[85..].iter().map(|p| p.status).collect();
    let running_now = Some(WriterStatus::Running);
    assert_eq!(
        statuses,
        [running_now, running_now, None, None, running_now],
        "10:00 and 10:00:10 seen, 10:00:20 and :30 not, 10:00:40 seen"
    );

    let hours = client
        .writer_history(&running.id, HistoryWindow::Hours6)
        .await
        .unwrap();
    assert_eq!((hours.step_s, hours.points.len()), (60, 360));
    assert_eq!(hours.points[359].t, t0());
    assert_eq!(hours.points[359].status, running_now);
    assert!(hours.points[..359].iter().all(|p| p.status.is_none()));
    c.handle.shutdown().await;
}

#[tokio::test]
async fn a_pause_shows_as_an_event_with_its_actor_and_the_status_change() {
    let c = controller(options()).await;
    let client = c.client();
    let running = c
        .find("running writer", |w| w.status == WriterStatus::Running)
        .await;
    c.clock.advance(Span::seconds(10));
    client.pause(&running.id, None).await.unwrap();
    wait_for_status(&client, &running.id, WriterStatus::Stopped).await;
    // A refused start (a replay from the future) changed nothing: no event.
    let future = t0() + Span::hours(1);
    assert!(client.start(&running.id, Some(future), None).await.is_err());

    let history = history_until(
        &client,
        &running.id,
        HistoryWindow::Minutes15,
        "the status change",
        |h| h.points[89].status == Some(WriterStatus::Stopped),
    )
    .await;
    let last = history.points[89];
    assert_eq!(
        last.latency_ms, None,
        "a stopped writer has no latency point"
    );
    let kinds: Vec<(HistoryEventKind, Option<&str>)> = history
        .events
        .iter()
        .map(|e| (e.kind, e.actor.as_deref()))
        .collect();
    assert_eq!(
        kinds,
        [
            (HistoryEventKind::Pause, Some(DEFAULT_IDENTITY)),
            (HistoryEventKind::Status, None)
        ],
        "{:#?}",
        history.events
    );
    assert_eq!(history.events[0].t, t0() + Span::seconds(10));
    assert_eq!(history.events[1].t, t0() + Span::seconds(10));
    assert!(
        history.events[1].detail.ends_with("→ stopped"),
        "{:?}",
        history.events[1]
    );

    // Started again, replaying: a replay event with where it replays from.
    let from = t0() - Span::minutes(5);
    client.start(&running.id, Some(from), None).await.unwrap();
    let history = history_until(
        &client,
        &running.id,
        HistoryWindow::Minutes15,
        "the replay",
        |h| h.events.iter().any(|e| e.kind == HistoryEventKind::Replay),
    )
    .await;
    let replay = history
        .events
        .iter()
        .find(|e| e.kind == HistoryEventKind::Replay)
        .unwrap();
    assert_eq!(replay.replay_from, Some(from));
    c.handle.shutdown().await;
}

#[tokio::test]
async fn the_routes_refuse_unknown_writers_windows_and_too_many_ids() {
    let c = controller(options()).await;
    let writers = c.writers().await;
    let id = &writers[0].id;

    let (status, body) = get(&c, "/v1/writers/nope/history").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("writer_not_found"), "{body}");
    let (status, body) = get(&c, &format!("/v1/writers/{id}/history?window=1h")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("use 15m or 6h"), "{body}");
    let (status, _) = get(&c, &format!("/v1/writers/{id}/history?windw=6h")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let unauthorised = reqwest::get(c.url(&format!("/v1/writers/{id}/history")))
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), StatusCode::UNAUTHORIZED);

    // Several writers at once, for sparklines; unknown ids named.
    let client = c.client();
    let asked = [writers[0].id.as_str(), writers[1].id.as_str(), "nope"];
    let series = client
        .history(&asked, HistoryWindow::Minutes15)
        .await
        .unwrap();
    assert_eq!(series.step_s, 10);
    assert_eq!(series.unknown, ["nope"]);
    assert_eq!(series.series.len(), 2);
    for (id, points) in &series.series {
        assert_eq!(points.len(), 90, "{id}");
        let writer = writers.iter().find(|w| &w.id == id).unwrap();
        let running = writer.status == WriterStatus::Running;
        assert_eq!(points[89].is_some(), running && writer.latency_ms.is_some());
    }
    let six = client
        .history(&asked[..1], HistoryWindow::Hours6)
        .await
        .unwrap();
    assert_eq!((six.step_s, six.series[asked[0]].len()), (60, 360));

    let ids = |n: usize| {
        (0..n)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let (status, body) = get(&c, &format!("/v1/history?ids={}", ids(200))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = get(&c, &format!("/v1/history?ids={}", ids(201))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("at most 200"), "{body}");
    let (status, body) = get(&c, "/v1/history").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("ids is missing"), "{body}");
    let (status, _) = get(&c, "/v1/history?ids=a&window=2d").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    c.handle.shutdown().await;
}
