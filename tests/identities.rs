//! Identities and roles: a controller started with a tokens file, every role against every
//! route, the audit's actor, whoami, and tokens added and revoked while it runs.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use jwctl::api::{AuditQuery, Role};
use jwctl::client::{Client, ClientOptions};
use jwctl::controller::{Access, ControllerConfig, ControllerHandle, Endpoint, start};
use jwctl::domain::{ManualClock, Writer, WriterStatus};
use jwctl::tokens_file;
use reqwest::StatusCode;

use common::{is_stopped_and_resumable, t0};

struct Fixture {
    handle: ControllerHandle,
    tokens: std::path::PathBuf,
    viewer: String,
    operator: String,
    _dir: tempfile::TempDir,
}

/// A controller of 60 demo writers in `dir` that accepts the identities of `tokens`.
fn config(dir: &Path, tokens: &Path) -> ControllerConfig {
    ControllerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("data"),
        access: Access::TokensFile(tokens.to_path_buf()),
        demo_fleet: Some(60),
        regions: 2,
        transition: Duration::from_millis(100),
        clock: Arc::new(ManualClock::new(t0())),
        oms: None,
        tls: None,
        state: jwctl::controller::StateLocation::DataDir,
    }
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.toml");
    let viewer = tokens_file::add(&tokens, "vera", Role::Viewer, Utc::now()).unwrap();
    let operator = tokens_file::add(&tokens, "otto", Role::Operator, Utc::now()).unwrap();
    let handle = start(config(dir.path(), &tokens)).await.unwrap();
    Fixture {
        handle,
        tokens,
        viewer,
        operator,
        _dir: dir,
    }
}

fn client(handle: &ControllerHandle, token: &str) -> Client {
    Client::new(ClientOptions::new(handle.url(), Some(token.into()))).unwrap()
}

/// An HTTP client whose requests come from `source` (any 127.x.y.z is this machine): failed
/// authentications are counted per address.
fn http_from(source: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(source))
        .build()
        .unwrap()
}

