//! `GET /v1/events`: Server-Sent Events. Each published delta is framed once
//! (`event: delta`, `id: REV`, `data: JSON` on one line) and the same bytes go to every
//! subscriber; a heartbeat after a quiet spell; a reset (and the end) when a subscriber cannot
//! be kept up to date; the end when the controller stops.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::api::{StreamReset, WriterDelta, events};

/// A heartbeat goes out after this long without an event.
pub(crate) const HEARTBEAT_AFTER: Duration = Duration::from_secs(5);

/// One published delta, framed.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub revision: u64,
    pub bytes: Bytes,
}

fn frame(event: &str, id: Option<u64>, data: &impl Serialize) -> serde_json::Result<Bytes> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"event: ");
    out.extend_from_slice(event.as_bytes());
    out.push(b'\n');
    if let Some(id) = id {
        out.extend_from_slice(format!("id: {id}\n").as_bytes());
    }
    out.extend_from_slice(b"data: ");
    // serde_json escapes control characters in strings: the data is one line.
    serde_json::to_writer(&mut out, data)?;
    out.extend_from_slice(b"\n\n");
    Ok(Bytes::from(out))
}

/// A `delta` event.
pub(crate) fn delta_frame(delta: &WriterDelta) -> serde_json::Result<Frame> {
    Ok(Frame {
        revision: delta.revision,
        bytes: frame(events::DELTA, Some(delta.revision), delta)?,
    })
}

/// A `heartbeat` event.
fn heartbeat_frame(revision: u64) -> Bytes {
    #[derive(Serialize)]
    struct Heartbeat {
        revision: u64,
    }
    frame(events::HEARTBEAT, None, &Heartbeat { revision }).unwrap_or_default()
}

/// A `reset` event.
pub(crate) fn reset_frame(revision: u64, reason: String) -> Bytes {
    frame(events::RESET, None, &StreamReset { revision, reason }).unwrap_or_default()
}

/// Why a subscriber that fell behind is reset.
fn lagged_reason() -> String {
    "this subscriber fell too far behind the event stream; load the full list \
     (GET /v1/writers) and subscribe again from its revision"
        .to_string()
}

/// A subscriber's stream.
pub(crate) struct Subscription {
    /// Sent first (the catch-up delta, or a reset).
    pub first: Option<Bytes>,
    /// Live deltas; `None` ends the stream after `first`.
    pub live: Option<broadcast::Receiver<Frame>>,
    /// The revision the subscriber is at after `first`: live deltas up to it are skipped.
    pub at: u64,
    /// Turns true when the controller stops.
    pub stopping: watch::Receiver<bool>,
}

struct State {
    pending: VecDeque<Bytes>,
    live: Option<broadcast::Receiver<Frame>>,
    at: u64,
    stopping: watch::Receiver<bool>,
}

impl Subscription {
    /// The `text/event-stream` response (never compressed: the compression layer skips the
    /// content type).
    pub fn into_response(self) -> Response {
        let state = State {
            pending: self.first.into_iter().collect(),
            live: self.live,
            at: self.at,
            stopping: self.stopping,
        };
        let stream = futures_util::stream::unfold(state, next);
        let mut response = (StatusCode::OK, Body::from_stream(stream)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        response
    }
}

async fn next(mut state: State) -> Option<(Result<Bytes, Infallible>, State)> {
    if let Some(bytes) = state.pending.pop_front() {
        return Some((Ok(bytes), state));
    }
    let mut live = state.live.take()?;
    loop {
        let received = tokio::select! {
            biased;
            _ = state.stopping.wait_for(|stopping| *stopping) => return None,
            received = tokio::time::timeout(HEARTBEAT_AFTER, live.recv()) => received,
        };
        let bytes = match received {
            Err(_quiet) => heartbeat_frame(state.at),
            Ok(Ok(frame)) if frame.revision <= state.at => continue,
            Ok(Ok(frame)) => {
                state.at = frame.revision;
                frame.bytes
            }
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {
                return Some((Ok(reset_frame(state.at, lagged_reason())), state));
            }
            Ok(Err(broadcast::error::RecvError::Closed)) => return None,
        };
        state.live = Some(live);
        return Some((Ok(bytes), state));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Progress;

    #[test]
    fn frames_are_one_event_with_one_data_line() {
        let delta = WriterDelta {
            revision: 42,
            progress: vec![Progress {
                id: "w\nx".into(),
                checkpoint: None,
                latency_ms: Some(5),
            }],
            ..WriterDelta::default()
        };
        let frame = delta_frame(&delta).ok();
        let text = frame
            .as_ref()
            .map(|f| String::from_utf8_lossy(&f.bytes).into_owned());
        assert_eq!(
            text.as_deref(),
            Some(
                "event: delta\nid: 42\ndata: {\"revision\":42,\"progress\":[[\"w\\nx\",null,5]]}\n\n"
            )
        );
        assert_eq!(
            String::from_utf8_lossy(&heartbeat_frame(7)),
            "event: heartbeat\ndata: {\"revision\":7}\n\n"
        );
    }

    fn text(item: Option<(Result<Bytes, Infallible>, State)>) -> (Option<String>, Option<State>) {
        match item {
            Some((Ok(bytes), state)) => (
                Some(String::from_utf8_lossy(&bytes).into_owned()),
                Some(state),
            ),
            None => (None, None),
        }
    }

    #[tokio::test]
    async fn deltas_already_seen_are_skipped_and_a_lagging_subscriber_is_reset() {
        let (events, live) = broadcast::channel(2);
        let (_stop, stopping) = watch::channel(false);
        let state = State {
            pending: VecDeque::new(),
            live: Some(live),
            at: 5,
            stopping,
        };
        let delta = |revision| {
            delta_frame(&WriterDelta {
                revision,
                removed: vec!["w".into()],
                ..WriterDelta::default()
            })
        };
        for revision in [5, 6] {
            if let Ok(frame) = delta(revision) {
                let _ = events.send(frame);
            }
        }
        let (first, state) = text(next(state).await);
        assert!(first.is_some_and(|t| t.contains("id: 6\n")), "5 is skipped");
        for revision in 7..=9 {
            if let Ok(frame) = delta(revision) {
                let _ = events.send(frame);
            }
        }
        let (reset, state) = text(match state {
            Some(state) => next(state).await,
            None => None,
        });
        assert_eq!(
            reset.as_deref().and_then(|t| t.lines().next()),
            Some("event: reset")
        );
        let (end, _) = text(match state {
            Some(state) => next(state).await,
            None => None,
        });
        assert_eq!(end, None, "the stream ends after a reset");
    }
}
