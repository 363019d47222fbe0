//! `Idempotency-Key` on the POSTs: the first answer to a key (error answers included) is kept
//! in the database for 24 hours, per identity, and given again to a request that repeats
//! it, without acting again — across a restart too. The same key with a different request
//! (method, path, If-Match or body) is 422 `idempotency_key_reused`. Requests with the same
//! key that arrive together are answered one after the other, so only the first acts — on
//! several replicas too: the first claims the key in the shared database, and the others wait
//! for its answer (a claim whose replica died answering is taken over after two minutes; an
//! answer the database did not take is tried again until well before then).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, IF_MATCH};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use sha2::{Digest, Sha256};

use super::backend::{blocking, lock};
use super::error::ApiError;
use super::http::BODY_LIMIT;
use super::store::retry::{Record, write_or_try_again};
use super::store::{Claim, KeptAnswer, StateStore, StoreError};
use crate::api::{ErrorCode, Identity};
use crate::domain::SharedClock;

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on an answer given again for a repeated key.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long a key's answer is kept.
pub const KEPT_FOR: Duration = Duration::hours(24);
/// The longest key.
pub const KEY_MAX_CHARS: usize = 128;

/// A request with a key still unanswered this long after it began is taken as abandoned (the
/// replica answering it died): the next request with the key is answered afresh. Far above the
/// longest a request takes: a start or pause on OMS waits at most 45 s for its turn and makes
/// at most 4 calls of 10 s; the database's calls take 3 s at most.
const ABANDONED_AFTER: Duration = Duration::minutes(2);

/// How long a request waits for the answer to one with the same key that another replica
/// is answering, looking every [`ANSWERING_POLL`].
const ANSWERING_WAIT: std::time::Duration = std::time::Duration::from_secs(20);
const ANSWERING_POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// An answer the database did not take (it did not answer) is tried again until this long
/// after its key was claimed: well before the claim is taken as abandoned
/// ([`ABANDONED_AFTER`]), so it never overwrites a later request's claim.
const KEEP_TRYING_FOR: std::time::Duration = std::time::Duration::from_secs(90);

/// Held while a request with one (identity, key) is being answered.
type KeyLock = Arc<tokio::sync::Mutex<()>>;

/// The answers of idempotent requests, in the controller's database.
pub(crate) struct IdempotencyStore {
    store: Arc<dyn StateStore>,
    clock: SharedClock,
    /// One lock per (identity, key) while a request with it is being answered.
    in_flight: Mutex<HashMap<(String, String), KeyLock>>,
}

impl std::fmt::Debug for IdempotencyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotencyStore").finish_non_exhaustive()
    }
}

