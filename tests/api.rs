//! The v1 API against a real controller on 127.0.0.1:0 with a real SQLite file: every rule,
//! every error code, auth, audit, regions, the demo fleet, and the simulated dynamics driven
//! by a manual clock.

mod common;

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use chrono::Duration as Span;
use common::{Options, TOKEN, controller, is_stopped_and_resumable, t0, wait_for_status};
use jwctl::api::{ErrorBody, WriterList};
use jwctl::client::ClientError;
use jwctl::controller::{BODY_LIMIT, Endpoint};
use jwctl::domain::{Writer, WriterKind, WriterStatus};
use reqwest::StatusCode;

/// Sends a raw request and returns status and decoded error body (if it is one).
async fn raw(
    request: reqwest::RequestBuilder,
) -> (StatusCode, Option<ErrorBody>, serde_json::Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    (status, serde_json::from_slice(&bytes).ok(), value)
}

fn code_of(result: &Result<Writer, ClientError>) -> Option<&str> {
    result.as_ref().err().and_then(|e| e.code())
}

fn message_of(result: &Result<Writer, ClientError>) -> String {
    result
        .as_ref()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_open_and_every_other_route_needs_the_token() {
    let c = controller(Options::default()).await;
    let http = reqwest::Client::new();
    let (status, _, body) = raw(http.get(c.url("/v1/health"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");

    let some_id = "10.0.0.1-9000:connector_v2:x:0000000001";
    let protected = [
        http.get(c.url("/v1/deployment")),
        http.get(c.url("/v1/writers")),
        http.get(c.url(&format!("/v1/writers/{some_id}"))),
        http.get(c.url(&format!("/v1/writers/{some_id}/audit"))),
        http.post(c.url(&format!("/v1/writers/{some_id}/start"))),
        http.post(c.url(&format!("/v1/writers/{some_id}/pause"))),
    ];
    for request in protected {
        let (status, error, _) = raw(request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let error = error.unwrap().error;
        assert_eq!(error.code, "unauthorized");
        assert!(
            error.message.contains("bearer token is required"),
            "{}",
            error.message
        );
        assert!(error.message.contains("token file"), "{}", error.message);
    }
    let (status, error, _) = raw(http.get(c.url("/v1/writers")).bearer_auth("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(error.unwrap().error.message.contains("not accepted"));
    let prefix = &TOKEN[..TOKEN.len() - 1];
    let (status, _, _) = raw(http.get(c.url("/v1/writers")).bearer_auth(prefix)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a prefix of the token is not the token"
    );
    let (status, _, _) = raw(http.get(c.url("/v1/writers")).bearer_auth(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_wrong_methods_and_unknown_writers_get_json_errors() {
    let c = controller(Options::default()).await;
    let http = reqwest::Client::new();
    for path in ["/v1/nothing", "/", "/v2/writers"] {
        let (status, error, _) = raw(http.get(c.url(path)).bearer_auth(TOKEN)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(error.unwrap().error.code, "not_found");
    }
    let id = c.writers().await[0].id.clone();
    let wrong_methods = [
        http.post(c.url("/v1/health")),
        http.delete(c.url(&format!("/v1/writers/{id}"))),
        http.get(c.url(&format!("/v1/writers/{id}/start"))),
        http.put(c.url("/v1/writers")),
    ];
    for request in wrong_methods {
        let (status, error, _) = raw(request.bearer_auth(TOKEN)).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(error.unwrap().error.code, "method_not_allowed");
    }
    let client = c.client();
    let missing = client.writer("no-such-writer").await;
    assert_eq!(code_of(&missing), Some("writer_not_found"));
    assert!(message_of(&missing).contains("no-such-writer"));
    assert_eq!(
        code_of(&client.start("no-such-writer", None, None).await),
        Some("writer_not_found")
    );
    assert_eq!(
        code_of(&client.pause("no-such-writer", Some(1)).await),
        Some("writer_not_found")
    );
    let audit = client.audit("no-such-writer", 5).await;
    assert_eq!(
        audit
            .err()
            .and_then(|e| e.code().map(String::from))
            .as_deref(),
        Some("writer_not_found")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_then_start_pass_through_visible_transitional_states() {
    let c = controller(Options::default()).await;
    let client = c.client();
    let before = c
        .find("running incremental writer", |w| {
            w.status == WriterStatus::Running
        })
        .await;
    let revision = client.list_writers(None).await.unwrap().revision;

    let pausing = client.pause(&before.id, None).await.unwrap();
    assert_eq!(pausing.status, WriterStatus::Pausing);
    assert_eq!(pausing.version, before.version + 1);
    assert_eq!(pausing.updated_at, t0());
    let stopped = wait_for_status(&client, &before.id, WriterStatus::Stopped).await;
    assert_eq!(stopped.version, before.version + 2);
    assert_eq!(
        stopped.checkpoint, pausing.checkpoint,
        "pause keeps the checkpoint"
    );
    revision_after(&client, revision).await;

    c.clock.advance(Span::minutes(10));
    let frozen = client.writer(&before.id).await.unwrap();
    assert_eq!(
        frozen.checkpoint, pausing.checkpoint,
        "a stopped writer does not advance"
    );

    let starting = client.start(&before.id, None, None).await.unwrap();
    assert_eq!(starting.status, WriterStatus::Starting);
    assert_eq!(
        starting.checkpoint, pausing.checkpoint,
        "start resumes from the checkpoint"
    );
    let running = wait_for_status(&client, &before.id, WriterStatus::Running).await;
    assert_eq!(running.version, before.version + 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_during_starting_wins_over_the_pending_start() {
    let c = controller(Options::default()).await;
    let client = c.client();
    let writer = c.find("resumable writer", is_stopped_and_resumable).await;
    let before = client.list_writers(None).await.unwrap().revision;
    let starting = client.start(&writer.id, None, None).await.unwrap();
    assert_eq!(starting.status, WriterStatus::Starting);
    let pausing = client
        .pause(&writer.id, Some(starting.version))
        .await
        .unwrap();
    assert_eq!(pausing.status, WriterStatus::Pausing);
    // The start's transition ends first; it must not make the now-pausing writer run.
    let stopped = wait_for_status(&client, &writer.id, WriterStatus::Stopped).await;
    assert_eq!(stopped.version, writer.version + 3);
    assert_eq!(stopped.checkpoint, writer.checkpoint);
    revision_after(&client, before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_ops_and_invalid_states_follow_the_rules() {
    let c = controller(Options {
        transition: Duration::from_secs(30),
        ..Options::default()
    })
    .await;
    let client = c.client();
    let running = c
        .find("running incremental writer", |w| {
            w.status == WriterStatus::Running && w.kind == WriterKind::Incremental
        })
        .await;
    let again = client.start(&running.id, None, None).await.unwrap();
    assert_eq!(
        (again.status, again.version),
        (WriterStatus::Running, running.version),
        "no-op"
    );
    let replay = client
        .start(&running.id, Some(t0() - Span::minutes(5)), None)
        .await;
    assert_eq!(code_of(&replay), Some("invalid_state"));
    assert!(
        message_of(&replay).contains("pause it before replaying"),
        "{}",
        message_of(&replay)
    );

    let stopped = c
        .find("stopped writer", |w| w.status == WriterStatus::Stopped)
        .await;
    let noop = client.pause(&stopped.id, None).await.unwrap();
    assert_eq!(
        (noop.status, noop.version),
        (WriterStatus::Stopped, stopped.version)
    );
    let failed = c
        .find("failed writer", |w| w.status == WriterStatus::Failed)
        .await;
    assert!(failed.message.is_some(), "failed demo writers say why");
    let noop = client.pause(&failed.id, None).await.unwrap();
    assert_eq!(
        (noop.status, noop.version),
        (WriterStatus::Failed, failed.version)
    );

    // The transition lasts 30 s, so the writer stays pausing for the rest of the test.
    let pausing = client.pause(&running.id, None).await.unwrap();
    assert_eq!(pausing.status, WriterStatus::Pausing);
    let refused = client.start(&running.id, None, None).await;
    assert_eq!(code_of(&refused), Some("invalid_state"));
    assert!(
        message_of(&refused).contains("pausing"),
        "{}",
        message_of(&refused)
    );
    let noop = client.pause(&running.id, None).await.unwrap();
    assert_eq!(
        (noop.status, noop.version),
        (WriterStatus::Pausing, pausing.version)
    );

    // A failed writer starts, and its error message is cleared.
    let started = client.start(&failed.id, None, None).await.unwrap();
    assert_eq!(started.status, WriterStatus::Starting);
    assert_eq!(started.message, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_sets_the_checkpoint_then_runs_and_is_checked_against_the_store() {
    let c = controller(Options::default()).await;
    let client = c.client();
    let full = c
        .find("stopped full writer", |w| {
            w.kind == WriterKind::Full && w.status.can_start()
        })
        .await;
    let refused = client
        .start(&full.id, Some(t0() - Span::minutes(5)), None)
        .await;
    assert_eq!(code_of(&refused), Some("replay_not_supported"));
    assert!(message_of(&refused).contains("only to incremental data synchronization"));

    let writer = c
        .find("resumable incremental writer", |w| {
            w.kind == WriterKind::Incremental && is_stopped_and_resumable(w)
        })
        .await;
    let too_old = writer.store.earliest - Span::seconds(1);
    let refused = client.start(&writer.id, Some(too_old), None).await;
    assert_eq!(code_of(&refused), Some("replay_out_of_range"));
    let message = message_of(&refused);
    assert!(message.contains(writer.store.id.as_str()), "{message}");
    assert!(
        message.contains(&jwctl::domain::format_utc(too_old)),
        "{message}"
    );
    assert!(
        message.contains(&jwctl::domain::format_utc(writer.store.earliest)),
        "{message}"
    );
    let future = client
        .start(&writer.id, Some(t0() + Span::minutes(1)), None)
        .await;
    assert_eq!(code_of(&future), Some("replay_out_of_range"));

    let from = t0() - Span::hours(3).min(t0() - writer.store.earliest);
    let starting = client.start(&writer.id, Some(from), None).await.unwrap();
    assert_eq!(starting.status, WriterStatus::Starting);
    assert_eq!(
        starting.checkpoint,
        Some(from),
        "the checkpoint is set first"
    );
    let running = wait_for_status(&client, &writer.id, WriterStatus::Running).await;
    assert_eq!(running.checkpoint, Some(from), "then it runs from there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_checkpoint_needs_a_replay() {
    let c = controller(Options::default()).await;
    let client = c.client();
    let expired = c
        .find("writer with an expired checkpoint", |w| {
            w.status == WriterStatus::Stopped
                && w.kind == WriterKind::Incremental
                && w.checkpoint.is_some_and(|cp| cp < w.store.earliest)
        })
        .await;
    let refused = client.start(&expired.id, None, None).await;
    assert_eq!(code_of(&refused), Some("checkpoint_expired"));
    assert!(
        message_of(&refused).contains("start with replay"),
        "{}",
        message_of(&refused)
    );
    let unchanged = client.writer(&expired.id).await.unwrap();
    assert_eq!(
        unchanged.version, expired.version,
        "a refusal changes nothing"
    );

    let from = expired.store.earliest + Span::minutes(1);
    let started = client.start(&expired.id, Some(from), None).await.unwrap();
    assert_eq!(started.checkpoint, Some(from));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_migration_writer_starts_without_replay_whatever_its_checkpoint() {
    let c = controller(Options::default()).await;
    let client = c.client();
    // A month later every stopped writer's checkpoint is older than its store holds.
    c.clock.advance(Span::days(30));
    let full = c
        .find("stopped full writer with an old checkpoint", |w| {
            w.status.can_start()
                && w.kind == WriterKind::Full
                && w.checkpoint.is_some_and(|cp| cp < w.store.earliest)
        })
        .await;
    let started = client.start(&full.id, None, Some(full.version)).await;
    let started = started.unwrap_or_else(|e| panic!("a full writer is never refused: {e}"));
    assert!(started.version > full.version);
    assert!(matches!(
        started.status,
        WriterStatus::Starting | WriterStatus::Running
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_400_and_oversized_bodies_413() {
    let c = controller(Options::default()).await;
    let http = reqwest::Client::new();
    let writer = c.find("resumable writer", is_stopped_and_resumable).await;
    let start_url = c.url(&format!("/v1/writers/{}/start", writer.id));
    let pause_url = c.url(&format!("/v1/writers/{}/pause", writer.id));
    let bad_bodies = [
        ("nonsense", "not a valid start request"),
        ("{\"replay\":null}", "unknown field"),
        ("{\"replay_from\":5}", "not a valid start request"),
        (
            "{\"replay_from\":\"yesterday\"}",
            "'yesterday' is not an RFC 3339",
        ),
        (
            "{\"replay_from\":\"2026-11-24 10:00:00\"}",
            "2026-11-24T10:30:00Z",
        ),
    ];
    for (body, expected) in bad_bodies {
        let (status, error, _) = raw(http.post(&start_url).bearer_auth(TOKEN).body(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let error = error.unwrap().error;
        assert_eq!(error.code, "bad_request");
        assert!(
            error.message.contains(expected),
            "{body}: {}",
            error.message
        );
    }
    let (status, error, _) = raw(http
        .post(&pause_url)
        .bearer_auth(TOKEN)
        .body("{\"force\":true}"))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error.unwrap().error.message.contains("empty body or {}"));
    for value in ["abc", "W/\"1\"", "1, 2"] {
        let request = http
            .post(&pause_url)
            .bearer_auth(TOKEN)
            .header("if-match", value);
        let (status, error, _) = raw(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
        assert!(error.unwrap().error.message.contains("If-Match: 5"));
    }
    let audit_url = c.url(&format!("/v1/writers/{}/audit?limit=lots", writer.id));
    let (status, error, _) = raw(http.get(audit_url).bearer_auth(TOKEN)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error.unwrap().error.message.contains("limit"));

    let huge = format!("{{\"replay_from\":\"{}\"}}", "x".repeat(BODY_LIMIT));
    let (status, error, _) = raw(http.post(&start_url).bearer_auth(TOKEN).body(huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error.unwrap().error.code, "payload_too_large");

    let untouched = c.client().writer(&writer.id).await.unwrap();
    assert_eq!(
        untouched.version, writer.version,
        "bad requests change nothing"
    );
    assert!(c.client().audit(&writer.id, 10).await.unwrap().is_empty());

    // Empty bodies and `{}` are fine.
    let (status, _, body) = raw(http.post(&start_url).bearer_auth(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = raw(http.post(&pause_url).bearer_auth(TOKEN).body("{}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_if_match_gets_412() {
    let c = controller(Options::default()).await;
    let client = c.client();
    let writer = c
        .find("running writer", |w| w.status == WriterStatus::Running)
        .await;
    let stale = client.pause(&writer.id, Some(writer.version + 7)).await;
    assert_eq!(code_of(&stale), Some("version_mismatch"));
    assert!(
        message_of(&stale).contains("reload"),
        "{}",
        message_of(&stale)
    );
    assert_eq!(
        client.writer(&writer.id).await.unwrap().status,
        WriterStatus::Running
    );
    let http = reqwest::Client::new();
    let request = http
        .post(c.url(&format!("/v1/writers/{}/pause", writer.id)))
        .bearer_auth(TOKEN)
        .header("if-match", format!("\"{}\"", writer.version));
    let (status, _, body) = raw(request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "pausing");
    // 404 is checked before If-Match.
    assert_eq!(
        code_of(&client.pause("nope", Some(1)).await),
        Some("writer_not_found")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_operators_racing_on_one_writer() {
    let c = controller(Options {
        transition: Duration::from_secs(30),
        ..Options::default()
    })
    .await;
    let (alice, bob) = (c.client(), c.client());
    let writers = c.writers().await;
    let mut resumable = writers.iter().filter(|w| is_stopped_and_resumable(w));
    let (first, second) = (resumable.next().unwrap(), resumable.next().unwrap());

    // With If-Match: exactly one wins, the other is told the writer changed.
    let (a, b) = tokio::join!(
        alice.start(&first.id, None, Some(first.version)),
        bob.start(&first.id, None, Some(first.version)),
    );
    let outcomes = [code_of(&a), code_of(&b)];
    assert!(
        outcomes == [None, Some("version_mismatch")]
            || outcomes == [Some("version_mismatch"), None],
        "{a:?} / {b:?}"
    );
    let audit = alice.audit(&first.id, 10).await.unwrap();
    let results: BTreeSet<_> = audit.iter().map(|e| e.result.as_str()).collect();
    assert_eq!(results, BTreeSet::from(["ok", "version_mismatch"]));

    // Without If-Match: one starts it, the other's start finds it starting: a no-op.
    let (a, b) = tokio::join!(
        alice.start(&second.id, None, None),
        bob.start(&second.id, None, None)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        (a.status, b.status),
        (WriterStatus::Starting, WriterStatus::Starting)
    );
    assert_eq!(
        (a.version, b.version),
        (second.version + 1, second.version + 1)
    );
    let audit = alice.audit(&second.id, 10).await.unwrap();
    let mut results: Vec<_> = audit.iter().map(|e| e.result.as_str()).collect();
    results.sort_unstable();
    assert_eq!(results, ["noop", "ok"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_is_audited_newest_first() {
    let c = controller(Options {
        transition: Duration::ZERO,
        ..Options::default()
    })
    .await;
    let alice = c.client();
    let writer = c
        .find("running incremental writer", |w| {
            w.status == WriterStatus::Running && w.kind == WriterKind::Incremental
        })
        .await;
    alice.pause(&writer.id, None).await.unwrap();
    c.clock.advance(Span::minutes(1));
    alice.pause(&writer.id, None).await.unwrap();
    c.clock.advance(Span::minutes(1));
    let too_old = writer.store.earliest - Span::hours(1);
    assert!(alice.start(&writer.id, Some(too_old), None).await.is_err());
    c.clock.advance(Span::minutes(1));
    let from = t0() - Span::minutes(30);
    alice.start(&writer.id, Some(from), None).await.unwrap();

    let entries = alice.audit(&writer.id, 20).await.unwrap();
    let summary: Vec<_> = entries
        .iter()
        .map(|e| (e.action, e.result.as_str(), e.replay_from))
        .collect();
    use jwctl::api::AuditAction::{Pause, Start};
    assert_eq!(
        summary,
        [
            (Start, "ok", Some(from)),
            (Start, "replay_out_of_range", Some(too_old)),
            (Pause, "noop", None),
            (Pause, "ok", None),
        ]
    );
    assert!(
        entries
            .iter()
            .all(|e| e.actor == "default" && e.writer_id == writer.id)
    );
    assert_eq!(entries[3].at, t0());
    assert_eq!(entries[0].at, t0() + Span::minutes(3));
    assert!(
        entries[1]
            .message
            .as_deref()
            .unwrap_or("")
            .contains("is outside the change data")
    );
    assert_eq!(alice.audit(&writer.id, 1).await.unwrap().len(), 1);
    // The actor is the identity the token authenticates, whatever label a client sends.
    let http = reqwest::Client::new();
    let url = c.url(&format!("/v1/writers/{}/pause", writer.id));
    let forged = http
        .post(url)
        .bearer_auth(TOKEN)
        .header("x-jwctl-actor", "someone-else@elsewhere");
    let (status, _, _) = raw(forged).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        alice.audit(&writer.id, 1).await.unwrap()[0].actor,
        "default"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regions_filter_the_list_and_shape_the_deployment() {
    let multi = controller(Options::default()).await;
    let client = multi.client();
    let deployment = client.deployment().await.unwrap();
    assert!(deployment.multi_region);
    assert_eq!(
        deployment.regions,
        ["cn-beijing", "cn-hangzhou", "cn-shanghai"]
    );
    let all = client.list_writers(None).await.unwrap();
    assert_eq!(all.writers.len(), 300);
    let names: Vec<_> = all.writers.iter().map(|w| w.name.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "writers come sorted by name");
    let mut total = 0;
    for region in &deployment.regions {
        let list = client.list_writers(Some(region)).await.unwrap();
        assert!(!list.writers.is_empty());
        assert!(list.writers.iter().all(|w| &w.region == region));
        assert_eq!(list.revision, all.revision);
        total += list.writers.len();
    }
    assert_eq!(total, 300);
    let none = client.list_writers(Some("mars-1")).await.unwrap();
    assert!(none.writers.is_empty());

    let single = controller(Options {
        regions: 1,
        ..Options::default()
    })
    .await;
    let deployment = single.client().deployment().await.unwrap();
    assert!(!deployment.multi_region);
    assert_eq!(deployment.regions, ["cn-hangzhou"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_fleet_is_deterministic_and_realistic() {
    let (a, b) = tokio::join!(
        controller(Options::default()),
        controller(Options::default())
    );
    let (ca, cb) = (a.client(), b.client());
    let (la, lb) = tokio::join!(ca.list_writers(None), cb.list_writers(None));
    let (la, lb): (WriterList, WriterList) = (la.unwrap(), lb.unwrap());
    assert_eq!(la, lb);
    let writers = la.writers;
    let projects: HashSet<_> = writers.iter().map(|w| &w.project.id).collect();
    let per_project = writers.len() as f64 / projects.len() as f64;
    assert!(
        (4.0..=6.0).contains(&per_project),
        "{per_project} writers per project"
    );
    let count = |s: WriterStatus| writers.iter().filter(|w| w.status == s).count();
    assert!(count(WriterStatus::Running) > 200);
    assert!(count(WriterStatus::Failed) >= 5);
    assert!(count(WriterStatus::Stopped) >= 10);
    for w in &writers {
        assert!(
            w.id.contains(&w.name) && w.id.starts_with(&w.server_ip),
            "{}",
            w.id
        );
        assert!(w.name.starts_with(w.project.id.as_str()));
        assert!(w.store.earliest < w.store.latest && w.store.latest <= t0());
        assert_eq!(w.version, 1);
    }

    let empty = controller(Options {
        demo_fleet: None,
        ..Options::default()
    })
    .await;
    assert!(empty.writers().await.is_empty());
    let deployment = empty.client().deployment().await.unwrap();
    assert!(deployment.regions.is_empty() && !deployment.multi_region);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_and_latencies_follow_the_clock() {
    let c = controller(Options {
        transition: Duration::ZERO,
        ..Options::default()
    })
    .await;
    let client = c.client();
    let before = c.writers().await;
    c.clock.advance(Span::hours(1));
    let after = c.writers().await;
    let hour_ms = 3_600_000;
    let mut slow = 0;
    let mut caught_up = 0;
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a.id, b.id);
        let (lb, la) = (b.latency_ms.unwrap(), a.latency_ms.unwrap());
        match a.status {
            WriterStatus::Running if la == 0 => caught_up += 1,
            WriterStatus::Running => {
                assert!(
                    la > lb + hour_ms / 20,
                    "{}: a slow writer falls behind",
                    a.name
                );
                slow += 1;
            }
            _ => {
                assert_eq!(
                    la,
                    lb + hour_ms,
                    "{}: a stopped writer's latency grows",
                    a.name
                );
                assert_eq!(a.checkpoint, b.checkpoint);
            }
        }
        assert_eq!(a.store.latest - b.store.latest, Span::hours(1));
        assert_eq!(a.store.earliest - b.store.earliest, Span::hours(1));
    }
    assert!(slow >= 5, "{slow} slow writers");
    assert!(caught_up > 150, "{caught_up} writers keep up");

    // A fast writer replayed from 2 h ago catches up faster than real time.
    let fast = after
        .iter()
        .find(|w| {
            w.status == WriterStatus::Running
                && w.kind == WriterKind::Incremental
                && w.latency_ms == Some(0)
        })
        .unwrap();
    client.pause(&fast.id, None).await.unwrap();
    let now = t0() + Span::hours(1);
    let from = now - Span::hours(2);
    let replayed = client.start(&fast.id, Some(from), None).await.unwrap();
    assert_eq!(replayed.status, WriterStatus::Running);
    assert_eq!(replayed.checkpoint, Some(from));
    c.clock.advance(Span::minutes(1));
    let moving = client.writer(&fast.id).await.unwrap();
    let progress = moving.checkpoint.unwrap() - from;
    assert!(progress >= Span::minutes(5), "{progress} in one minute");
    c.clock.advance(Span::hours(1));
    assert_eq!(
        client.writer(&fast.id).await.unwrap().latency_ms,
        Some(0),
        "caught up"
    );
}

/// Waits (10 s at most) for the fleet revision to move past `revision`: the change feed
/// publishes a change moments after it is made.
async fn revision_after(client: &jwctl::client::Client, revision: u64) -> u64 {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = client.list_writers(None).await.unwrap().revision;
        if now > revision {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the revision never moved past {revision}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `assets/openapi.yaml` describes exactly the routes the router serves.
#[test]
fn the_openapi_description_matches_the_routes() {
    let yaml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/openapi.yaml"))
        .unwrap();
    let mut described = BTreeSet::new();
    let mut in_paths = false;
    let mut path = None;
    for line in yaml.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_paths = line.trim_end() == "paths:";
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(p) = line.strip_prefix("  /") {
            path = Some(format!("/{}", p.trim_end().trim_end_matches(':')));
        } else if let Some(method) = line.strip_prefix("    ").and_then(|m| m.strip_suffix(':'))
            && ["get", "post", "put", "patch", "delete"].contains(&method)
        {
            described.insert((method.to_uppercase(), path.clone().unwrap()));
        }
    }
    let served: BTreeSet<_> = Endpoint::ALL
        .iter()
        .map(|e| (e.method().to_string(), e.path().to_string()))
        .collect();
    assert_eq!(described, served);
}
