//! The change feed of a real `jwctl serve`: `GET /v1/writers?since=REV`, `GET /v1/events`,
//! 410 for revisions it cannot answer (too old, from the future, from before a restart),
//! restarts, auth, and gzip. Every wait is bounded by a deadline; nothing sleeps.

#[path = "support/oms_standin.rs"]
mod oms_standin;
#[path = "support/serve.rs"]
mod serve;
#[path = "support/sse.rs"]
mod sse;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use jwctl::api::{ErrorBody, StreamReset, WriterDelta, WriterList, events};
use jwctl::controller::{Access, ControllerConfig, start};
use jwctl::domain::{ManualClock, Writer, WriterStatus};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING};
use serve::{TOKEN, spawn_serve};
use sse::Events;

/// `jwctl serve` on 127.0.0.1:0 with a demo fleet in `dir` (kept across restarts).
struct Controller {
    child: Child,
    url: String,
}

impl Controller {
    fn start(dir: &Path) -> Controller {
        let (child, url, _token_file) = spawn_serve(dir);
        Controller { child, url }
    }

    /// SIGKILL: no graceful shutdown.
    fn kill(&mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }

    fn get(&self, http: &reqwest::Client, path: &str) -> reqwest::RequestBuilder {
        http.get(format!("{}{path}", self.url)).bearer_auth(TOKEN)
    }

    async fn list(&self, http: &reqwest::Client) -> WriterList {
        let response = self.get(http, "/v1/writers").send().await.expect("list");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("list JSON")
    }

    async fn since(&self, http: &reqwest::Client, revision: u64) -> WriterDelta {
        let response = self
            .get(http, &format!("/v1/writers?since={revision}"))
            .send()
            .await
            .expect("delta");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("delta JSON")
    }

    async fn error(&self, http: &reqwest::Client, path: &str) -> (StatusCode, String) {
        let response = self.get(http, path).send().await.expect("request");
        let status = response.status();
        let body: ErrorBody = response.json().await.expect("error JSON");
        (status, body.error.code)
    }

    async fn pause(&self, http: &reqwest::Client, id: &str) -> Writer {
        let response = http
            .post(format!("{}/v1/writers/{id}/pause", self.url))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("pause");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("writer JSON")
    }

