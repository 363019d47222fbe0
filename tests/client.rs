//! The client's retry and timeout policy. The real controller cannot be made to answer 503
//! or to stall on demand, so these tests use a small stand-in HTTP server on 127.0.0.1:0.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use jwctl::client::{Client, ClientError, ClientOptions};

/// A server whose routes fail with 503 until `failures` requests have been refused, counting
/// every request, and whose `/slow` route never answers in time.
async fn stand_in(failures: usize) -> (String, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let answer = {
        let seen = seen.clone();
        move || {
            let seen = seen.clone();
            async move {
                if seen.fetch_add(1, Ordering::SeqCst) < failures {
                    (StatusCode::SERVICE_UNAVAILABLE, String::from("busy"))
                } else {
                    (
                        StatusCode::OK,
                        String::from(r#"{"status":"ok","version":"test"}"#),
                    )
                }
            }
        }
    };
    let stalled = {
        let seen = seen.clone();
        move || {
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(30)).await;
                "too late"
            }
        }
    };
    let app = Router::new()
        .route("/v1/health", get(answer.clone()))
        .route("/v1/writers/{id}/pause", post(answer))
        .route("/v1/deployment", get(stalled));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

fn client(url: &str, timeout: Duration) -> Client {
    let mut options = ClientOptions::new(url, Some("t".into()));
    options.request_timeout = timeout;
    Client::new(options).expect("client")
}

#[tokio::test]
async fn reads_are_retried_after_transient_failures() {
    let (url, seen) = stand_in(2).await;
    let health = client(&url, Duration::from_secs(5)).health().await;
    assert_eq!(health.map(|h| h.status).ok().as_deref(), Some("ok"));
    assert_eq!(seen.load(Ordering::SeqCst), 3, "two 503s, then success");
}

#[tokio::test]
async fn reads_give_up_after_the_retries_with_the_last_error() {
    let (url, seen) = stand_in(usize::MAX).await;
    let err = client(&url, Duration::from_secs(5)).health().await.err();
    assert!(
        matches!(err, Some(ClientError::Api { status: 503, .. })),
        "{err:?}"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 3, "one try and two retries");
}

#[tokio::test]
async fn mutations_are_never_retried() {
    let (url, seen) = stand_in(1).await;
    let err = client(&url, Duration::from_secs(5))
        .pause("w1", Some(3))
        .await
        .err();
    assert!(
        matches!(err, Some(ClientError::Api { status: 503, .. })),
        "{err:?}"
    );
    assert_eq!(seen.load(Ordering::SeqCst), 1, "a POST is sent once");
}

#[tokio::test]
async fn a_stalled_controller_is_a_timeout_with_a_clear_message() {
    let (url, _) = stand_in(0).await;
    let mut options = ClientOptions::new(&url, Some("t".into()));
    options.request_timeout = Duration::from_millis(200);
    options.get_retries = 0;
    let err = Client::new(options)
        .expect("client")
        .deployment()
        .await
        .err();
    let Some(err @ ClientError::Timeout { .. }) = err else {
        panic!("expected a timeout, got {err:?}");
    };
    assert!(
        err.to_string().contains("did not answer within 0.2s"),
        "{err}"
    );
}

#[tokio::test]
async fn retries_share_the_budget_the_timeout_message_states() {
    let (url, seen) = stand_in(0).await;
    let mut options = ClientOptions::new(&url, Some("t".into()));
    options.request_timeout = Duration::from_millis(600);
    options.get_retries = 2;
    let err = Client::new(options)
        .expect("client")
        .deployment()
        .await
        .err();
    let Some(err @ ClientError::Timeout { .. }) = err else {
        panic!("expected a timeout, got {err:?}");
    };
    assert!(err.to_string().contains("within 0.6s"), "{err}");
    // The stalled attempt used the whole budget: no retry was started after it, so the call
    // ended when the message says it did (not after three budgets and two pauses).
    assert_eq!(seen.load(Ordering::SeqCst), 1, "one attempt in the budget");
}