/// The status `token` (none: no Authorization header) gets on `endpoint`, asked of `writer`
/// from `source`.
async fn status_of(
    handle: &ControllerHandle,
    endpoint: Endpoint,
    writer: &Writer,
    token: Option<&str>,
    source: [u8; 4],
) -> StatusCode {
    let mut path = endpoint.path().replace("{id}", &writer.id);
    if endpoint == Endpoint::History {
        path = format!("{path}?ids={}", writer.id);
    }
    let http = http_from(source);
    let url = format!("{}{path}", handle.url());
    let mut request = match endpoint.method() {
        "POST" => http.post(url).json(&serde_json::json!({})),
        _ => http.get(url),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn every_role_on_every_route() {
    let f = fixture().await;
    let writers = client(&f.handle, &f.operator)
        .list_writers(None)
        .await
        .unwrap()
        .writers;
    let running = writers.iter().filter(|w| w.status == WriterStatus::Running);
    let stopped = writers.iter().filter(|w| is_stopped_and_resumable(w));
    let (mut running, mut stopped) = (running.cloned(), stopped.cloned());
    for (n, endpoint) in (1u8..).zip(Endpoint::ALL) {
        // A writer the operation applies to, fresh for every endpoint.
        let writer = match endpoint {
            Endpoint::Start => stopped.next(),
            _ => running.next(),
        };
        let Some(writer) = writer else {
            panic!("the demo fleet has too few writers for {endpoint:?}");
        };
        let public = endpoint == Endpoint::Health;
        let mutation = endpoint.method() == "POST";
        // The two failures per route come from addresses of their own, below the rate limit.
        let anonymous = status_of(&f.handle, endpoint, &writer, None, [127, 0, n, 2]).await;
        let wrong = Some("not-a-token");
        let wrong = status_of(&f.handle, endpoint, &writer, wrong, [127, 0, n, 3]).await;
        let viewer = Some(f.viewer.as_str());
        let viewer = status_of(&f.handle, endpoint, &writer, viewer, [127, 0, 0, 1]).await;
        let operator = Some(f.operator.as_str());
        let operator = status_of(&f.handle, endpoint, &writer, operator, [127, 0, 0, 1]).await;
        let expected_anonymous = if public {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(
            anonymous, expected_anonymous,
            "{endpoint:?} without a token"
        );
        assert_eq!(wrong, expected_anonymous, "{endpoint:?} with a wrong token");
        let expected_viewer = if mutation {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::OK
        };
        assert_eq!(viewer, expected_viewer, "{endpoint:?} as a viewer");
        assert_eq!(operator, StatusCode::OK, "{endpoint:?} as an operator");
    }
}

#[tokio::test]
async fn a_viewer_is_told_the_role_needed_and_the_audit_names_the_operator() {
    let f = fixture().await;
    let operator = client(&f.handle, &f.operator);
    let viewer = client(&f.handle, &f.viewer);
    let who = viewer.whoami().await.unwrap();
    assert_eq!((who.name.as_str(), who.role), ("vera", Role::Viewer));
    let who = operator.whoami().await.unwrap();
    assert_eq!((who.name.as_str(), who.role), ("otto", Role::Operator));

    let writers = operator.list_writers(None).await.unwrap().writers;
    let writer = writers
        .iter()
        .find(|w| w.status == WriterStatus::Running)
        .unwrap();
    let refused = viewer.pause(&writer.id, None).await.unwrap_err();
    assert_eq!(refused.code(), Some("forbidden"));
    let message = refused.to_string();
    assert!(
        message.contains("operator role") && message.contains("vera"),
        "{message}"
    );

    // A forged client label changes nothing: the actor is the identity of the token.
    let url = format!("{}/v1/writers/{}/pause", f.handle.url(), writer.id);
    let answer = reqwest::Client::new()
        .post(url)
        .bearer_auth(&f.operator)
        .header("x-jwctl-actor", "vera")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let audit = operator.audit(&writer.id, 10).await.unwrap();
    let actors: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| (e.actor.as_str(), e.result.as_str()))
        .collect();
    assert_eq!(
        actors,
        [("otto", "ok")],
        "the viewer's refusal never reached the writer"
    );
}

/// Polls `check` until it holds, for at most 10 s.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(Instant::now() < deadline, "{what} within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn tokens_added_and_revoked_take_effect_without_a_restart() {
    let f = fixture().await;
    let newcomer = tokens_file::add(&f.tokens, "nina", Role::Operator, Utc::now()).unwrap();
    let nina = client(&f.handle, &newcomer);
    eventually("a new identity is accepted", async || {
        nina.whoami().await.is_ok()
    })
    .await;
    tokens_file::revoke(&f.tokens, "vera").unwrap();
    let vera = client(&f.handle, &f.viewer);
    eventually("a revoked token is refused", async || {
        vera.whoami()
            .await
            .is_err_and(|e| e.code() == Some("unauthorized"))
    })
    .await;
    assert_no_token_in(&f.tokens, &[&f.viewer, &f.operator, &newcomer]);
}

fn assert_no_token_in(path: &Path, tokens: &[&str]) {
    let text = std::fs::read_to_string(path).unwrap();
    for token in tokens {
        assert!(!text.contains(token), "the tokens file holds a token");
    }
}

#[tokio::test]
async fn a_controller_refuses_to_start_on_a_missing_tokens_file() {
    let dir = tempfile::tempdir().unwrap();
    let error = start(config(dir.path(), &dir.path().join("nope.toml")))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("jwctl token add"), "{error}");
}