    async fn subscribe(&self, http: &reqwest::Client, since: Option<u64>) -> Events {
        let path = since.map_or("/v1/events".to_string(), |s| {
            format!("/v1/events?since={s}")
        });
        let response = self.get(http, &path).send().await.expect("subscribe");
        assert_eq!(response.status(), StatusCode::OK);
        Events::new(response)
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

fn running(list: &WriterList) -> Writer {
    list.writers
        .iter()
        .find(|w| w.status == WriterStatus::Running)
        .cloned()
        .expect("a running writer")
}

fn temp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    (dir, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_answers_a_paused_writer_whole_and_nothing_else_that_did_not_change() {
    let (_dir, path) = temp();
    let controller = Controller::start(&path);
    let http = http();
    let list = controller.list(&http).await;
    let target = running(&list);
    controller.pause(&http, &target.id).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let delta = loop {
        let delta = controller.since(&http, list.revision).await;
        if delta
            .writers
            .iter()
            .any(|w| w.id == target.id && w.status == WriterStatus::Stopped)
        {
            break delta;
        }
        assert!(Instant::now() < deadline, "never published: {delta:?}");
    };
    let whole: Vec<&str> = delta.writers.iter().map(|w| w.id.as_str()).collect();
    assert_eq!(
        whole,
        vec![target.id.as_str()],
        "only the paused writer is whole"
    );
    assert!(delta.progress.iter().all(|p| p.id != target.id));
    assert!(delta.removed.is_empty());
    assert!(delta.revision > list.revision);
    // Up to date: nothing after the delta's own revision but progress. (A whole writer is
    // served as it is when asked: the answer above may show it stopped while its `stopped`
    // change is published a scan later, in a revision of its own — the same writer again.)
    let mut since = delta.revision;
    loop {
        let again = controller.since(&http, since).await;
        if again.writers.is_empty() {
            break;
        }
        assert!(
            again.writers.iter().all(|w| w.id == target.id),
            "only the paused writer changed: {again:?}"
        );
        assert!(Instant::now() < deadline, "never up to date: {again:?}");
        since = again.revision;
    }
    // A region without the writer does not see it.
    let other = list
        .writers
        .iter()
        .find(|w| w.region != target.region)
        .expect("another region");
    let response = controller
        .get(
            &http,
            &format!(
                "/v1/writers?since={}&region={}",
                list.revision, other.region
            ),
        )
        .send()
        .await
        .expect("delta");
    let regional: WriterDelta = response.json().await.expect("delta JSON");
    assert!(regional.writers.iter().all(|w| w.id != target.id));
    assert_eq!(
        controller.error(&http, "/v1/writers?since=yesterday").await,
        (StatusCode::BAD_REQUEST, "bad_request".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_coalesced_not_sent_for_every_writer_every_second() {
    let (_dir, path) = temp();
    let controller = Controller::start(&path);
    let http = http();
    let list = controller.list(&http).await;
    let running: Vec<&str> = list
        .writers
        .iter()
        .filter(|w| w.status == WriterStatus::Running)
        .map(|w| w.id.as_str())
        .collect();
    let mut stream = controller.subscribe(&http, Some(list.revision)).await;
    let mut deltas = Vec::new();
    while deltas.len() < 4 {
        deltas.push(
            stream
                .delta_until(Duration::from_secs(15), |d| !d.progress.is_empty())
                .await,
        );
    }
    for delta in &deltas {
        assert!(
            delta.progress.len() < running.len(),
            "not every running writer in every delta: {} of {}",
            delta.progress.len(),
            running.len()
        );
        assert!(
            delta
                .progress
                .iter()
                .all(|p| running.contains(&p.id.as_str()))
        );
        assert!(delta.writers.is_empty(), "nothing else changed: {delta:?}");
    }
    let first = deltas
        .first()
        .map(|d| &d.progress)
        .cloned()
        .unwrap_or_default();
    let skipped = first.iter().any(|p| {
        deltas
            .iter()
            .skip(1)
            .any(|d| d.progress.iter().all(|q| q.id != p.id))
    });
    assert!(
        skipped,
        "some writer of the first delta is absent from a later one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_it_cannot_answer_are_410_and_survive_a_kill() {
    let (_dir, path) = temp();
    let mut first = Controller::start(&path);
    let http = http();
    let list = first.list(&http).await;
    let gone = (StatusCode::GONE, "revision_expired".to_string());
    assert_eq!(first.error(&http, "/v1/writers?since=0").await, gone);
    let future = format!("/v1/writers?since={}", list.revision + 1000);
    assert_eq!(first.error(&http, &future).await, gone);
    let target = running(&list);
    let paused = first.pause(&http, &target.id).await;
    assert_eq!(paused.status, WriterStatus::Pausing);
    let deadline = Instant::now() + Duration::from_secs(10);
    let before = loop {
        let now = first.list(&http).await.revision;
        if now > list.revision {
            break now;
        }
        assert!(Instant::now() < deadline, "the revision never moved");
    };
    first.kill();

    let second = Controller::start(&path);
    let after = second.list(&http).await;
    assert!(
        after.revision > before,
        "the revision never goes backwards: {} after {before}",
        after.revision
    );
    let old = format!("/v1/writers?since={before}");
    assert_eq!(second.error(&http, &old).await, gone);
    assert!(second.since(&http, after.revision).await.writers.is_empty());
    let response = second
        .get(&http, &format!("/v1/writers?since={before}"))
        .send()
        .await
        .expect("request");
    let body: ErrorBody = response.json().await.expect("error JSON");
    assert!(
        body.error.message.contains("load the full list"),
        "{body:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_reaches_a_subscriber_within_a_second() {
    let (_dir, path) = temp();
    let controller = Controller::start(&path);
    let http = http();
    let list = controller.list(&http).await;
    let target = running(&list);
    let mut stream = controller.subscribe(&http, None).await;
    let asked = Instant::now();
    controller.pause(&http, &target.id).await;
    let delta = stream
        .delta_until(Duration::from_secs(1), |d| {
            d.writers.iter().any(|w| w.id == target.id)
        })
        .await;
    assert!(asked.elapsed() < Duration::from_secs(1));
    let writer = delta.writers.iter().find(|w| w.id == target.id);
    assert!(
        writer.is_some_and(|w| w.status.is_transitional() || w.status == WriterStatus::Stopped)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_resumes_after_a_restart_through_a_reset() {
    let (_dir, path) = temp();
    let mut first = Controller::start(&path);
    let http = http();
    let list = first.list(&http).await;
    let mut stream = first.subscribe(&http, Some(list.revision)).await;
    let target = running(&list);
    first.pause(&http, &target.id).await;
    let seen = stream
        .delta_until(Duration::from_secs(5), |d| {
            d.writers.iter().any(|w| w.id == target.id)
        })
        .await;
    first.kill();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while stream.read().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ends with the controller");

    let second = Controller::start(&path);
    let mut resumed = second.subscribe(&http, Some(seen.revision)).await;
    let reset = resumed
        .next(Duration::from_secs(5))
        .await
        .expect("an event");
    assert_eq!(reset.kind, events::RESET);
    let reset: StreamReset = serde_json::from_str(&reset.data).expect("reset JSON");
    assert!(reset.reason.contains("load the full list"), "{reset:?}");
    assert!(
        resumed.next(Duration::from_secs(5)).await.is_none(),
        "the stream ends after a reset"
    );
    let reloaded = second.list(&http).await;
    assert!(reloaded.revision > seen.revision);
    let mut following = second.subscribe(&http, Some(reloaded.revision)).await;
    let other = reloaded
        .writers
        .iter()
        .find(|w| w.status == WriterStatus::Running && w.id != target.id)
        .expect("another running writer");
    second.pause(&http, &other.id).await;
    following
        .delta_until(Duration::from_secs(5), |d| {
            d.writers.iter().any(|w| w.id == other.id)
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_needs_the_token_and_lists_are_gzipped_when_asked() {
    let (_dir, path) = temp();
    let controller = Controller::start(&path);
    let http = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let anonymous = http
        .get(format!("{}/v1/events", controller.url))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let gzipped = controller
        .get(&http, "/v1/writers")
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("list");
    assert_eq!(gzipped.status(), StatusCode::OK);
    assert_eq!(
        gzipped
            .headers()
            .get(CONTENT_ENCODING)
            .map(|v| v.as_bytes()),
        Some(&b"gzip"[..])
    );
    let body = gzipped.bytes().await.expect("body");
    assert_eq!(body.get(..2), Some(&[0x1f, 0x8b][..]), "a gzip stream");

    let plain = controller
        .get(&http, "/v1/writers")
        .send()
        .await
        .expect("list");
    assert_eq!(plain.headers().get(CONTENT_ENCODING), None);
    let list: WriterList = plain.json().await.expect("plain JSON");
    assert_eq!(list.writers.len(), 80);

    let stream = controller
        .get(&http, "/v1/events")
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("events");
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(
        stream.headers().get(CONTENT_ENCODING),
        None,
        "never compressed"
    );
    assert_eq!(
        stream.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"text/event-stream"[..])
    );
    // The gzip-aware client decodes transparently.
    let decoded = reqwest::Client::new()
        .get(format!("{}/v1/writers", controller.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("list");
    let decoded: WriterList = decoded.json().await.expect("decoded JSON");
    assert_eq!(decoded.writers.len(), 80);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quiet_stream_gets_heartbeats_and_ends_when_the_controller_stops() {
    let dir = tempfile::tempdir().expect("temp dir");
    let start_at = Utc
        .with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .expect("instant");
    // The clock stands still: no progress, nothing to publish.
    let handle = start(ControllerConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        data_dir: dir.path().to_path_buf(),
        access: Access::Token(TOKEN.into()),
        demo_fleet: Some(20),
        regions: 1,
        transition: Duration::ZERO,
        clock: Arc::new(ManualClock::new(start_at)),
        oms: None,
        tls: None,
        state: jwctl::controller::StateLocation::DataDir,
    })
    .await
    .expect("controller starts");
    let http = http();
    let list: WriterList = http
        .get(format!("{}/v1/writers", handle.url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("list JSON");
    let response = http
        .get(format!(
            "{}/v1/events?since={}",
            handle.url(),
            list.revision
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("subscribe");
    let mut stream = Events::new(response);
    let heartbeat = stream.next(Duration::from_secs(8)).await.expect("an event");
    assert_eq!(
        heartbeat.kind,
        events::HEARTBEAT,
        "nothing changed: {heartbeat:?}"
    );
    assert_eq!(
        heartbeat.data,
        format!("{{\"revision\":{}}}", list.revision)
    );
    tokio::time::timeout(Duration::from_secs(5), handle.shutdown())
        .await
        .expect("an open stream does not hold up the shutdown");
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while stream.read().await.is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream ends with the controller");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oms_backend_publishes_changes_and_removals_alike() {
    let standin = oms_standin::OmsStandin::start(6, &["hz"]).await;
    let mut oms = standin.config(Duration::from_secs(5));
    oms.poll = Duration::from_millis(200);
    let dir = tempfile::tempdir().expect("temp dir");
    let now = chrono::DateTime::from_timestamp(oms_standin::NOW, 0).expect("the stand-in's now");
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
    let http = http();
    let get = |path: String| {
        http.get(format!("{}{path}", handle.url()))
            .bearer_auth(TOKEN)
    };
    let list: WriterList = get("/v1/writers".into())
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("list JSON");
    let projects = standin.projects();
    let troubled = projects[0].incr[0].name.clone();
    let renamed = projects[1].incr[0].name.clone();
    let new_name = format!("{renamed}-moved");
    assert!(standin.edit_component(&troubled, |c| c.errors = vec!["disk nearly full".into()]));
    // OMS ids are component names: a rename is a removal and an addition.
    assert!(standin.edit_component(&renamed, |c| c.name = new_name.clone()));
    let deadline = Instant::now() + Duration::from_secs(10);
    let delta = loop {
        let delta: WriterDelta = get(format!("/v1/writers?since={}", list.revision))
            .send()
            .await
            .expect("delta")
            .json()
            .await
            .expect("delta JSON");
        if delta.writers.len() == 2 && !delta.removed.is_empty() {
            break delta;
        }
        assert!(Instant::now() < deadline, "never published: {delta:?}");
    };
    let mut whole: Vec<&str> = delta.writers.iter().map(|w| w.id.as_str()).collect();
    whole.sort_unstable();
    let mut expected = vec![troubled.as_str(), new_name.as_str()];
    expected.sort_unstable();
    assert_eq!(whole, expected);
    assert_eq!(delta.removed, vec![renamed]);
    assert!(
        delta.progress.is_empty(),
        "OMS's progress did not move: {delta:?}"
    );
    let message = delta
        .writers
        .iter()
        .find(|w| w.id == troubled)
        .and_then(|w| w.message.clone());
    assert_eq!(message.as_deref(), Some("disk nearly full"));
    handle.shutdown().await;
}
