//! The controller with its OMS backend, driven through jwctl's own API, against the stand-in
//! OMS of `support/oms_standin.rs` (OMS cannot run here; the stand-in follows OMS's public
//! documentation): the fleet as OMS describes it, pause / start / replay as the exact OMS
//! calls they make, OMS's refusals, statuses jwctl does not know, a project that cannot be
//! described, and wrong credentials.

#[path = "support/oms_standin.rs"]
mod oms_standin;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::DateTime;
use jwctl::api::{BackendKind, HistoryEventKind};
use jwctl::client::{Client, ClientError, ClientOptions};
use jwctl::controller::{Access, ControllerConfig, ControllerError, ControllerHandle, start};
use jwctl::domain::{HistoryWindow, ManualClock, Writer, WriterStatus};
use jwctl::oms::{OmsConfig, Secret};
use oms_standin::{NOW, OmsStandin};

const TOKEN: &str = "oms-backend-test-token";

async fn controller(oms: OmsConfig) -> (ControllerHandle, Client, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("data dir");
    let (handle, client) = controller_in(oms, &dir).await;
    (handle, client, dir)
}

/// A controller on `oms` keeping its audit log in `dir`.
async fn controller_in(oms: OmsConfig, dir: &tempfile::TempDir) -> (ControllerHandle, Client) {
    let now = DateTime::from_timestamp(NOW, 0).expect("the stand-in's now");
    let handle = start(ControllerConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        data_dir: dir.path().to_path_buf(),
        access: Access::Token(TOKEN.into()),
        demo_fleet: None,
        regions: 1,
        transition: Duration::ZERO,
        clock: Arc::new(ManualClock::new(now)),
        oms: Some(oms),
        tls: None,
        state: jwctl::controller::StateLocation::DataDir,
    })
    .await
    .expect("the controller starts on the stand-in");
    let options = ClientOptions::new(handle.url(), Some(TOKEN.into()));
    let client = Client::new(options).expect("client");
    (handle, client)
}

fn config(standin: &OmsStandin) -> OmsConfig {
    let mut config = standin.config(Duration::from_secs(5));
    config.poll = Duration::from_millis(200);
    config
}

fn api_code(result: &Result<Writer, ClientError>) -> Option<(u16, String, String)> {
    match result {
        Err(ClientError::Api {
            status,
            code,
            message,
            ..
        }) => Some((*status, code.clone(), message.clone())),
        _ => None,
    }
}

