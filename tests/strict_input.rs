//! Request bodies, headers and query parameters are taken only in their documented form,
//! against a real controller on 127.0.0.1:0 with a real SQLite file: anything else is a 400
//! that changes nothing.

mod common;

use common::{Options, TOKEN, controller, is_stopped_and_resumable};
use jwctl::api::ErrorBody;
use jwctl::domain::WriterStatus;
use reqwest::StatusCode;

/// Sends `request`: its status and the error message, if the body is an error.
async fn send(request: reqwest::RequestBuilder) -> (StatusCode, String) {
    let response = request.bearer_auth(TOKEN).send().await.unwrap();
    let status = response.status();
    let bytes = response.bytes().await.unwrap();
    let message = serde_json::from_slice::<ErrorBody>(&bytes)
        .map(|body| body.error.message)
        .unwrap_or_default();
    (status, message)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_json_object_is_a_request_body_and_anything_else_changes_nothing() {
    let c = controller(Options::default()).await;
    let http = reqwest::Client::new();
    let stopped = c.find("resumable writer", is_stopped_and_resumable).await;
    let start_url = c.url(&format!("/v1/writers/{}/start", stopped.id));
    // Seen: this array was taken as {"replay_from": ...} and started a replay.
    let bodies = [
        "[\"2026-11-24T07:54:49Z\"]",
        "[null]",
        "[]",
        "\"2026-11-24T07:54:49Z\"",
        "null",
        "7",
        "true",
    ];
    for body in bodies {
        let (status, message) = send(http.post(&start_url).body(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            message.contains("must be a JSON object"),
            "{body}: {message}"
        );
    }
    let running = c
        .find("running writer", |w| w.status == WriterStatus::Running)
        .await;
    let pause_url = c.url(&format!("/v1/writers/{}/pause", running.id));
    for body in ["[]", "null", "0"] {
        let (status, message) = send(http.post(&pause_url).body(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            message.contains("must be a JSON object"),
            "{body}: {message}"
        );
    }

    let client = c.client();
    for (before, what) in [(&stopped, "start"), (&running, "pause")] {
        let after = client.writer(&before.id).await.unwrap();
        assert_eq!(
            after.version, before.version,
            "a refused {what} changed the writer"
        );
        assert_eq!(after.status, before.status);
        let audit = client.audit(&before.id, 10).await.unwrap();
        assert!(
            audit.is_empty(),
            "a malformed {what} reached the writer: {audit:?}"
        );
    }
    // The documented forms still work.
    let (status, _) = send(http.post(&start_url).body("{}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(http.post(&pause_url).body("")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_is_digits_and_limit_is_within_its_documented_bounds() {
    let c = controller(Options::default()).await;
    let http = reqwest::Client::new();
    let running = c
        .find("running writer", |w| w.status == WriterStatus::Running)
        .await;
    let pause_url = c.url(&format!("/v1/writers/{}/pause", running.id));
    for value in ["+1", "\"+1\"", " ", "18446744073709551616"] {
        let request = http.post(&pause_url).header("if-match", value);
        let (status, message) = send(request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{value}");
        assert!(message.contains("If-Match: 5"), "{value}: {message}");
    }
    let after = c.client().writer(&running.id).await.unwrap();
    assert_eq!(after.version, running.version);

    let audit_url = |limit: &str| c.url(&format!("/v1/writers/{}/audit?limit={limit}", running.id));
    let (status, message) = send(http.get(audit_url("501"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message.contains("from 0 to 500"), "{message}");
    for limit in ["0", "500"] {
        let (status, _) = send(http.get(audit_url(limit))).await;
        assert_eq!(status, StatusCode::OK, "{limit}");
    }
}