impl IdempotencyStore {
    /// Answers kept in `store`, for 24 hours from `clock`'s now.
    pub fn new(store: Arc<dyn StateStore>, clock: SharedClock) -> IdempotencyStore {
        IdempotencyStore {
            store,
            clock,
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    fn claim(&self, identity: &str, key: &str, fingerprint: &str) -> Result<Claim, StoreError> {
        let now = self.clock.now();
        self.store.claim_key(
            identity,
            key,
            fingerprint,
            now,
            now - KEPT_FOR,
            now - ABANDONED_AFTER,
        )
    }

    fn keep(&self, identity: &str, key: &str, kept: &KeptAnswer) -> Result<(), StoreError> {
        let now = self.clock.now();
        self.store
            .keep_answer(identity, key, kept, now, now - KEPT_FOR)
    }

    fn key_lock(&self, identity: &str, key: &str) -> KeyLock {
        let mut in_flight = lock(&self.in_flight);
        // Forget the locks nobody holds or waits for.
        in_flight.retain(|_, lock| Arc::strong_count(lock) > 1);
        in_flight
            .entry((identity.to_string(), key.to_string()))
            .or_default()
            .clone()
    }
}

/// What makes two requests the same: method, path, If-Match and body.
fn fingerprint(request: &axum::http::request::Parts, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [
        request.method.as_str().as_bytes(),
        request.uri.path().as_bytes(),
        request
            .headers
            .get(IF_MATCH)
            .map_or(&b""[..], HeaderValue::as_bytes),
    ] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.update(body);
    crate::hex::encode(&hash.finalize())
}

fn replay(kept: KeptAnswer) -> Response {
    let status = StatusCode::from_u16(kept.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, kept.body).into_response();
    if let Some(value) = kept
        .content_type
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response.headers_mut().insert(
        HeaderName::from_static(REPLAYED),
        HeaderValue::from_static("true"),
    );
    response
}

fn key_of(request: &Request) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value.to_str().ok().map(str::trim).filter(|k| {
        !k.is_empty() && k.len() <= KEY_MAX_CHARS && k.bytes().all(|b| b.is_ascii_graphic())
    });
    match key {
        Some(key) => Ok(Some(key.to_string())),
        None => Err(ApiError::bad_request(format!(
            "the Idempotency-Key must be 1 to {KEY_MAX_CHARS} visible ASCII characters, e.g. a \
             random UUID"
        ))),
    }
}

fn storage_error(error: StoreError) -> ApiError {
    ApiError::store(
        "the idempotency record could not be read or written",
        &error,
    )
}

/// Middleware (after authentication): answers a repeated key from the store, otherwise runs
/// the request and keeps its answer.
pub(crate) async fn idempotent(
    State(store): State<Arc<IdempotencyStore>>,
    request: Request,
    next: Next,
) -> Response {
    let key = match key_of(&request) {
        Ok(Some(key)) => key,
        Ok(None) => return next.run(request).await,
        Err(error) => return error.into_response(),
    };
    let Some(identity) = request
        .extensions()
        .get::<Identity>()
        .map(|i| i.name.clone())
    else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the request body is larger than {} KiB", BODY_LIMIT / 1024),
        )
        .into_response();
    };
    let fingerprint = fingerprint(&parts, &body);
    let key_lock = store.key_lock(&identity, &key);
    let _answering = key_lock.lock().await;
    let reused = || {
        ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            format!(
                "the Idempotency-Key {key:?} was used within the last 24 h for a different \
                 request; send a new key for a new request"
            ),
        )
        .into_response()
    };
    let waiting = std::time::Instant::now();
    let claimed_at = loop {
        // No later than the claim's own time, from which it is taken as abandoned.
        let asked = std::time::Instant::now();
        let claimed = {
            let (store, identity, key, fingerprint) = (
                store.clone(),
                identity.clone(),
                key.clone(),
                fingerprint.clone(),
            );
            blocking("claiming an idempotency key failed", move || {
                store
                    .claim(&identity, &key, &fingerprint)
                    .map_err(storage_error)
            })
            .await
        };
        match claimed {
            Err(error) => return error.into_response(),
            Ok(Claim::Mine) => break asked,
            Ok(Claim::Answered(kept)) if kept.fingerprint == fingerprint => return replay(kept),
            Ok(Claim::Answered(_)) => return reused(),
            Ok(Claim::Answering(first)) if first != fingerprint => return reused(),
            Ok(Claim::Answering(_)) if waiting.elapsed() >= ANSWERING_WAIT => {
                return ApiError::new(
                    ErrorCode::IdempotencyKeyAnswering,
                    format!(
                        "a request with the Idempotency-Key {key:?} began over {} s ago and has \
                         no answer yet (another replica is still answering it, or died doing so: \
                         after {} s the key is answered afresh); send the same request again \
                         later",
                        ANSWERING_WAIT.as_secs(),
                        ABANDONED_AFTER.num_seconds()
                    ),
                )
                .into_response();
            }
            // Another replica is answering it: its answer is this one's.
            Ok(Claim::Answering(_)) => tokio::time::sleep(ANSWERING_POLL).await,
        }
    };
    // A task of its own: a client hanging up must not leave the key claimed without its
    // answer (the request's future is dropped then), nor the operation half done.
    let answering = tokio::spawn(answer_and_keep(
        store,
        identity,
        key,
        fingerprint,
        claimed_at,
        Request::from_parts(parts, Body::from(body)),
        next,
    ));
    match answering.await {
        Ok(response) => response,
        Err(error) => ApiError::internal("answering the request failed", &error).into_response(),
    }
}

/// Runs `request` and keeps its answer for `identity`'s `key`, claimed at `claimed_at`.
async fn answer_and_keep(
    store: Arc<IdempotencyStore>,
    identity: String,
    key: String,
    fingerprint: String,
    claimed_at: std::time::Instant,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let (parts, body) = response.into_parts();
    let body: Bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(error) => {
            return ApiError::internal("the answer could not be read to keep it", &error)
                .into_response();
        }
    };
    let kept = KeptAnswer {
        fingerprint,
        status: parts.status.as_u16(),
        content_type: parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body: body.to_vec(),
    };
    let write = move || store.keep(&identity, &key, &kept);
    let record = Record {
        what: "the answer to an Idempotency-Key".to_string(),
        if_lost: format!(
            "the key is answered afresh {} s after it was claimed",
            ABANDONED_AFTER.num_seconds()
        ),
    };
    // The operation was done, and is answered as done: only its replay is at stake.
    write_or_try_again(write, claimed_at + KEEP_TRYING_FOR, record).await;
    Response::from_parts(parts, Body::from(body))
}