/// Polls the controller until `done` holds for writer `id`, for at most 10 s.
async fn wait_for(client: &Client, id: &str, done: impl Fn(&Writer) -> bool) -> Writer {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let writer = client.writer(id).await.expect("writer");
        if done(&writer) {
            return writer;
        }
        assert!(Instant::now() < deadline, "never got there: {writer:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_is_what_oms_describes_and_the_deployment_says_so() {
    let standin = OmsStandin::start(12, &["hz", "sh"]).await;
    let (handle, client, _dir) = controller(config(&standin)).await;
    let list = client.list_writers(None).await.expect("list");
    assert_eq!(
        list.writers.len(),
        24,
        "an Incr-Sync and a Full-Import per project"
    );
    let deployment = client.deployment().await.expect("deployment");
    assert_eq!(deployment.regions, ["hz", "sh"]);
    assert!(deployment.multi_region);
    assert_eq!(deployment.backend.kind, BackendKind::Oms);
    assert_eq!(
        deployment.backend.url.as_deref(),
        Some(standin.url.as_str())
    );
    assert!(deployment.backend.last_poll.is_some());
    let hz = client.list_writers(Some("hz")).await.expect("list");
    assert!(hz.writers.iter().all(|w| w.region == "hz") && !hz.writers.is_empty());
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_start_and_replay_make_the_documented_calls_and_are_audited() {
    let standin = OmsStandin::start(6, &["hz", "sh"]).await;
    let (handle, client, _dir) = controller(config(&standin)).await;
    let project = standin.projects()[1].clone();
    let incr = project.incr[0].clone();
    let writer = client
        .writer(&incr.name)
        .await
        .expect("the Incr-Sync writer");
    assert_eq!(writer.status, WriterStatus::Running);

    // Pause: the CM of the writer's region stops it.
    let paused = client
        .pause(&writer.id, Some(writer.version))
        .await
        .expect("paused");
    assert_eq!(
        paused.status,
        WriterStatus::Stopped,
        "OMS's view after the call"
    );
    let stops = standin.calls_to("stop");
    assert_eq!(stops.len(), 1);
    assert_eq!(stops[0].region.as_deref(), Some(project.region.as_str()));
    assert_eq!(
        stops[0].query.get("taskName").map(String::as_str),
        Some(incr.name.as_str())
    );

    // Start with replay: ResetIncrStartTimestamp for the project, then resume with pullBack.
    let from = DateTime::from_timestamp(NOW - 1_800, 0).expect("an instant");
    let started = client
        .start(&writer.id, Some(from), Some(paused.version))
        .await
        .expect("started");
    assert_eq!(started.status, WriterStatus::Running);
    let resets = standin.calls_to("ResetIncrStartTimestamp");
    assert_eq!(resets.len(), 1);
    assert_eq!(resets[0].body["id"], project.id.as_str());
    assert_eq!(resets[0].body["reverse"], false);
    assert_eq!(resets[0].body["startTimestamp"], NOW - 1_800);
    let resumes = standin.calls_to("resume");
    assert_eq!(resumes.len(), 1);
    assert_eq!(
        resumes[0].query.get("pullBackFlag").map(String::as_str),
        Some("true")
    );
    assert_eq!(
        started.checkpoint,
        Some(from),
        "the checkpoint OMS reports now"
    );

    let audit = client.audit(&writer.id, 10).await.expect("audit");
    assert_eq!(audit.len(), 2);
    assert!(
        audit
            .iter()
            .all(|e| e.result == "ok" && e.actor == "default")
    );
    let replay = audit[0].message.clone().unwrap_or_default();
    assert!(
        replay.contains("ResetIncrStartTimestamp") && replay.contains("pullBackFlag"),
        "{replay}"
    );
    // A stale If-Match is refused before anything is sent.
    let stale = client.pause(&writer.id, Some(paused.version)).await;
    assert_eq!(
        api_code(&stale).map(|(s, c, _)| (s, c)),
        Some((412, "version_mismatch".into()))
    );
    assert_eq!(standin.calls_to("stop").len(), 1);

    // Its history is built from what the controller saw of OMS, as for the simulated fleet:
    // the step it is seen running in, and the pause and the replay from the audit log.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let history = client
            .writer_history(&writer.id, HistoryWindow::Minutes15)
            .await
            .expect("history");
        let kinds: Vec<HistoryEventKind> = history.events.iter().map(|e| e.kind).collect();
        let last = history.points.last().copied();
        if kinds == [HistoryEventKind::Pause, HistoryEventKind::Replay]
            && last.is_some_and(|p| p.status == Some(WriterStatus::Running))
        {
            assert_eq!(history.events[1].replay_from, Some(from));
            break;
        }
        assert!(Instant::now() < deadline, "{history:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oms_refusals_and_half_done_replays_are_said_as_they_are() {
    let standin = OmsStandin::start(4, &["hz"]).await;
    let (handle, client, _dir) = controller(config(&standin)).await;
    let project = standin.projects()[0].clone();
    let id = project.incr[0].name.clone();
    standin.refuse(
        "stop",
        None,
        "GHANA-OPERAT0001",
        "the connector is busy",
        "retry in a minute",
    );
    let refused = client.pause(&id, None).await;
    let (status, code, message) = api_code(&refused).expect("an API error");
    assert_eq!((status, code.as_str()), (422, "oms_refused"));
    // A CM answers errCode and errMsg (no advice): both reach the operator.
    assert!(
        message.contains("the connector is busy") && message.contains("GHANA-OPERAT0001"),
        "{message}"
    );
    let audit = client.audit(&id, 5).await.expect("audit");
    assert_eq!(audit[0].result, "oms_refused");

    // The replay's first call succeeds and its second fails: the answer says exactly that.
    let stopped = project
        .incr
        .iter()
        .chain(standin.projects()[3].incr.iter())
        .find(|c| c.status == "STOPPED")
        .cloned()
        .expect("a stopped Incr-Sync in the stand-in's fleet");
    standin.refuse("resume", None, "CM-500", "resume failed", "");
    let from = DateTime::from_timestamp(NOW - 600, 0).expect("an instant");
    let half = client.start(&stopped.name, Some(from), None).await;
    let (_, code, message) = api_code(&half).expect("an API error");
    assert_eq!(code, "oms_refused");
    assert!(
        message.contains("the replay is half done") && message.contains("resume failed"),
        "{message}"
    );
    assert_eq!(standin.calls_to("ResetIncrStartTimestamp").len(), 1);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_statuses_are_kept_and_a_failing_describe_keeps_the_last_writers() {
    let standin = OmsStandin::start(6, &["hz"]).await;
    let (handle, client, _dir) = controller(config(&standin)).await;
    let projects = standin.projects();
    let odd = projects[0].incr[0].name.clone();
    assert!(standin.edit_component(&odd, |c| c.status = "MONITORING".into()));
    let unknown = wait_for(&client, &odd, |w| w.status == WriterStatus::Unknown).await;
    assert_eq!(unknown.backend_status.as_deref(), Some("MONITORING"));
    let refused = client.pause(&odd, None).await;
    let (status, code, message) = api_code(&refused).expect("an API error");
    assert_eq!((status, code.as_str()), (409, "invalid_state"));
    assert!(message.contains("'MONITORING'"), "{message}");
    assert!(standin.calls_to("stop").is_empty(), "nothing was sent");

    // One project cannot be described: its writers stay, marked (OMS's own message kept),
    // and the deployment says so.
    let broken = projects[2].clone();
    let troubled = &broken.incr[0].name;
    assert!(standin.edit_component(troubled, |c| c.errors = vec!["disk nearly full".into()]));
    wait_for(&client, troubled, |w| {
        w.message.as_deref() == Some("disk nearly full")
    })
    .await;
    standin.refuse(
        "DescribeProjectComponents",
        Some(&broken.id),
        "PARAM_ERROR",
        "project is being modified",
        "",
    );
    let kept = wait_for(&client, &broken.incr[0].name, |w| {
        w.message
            .as_deref()
            .is_some_and(|m| m.contains("shown as last seen"))
    })
    .await;
    assert_eq!(kept.status, WriterStatus::Running);
    let kept_message = kept.message.unwrap_or_default();
    assert!(kept_message.contains("disk nearly full"), "{kept_message}");
    let deployment = client.deployment().await.expect("deployment");
    assert_eq!(deployment.backend.failed_projects.len(), 1);
    assert_eq!(deployment.backend.failed_projects[0].id, broken.id);
    assert_eq!(
        client.list_writers(None).await.expect("list").writers.len(),
        12
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_or_no_oms_fail_at_start_with_a_clear_error() {
    let standin = OmsStandin::start(2, &["hz"]).await;
    let mut wrong = standin.config(Duration::from_secs(5));
    wrong.password = Secret::new("not-the-password");
    let dir = tempfile::tempdir().expect("data dir");
    let refused = start(ControllerConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        data_dir: dir.path().to_path_buf(),
        access: Access::Token(TOKEN.into()),
        demo_fleet: None,
        regions: 1,
        transition: Duration::ZERO,
        clock: Arc::new(ManualClock::new(
            DateTime::from_timestamp(NOW, 0).expect("now"),
        )),
        oms: Some(wrong),
        tls: None,
        state: jwctl::controller::StateLocation::DataDir,
    })
    .await;
    let Err(error @ ControllerError::Oms(_)) = refused else {
        panic!("expected an OMS error, got {refused:?}");
    };
    let message = error.to_string();
    assert!(message.contains("credentials"), "{message}");
    assert!(!message.contains("not-the-password"), "{message}");
}

/// A client that hangs up while OMS is being asked does not stop the operation half way: it
/// is carried through, its audit entry gets OMS's answer, and the same request sent again
/// with its Idempotency-Key gets the answer kept for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_goes_on_when_its_client_hangs_up() {
    let standin = OmsStandin::start(4, &["hz"]).await;
    let (handle, client, _dir) = controller(config(&standin)).await;
    let pause = |client: &reqwest::Client, id: &str, key: &str| {
        client
            .post(format!("{}/v1/writers/{id}/pause", handle.url()))
            .bearer_auth(TOKEN)
            .header("Idempotency-Key", key)
            .send()
    };
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let projects = standin.projects();
    for (project, key) in projects.iter().zip(["", "hung-up-once"]) {
        let writer = client
            .writer(&project.incr[0].name)
            .await
            .expect("the writer");
        assert_eq!(writer.status, WriterStatus::Running);
        let stops = standin.calls_to("stop").len();
        standin.set_delay(Duration::from_millis(500));
        let hung_up = if key.is_empty() {
            impatient
                .post(format!("{}/v1/writers/{}/pause", handle.url(), writer.id))
                .bearer_auth(TOKEN)
                .send()
                .await
        } else {
            pause(&impatient, &writer.id, key).await
        };
        assert!(hung_up.is_err(), "answered within 200 ms: {hung_up:?}");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let audit = client.audit(&writer.id, 10).await.expect("audit");
            if audit.first().is_some_and(|entry| entry.result == "ok") {
                break;
            }
            assert!(Instant::now() < deadline, "{audit:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        standin.set_delay(Duration::ZERO);
        assert_eq!(standin.calls_to("stop").len(), stops + 1);
        if !key.is_empty() {
            let again = pause(&reqwest::Client::new(), &writer.id, key)
                .await
                .unwrap();
            assert_eq!(again.status().as_u16(), 200);
            assert!(again.headers().contains_key("idempotent-replayed"));
            assert_eq!(standin.calls_to("stop").len(), stops + 1);
        }
        wait_for(&client, &writer.id, |w| w.status == WriterStatus::Stopped).await;
    }
    handle.shutdown().await;
}

/// A controller stopped while an operation whose client hung up is under way finishes it, and
/// audits OMS's answer, before it closes its store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_waits_for_operations_under_way() {
    let standin = OmsStandin::start(4, &["hz"]).await;
    let dir = tempfile::tempdir().expect("data dir");
    let (handle, client) = controller_in(config(&standin), &dir).await;
    let writer = client
        .writer(&standin.projects()[0].incr[0].name)
        .await
        .expect("the writer");
    standin.set_delay(Duration::from_millis(500));
    let hung_up = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap()
        .post(format!("{}/v1/writers/{}/pause", handle.url(), writer.id))
        .bearer_auth(TOKEN)
        .send()
        .await;
    assert!(hung_up.is_err(), "answered within 100 ms: {hung_up:?}");
    handle.shutdown().await;
    standin.set_delay(Duration::ZERO);
    assert_eq!(standin.calls_to("stop").len(), 1);
    let (handle, client) = controller_in(config(&standin), &dir).await;
    let audit = client.audit(&writer.id, 10).await.expect("audit");
    let results: Vec<&str> = audit.iter().map(|e| e.result.as_str()).collect();
    assert_eq!(results, ["ok"], "{audit:?}");
    handle.shutdown().await;
}

/// A poll that described a project before an operation on it, and ends after, does not put
/// back the writers the operation's own describe replaced: the pause shows until OMS says
/// otherwise, not only until the poll under way ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_under_way_does_not_undo_an_operation_described_after_it_began() {
    let standin = OmsStandin::start(2, &["hz"]).await;
    let projects = standin.projects();
    let (ours, slow) = (&projects[0], &projects[1]);
    // Every poll describes both projects at once and waits for the slow one.
    standin.slow_describe(&slow.id, Duration::from_millis(1_500));
    let (handle, client, _dir) = controller(config(&standin)).await;
    let writer = client.writer(&ours.incr[0].name).await.expect("the writer");
    assert_eq!(writer.status, WriterStatus::Running);
    // Wait for a poll to describe our project: it is then waiting for the slow one.
    let seen = standin.describes_of(&ours.id);
    standin
        .until(Duration::from_secs(10), "a poll to begin", |o| {
            o.describes_of(&ours.id) > seen
        })
        .await;
    let slow_asked = standin.describes_of(&slow.id);
    let paused = client
        .pause(&writer.id, Some(writer.version))
        .await
        .expect("paused");
    assert_eq!(paused.status, WriterStatus::Stopped);
    // The next poll begins once the one under way has ended and been taken in.
    standin
        .until(Duration::from_secs(10), "the poll under way to end", |o| {
            o.describes_of(&slow.id) > slow_asked
        })
        .await;
    let after = client.writer(&writer.id).await.expect("the writer");
    assert_eq!(
        after.status,
        WriterStatus::Stopped,
        "the poll that began before the pause put back what it had seen"
    );
    handle.shutdown().await;
}
