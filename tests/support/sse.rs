//! A minimal `text/event-stream` reader for tests: events, one at a time, with deadlines.

#![allow(dead_code)] // each test binary uses its own subset

use std::time::{Duration, Instant};

use jwctl::api::{WriterDelta, events};

/// One server-sent event.
#[derive(Debug)]
pub struct Event {
    pub kind: String,
    pub id: Option<u64>,
    pub data: String,
}

/// A subscriber reading `text/event-stream`.
pub struct Events {
    response: reqwest::Response,
    buffer: Vec<u8>,
}

impl Events {
    /// Reads the stream of `response`.
    pub fn new(response: reqwest::Response) -> Events {
        Events {
            response,
            buffer: Vec::new(),
        }
    }

    /// The next event, or `None` when the stream ended; fails the test after `within`.
    pub async fn next(&mut self, within: Duration) -> Option<Event> {
        tokio::time::timeout(within, self.read())
            .await
            .expect("no event in time")
    }

    /// The next event, or `None` when the stream ended.
    pub async fn read(&mut self) -> Option<Event> {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let text = String::from_utf8(block).expect("UTF-8 event");
                let mut event = Event {
                    kind: "message".into(),
                    id: None,
                    data: String::new(),
                };
                for line in text.lines() {
                    if let Some(kind) = line.strip_prefix("event: ") {
                        event.kind = kind.to_string();
                    } else if let Some(id) = line.strip_prefix("id: ") {
                        event.id = Some(id.parse().expect("numeric id"));
                    } else if let Some(data) = line.strip_prefix("data: ") {
                        assert!(event.data.is_empty(), "one data line per event: {text}");
                        event.data = data.to_string();
                    }
                }
                return Some(event);
            }
            // A controller killed mid-stream ends it with an error: the end, all the same.
            let chunk = self.response.chunk().await.ok().flatten()?;
            self.buffer.extend_from_slice(&chunk);
        }
    }

    /// Deltas until one satisfies `done`, for at most `within`.
    pub async fn delta_until(
        &mut self,
        within: Duration,
        done: impl Fn(&WriterDelta) -> bool,
    ) -> WriterDelta {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self.next(left).await.expect("the stream ended");
            if event.kind != events::DELTA {
                continue;
            }
            let delta: WriterDelta = serde_json::from_str(&event.data).expect("delta JSON");
            assert_eq!(
                event.id,
                Some(delta.revision),
                "the event id is the revision"
            );
            if done(&delta) {
                return delta;
            }
        }
    }
}