#[tokio::test]
async fn the_audit_across_writers_is_narrowed_by_writer_actor_and_time() {
    let f = fixture().await;
    let (otto, vera) = (client(&f.handle, &f.operator), client(&f.handle, &f.viewer));
    let writers = otto.list_writers(None).await.unwrap().writers;
    let mut running = writers.iter().filter(|w| w.status == WriterStatus::Running);
    let (first, second) = (running.next().unwrap(), running.next().unwrap());
    otto.pause(&first.id, None).await.unwrap();
    otto.pause(&second.id, None).await.unwrap();
    let nina_token = tokens_file::add(&f.tokens, "nina", Role::Operator, Utc::now()).unwrap();
    let nina = client(&f.handle, &nina_token);
    eventually("nina is accepted", async || nina.whoami().await.is_ok()).await;
    // A pause of a writer already pausing: a no-op, audited too.
    nina.pause(&second.id, None).await.unwrap();

    let query = |writer: Option<&Writer>, actor: Option<&str>| AuditQuery {
        writer: writer.map(|w| w.id.clone()),
        actor: actor.map(str::to_string),
        since: None,
        limit: 20,
    };
    let seen = |entries: Vec<jwctl::api::AuditEntry>| -> Vec<(String, String)> {
        entries
            .into_iter()
            .map(|e| (e.actor, e.writer_id))
            .collect()
    };
    let all = seen(vera.audit_log(&query(None, None)).await.unwrap());
    let (a, b) = (first.id.clone(), second.id.clone());
    assert_eq!(
        all,
        [
            ("nina".to_string(), b.clone()),
            ("otto".to_string(), b.clone()),
            ("otto".to_string(), a.clone())
        ],
        "newest first"
    );
    let by_otto = seen(vera.audit_log(&query(None, Some("otto"))).await.unwrap());
    assert_eq!(
        by_otto,
        [("otto".to_string(), b.clone()), ("otto".to_string(), a)]
    );
    let of_second = seen(vera.audit_log(&query(Some(second), None)).await.unwrap());
    assert_eq!(of_second.len(), 2);
    let both = seen(
        vera.audit_log(&query(Some(second), Some("nina")))
            .await
            .unwrap(),
    );
    assert_eq!(both, [("nina".to_string(), b)]);
    let one = AuditQuery {
        limit: 1,
        ..query(None, None)
    };
    assert_eq!(vera.audit_log(&one).await.unwrap().len(), 1);
    // The controller's clock is manual: every entry is at t0.
    let at_t0 = AuditQuery {
        since: Some(t0()),
        ..query(None, None)
    };
    assert_eq!(vera.audit_log(&at_t0).await.unwrap().len(), 3);
    let later = AuditQuery {
        since: Some(t0() + chrono::Duration::seconds(1)),
        ..query(None, None)
    };
    assert!(vera.audit_log(&later).await.unwrap().is_empty());

    let http = reqwest::Client::new();
    for bad in [
        "limit=501",
        "since=yesterday",
        "since=2026-11-24",
        "colour=red",
    ] {
        let url = format!("{}/v1/audit?{bad}", f.handle.url());
        let answer = http.get(url).bearer_auth(&f.viewer).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body = answer.text().await.unwrap();
        assert!(
            body.contains("limit must be a number from 0 to 500"),
            "{bad}: {body}"
        );
    }
}

#[tokio::test]
async fn failed_authentications_are_rate_limited_per_address() {
    let f = fixture().await;
    let url = format!("{}/v1/whoami", f.handle.url());
    let guesser = http_from([127, 0, 0, 9]);
    let status = |request: reqwest::RequestBuilder| async move {
        let answer = request.send().await.unwrap();
        let retry_after = answer.headers().get("retry-after").cloned();
        (answer.status(), retry_after)
    };
    for guess in 0..10 {
        let (code, _) = status(guesser.get(&url).bearer_auth(format!("guess-{guess}"))).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED, "guess {guess}");
    }
    // Limited now: even the right token is refused from that address, and says when to retry.
    let (code, retry_after) = status(guesser.get(&url).bearer_auth(&f.viewer)).await;
    assert_eq!(code, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        retry_after.as_ref().and_then(|v| v.to_str().ok()),
        Some("1")
    );
    let body = guesser
        .get(&url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("rate_limited") && body.contains("try again in 1 s"),
        "{body}"
    );
    // Other addresses are not affected.
    let (code, _) = status(http_from([127, 0, 0, 1]).get(&url).bearer_auth(&f.viewer)).await;
    assert_eq!(code, StatusCode::OK);
    // The right token works again from the limited address within seconds.
    let viewer = f.viewer.clone();
    eventually("the right token works again", async || {
        status(guesser.get(&url).bearer_auth(&viewer)).await.0 == StatusCode::OK
    })
    .await;
}
