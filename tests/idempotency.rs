//! `Idempotency-Key`: a repeated key gets the first answer without acting again — error
//! answers included, across a restart, per identity — a reused key with another request is
//! 422, and the client's one retry after a lost answer acts once.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use jwctl::api::Role;
use jwctl::client::{Client, ClientOptions};
use jwctl::controller::{Access, ControllerConfig, ControllerHandle, start};
use jwctl::domain::{ManualClock, WriterStatus};
use jwctl::tokens_file;
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::t0;

async fn controller(dir: &std::path::Path, clock: Arc<ManualClock>) -> ControllerHandle {
    start(ControllerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("data"),
        access: Access::TokensFile(dir.join("tokens.toml")),
        demo_fleet: Some(30),
        regions: 1,
        transition: Duration::from_millis(100),
        clock,
        oms: None,
        tls: None,
        state: jwctl::controller::StateLocation::DataDir,
    })
    .await
    .unwrap()
}

/// Status, body and whether it was a replay, of a pause of `id` with `key`.
async fn pause(
    handle: &ControllerHandle,
    token: &str,
    id: &str,
    key: &str,
    if_match: Option<&str>,
) -> (StatusCode, String, bool) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/v1/writers/{id}/pause", handle.url()))
        .bearer_auth(token)
        .header("idempotency-key", key);
    if let Some(version) = if_match {
        request = request.header("if-match", version);
    }
    let answer = request.send().await.unwrap();
    let replayed = answer.headers().contains_key("idempotent-replayed");
    (answer.status(), answer.text().await.unwrap(), replayed)
}

#[tokio::test]
async fn a_repeated_key_gets_the_first_answer_once_acted_even_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.toml");
    let otto = tokens_file::add(&tokens, "otto", Role::Operator, Utc::now()).unwrap();
    let olga = tokens_file::add(&tokens, "olga", Role::Operator, Utc::now()).unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let handle = controller(dir.path(), clock.clone()).await;
    let client = Client::new(ClientOptions::new(handle.url(), Some(otto.clone()))).unwrap();
    let writers = client.list_writers(None).await.unwrap().writers;
    let mut running = writers.iter().filter(|w| w.status == WriterStatus::Running);
    let (first, second) = (running.next().unwrap(), running.next().unwrap());

    let answer = pause(&handle, &otto, &first.id, "key-1", None).await;
    assert_eq!((answer.0, answer.2), (StatusCode::OK, false));
    let again = pause(&handle, &otto, &first.id, "key-1", None).await;
    assert_eq!(
        again,
        (StatusCode::OK, answer.1.clone(), true),
        "the same answer"
    );
    // Another identity's key of the same name is its own: olga's pause is a no-op, audited.
    let theirs = pause(&handle, &olga, &first.id, "key-1", None).await;
    assert_eq!((theirs.0, theirs.2), (StatusCode::OK, false));
    // The same key for another request.
    let reused = pause(&handle, &otto, &second.id, "key-1", None).await;
    assert_eq!(reused.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reused.1.contains("idempotency_key_reused"), "{}", reused.1);
    // An error answer is kept too: a stale If-Match stays a 412 even once it would match.
    let stale = Some("999");
    let refused = pause(&handle, &otto, &second.id, "key-2", stale).await;
    assert_eq!(refused.0, StatusCode::PRECONDITION_FAILED);
    let actors: Vec<String> = client
        .audit(&first.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.actor)
        .collect();
    assert_eq!(actors, ["olga", "otto"], "otto's pause acted once");

    handle.shutdown().await;
    let handle = controller(dir.path(), clock.clone()).await;
    let after = pause(&handle, &otto, &first.id, "key-1", None).await;
    assert_eq!(
        after,
        (StatusCode::OK, answer.1.clone(), true),
        "after a restart"
    );
    let kept_error = pause(&handle, &otto, &second.id, "key-2", stale).await;
    assert_eq!(kept_error, (refused.0, refused.1, true));
    let client = Client::new(ClientOptions::new(handle.url(), Some(otto.clone()))).unwrap();
    assert_eq!(client.audit(&first.id, 10).await.unwrap().len(), 2);

    // A day later the key is forgotten: the request acts (a no-op now) and is audited.
    clock.advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
    let later = pause(&handle, &otto, &first.id, "key-1", None).await;
    assert_eq!((later.0, later.2), (StatusCode::OK, false));
    assert_eq!(client.audit(&first.id, 10).await.unwrap().len(), 3);

    let bad = pause(&handle, &otto, &first.id, "", None).await;
    assert_eq!(bad.0, StatusCode::BAD_REQUEST);
    handle.shutdown().await;
}

/// Forwards one connection to `upstream`, but drops the controller's answer to the first
/// request it carries: the operation happened, and the client saw its connection fail.
/// (A stand-in for a network that loses an answer, which cannot be caused on loopback.)
async fn answer_losing_proxy(upstream: std::net::SocketAddr) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((mut client, _)) = listener.accept().await {
            let mut server = tokio::net::TcpStream::connect(upstream).await.unwrap();
            if first {
                first = false;
                // One request: read what the client sends, pass it on, wait for the
                // answer, then hang up on the client without it.
                let mut request = vec![0u8; 64 * 1024];
                let n = client.read(&mut request).await.unwrap_or(0);
                let _ = server.write_all(&request[..n]).await;
                let mut answer = [0u8; 1024];
                let _ = server.read(&mut answer).await;
                drop(client);
                continue;
            }
            tokio::spawn(async move {
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn the_client_retries_once_after_a_lost_answer_and_the_writer_is_paused_once() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.toml");
    let otto = tokens_file::add(&tokens, "otto", Role::Operator, Utc::now()).unwrap();
    let handle = controller(dir.path(), Arc::new(ManualClock::new(t0()))).await;
    let direct = Client::new(ClientOptions::new(handle.url(), Some(otto.clone()))).unwrap();
    let writers = direct.list_writers(None).await.unwrap().writers;
    let writer = writers
        .iter()
        .find(|w| w.status == WriterStatus::Running)
        .unwrap();

    let proxy = answer_losing_proxy(handle.addr()).await;
    let through = Client::new(ClientOptions::new(format!("http://{proxy}"), Some(otto))).unwrap();
    let paused = through
        .pause(&writer.id, Some(writer.version))
        .await
        .unwrap();
    assert_eq!(paused.status, WriterStatus::Pausing);
    let audit = direct.audit(&writer.id, 10).await.unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].result, "ok");
    handle.shutdown().await;
}
