//! Following the controller's changes: `GET /v1/writers?since=REV` and the event stream of
//! `GET /v1/events` (Server-Sent Events).

use std::time::Duration;

use reqwest::header::ACCEPT;
use reqwest::{Method, Response};

use super::{Client, ClientError};
use crate::api::{StreamReset, WriterDelta, events};

/// The controller sends a heartbeat after 5 s without changes: a stream silent for this long
/// is taken as lost.
pub const STREAM_IDLE_LIMIT: Duration = Duration::from_secs(15);

/// Largest event accepted (a delta of a whole large fleet, uncompressed).
const MAX_EVENT_BYTES: usize = 256 * 1024 * 1024;
/// What the line buffer keeps between events: one large event (a catch-up after the first
/// list is tens of megabytes at a million writers) does not stay resident for the whole run.
const KEPT_BUFFER_BYTES: usize = 1024 * 1024;

/// One event of the stream, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// What changed; a heartbeat comes as an empty delta carrying the current revision.
    Delta(WriterDelta),
    /// The controller cannot bring this subscriber up to date: load the full list, then
    /// follow again from its revision. The stream has ended.
    Reset(StreamReset),
}

impl Client {
    /// `GET /v1/writers?since=REV`: what changed after revision `since`. A revision the
    /// controller can no longer answer from fails with code `revision_expired` (410).
    pub async fn writers_since(&self, since: u64) -> Result<WriterDelta, ClientError> {
        let since = since.to_string();
        self.get(&["v1", "writers"], &[("since", since.as_str())])
            .await
    }

    /// Opens `GET /v1/events[?since=REV]`. Opening has the call's whole budget; once open,
    /// the stream lasts until the controller ends it, or is taken as lost after
    /// [`STREAM_IDLE_LIMIT`] of silence.
    pub async fn events(&self, since: Option<u64>) -> Result<EventStream, ClientError> {
        let mut url = self.url(&["v1", "events"])?;
        if let Some(since) = since {
            url.query_pairs_mut()
                .append_pair("since", &since.to_string());
        }
        let request = self
            .http
            .request(Method::GET, url)
            .header(ACCEPT, "text/event-stream");
        let opened = tokio::time::timeout(self.options.request_timeout, request.send()).await;
        let response = opened
            .map_err(|_| self.timeout())?
            .map_err(|e| self.transport_error(e))?;
        let status = response.status();
        if !status.is_success() {
            let body = tokio::time::timeout(self.options.request_timeout, response.bytes())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            return Err(super::api_error(status, &body));
        }
        Ok(EventStream {
            client: self.clone(),
            response,
            parser: Parser::default(),
            ended: false,
        })
    }
}

/// An open event stream.
#[derive(Debug)]
pub struct EventStream {
    client: Client,
    response: Response,
    parser: Parser,
    ended: bool,
}

impl EventStream {
    /// The next event, `Ok(None)` once the controller ended the stream (after a reset, or on
    /// shutdown). Unknown event types are skipped.
    pub async fn next(&mut self) -> Result<Option<StreamEvent>, ClientError> {
        loop {
            while let Some(raw) = self.parser.next_event() {
                if let Some(event) = self.decode(raw)? {
                    if matches!(event, StreamEvent::Reset(_)) {
                        self.ended = true;
                    }
                    return Ok(Some(event));
                }
            }
            if self.ended {
                return Ok(None);
            }
            let chunk = tokio::time::timeout(STREAM_IDLE_LIMIT, self.response.chunk()).await;
            let chunk = chunk
                .map_err(|_| self.lost(format!("nothing for {}s", STREAM_IDLE_LIMIT.as_secs())))?
                .map_err(|e| self.client.transport_error(e))?;
            match chunk {
                Some(bytes) => self
                    .parser
                    .feed(&bytes)
                    .map_err(|detail| self.lost(detail))?,
                None => return Ok(None),
            }
        }
    }

    fn decode(&self, raw: RawEvent) -> Result<Option<StreamEvent>, ClientError> {
        let bad = |e: serde_json::Error| ClientError::Decode {
            url: self.client.base_url().to_string(),
            detail: format!("a '{}' event: {e}", raw.event),
        };
        Ok(Some(match raw.event.as_str() {
            // A heartbeat's data, `{"revision": N}`, is an empty delta.
            events::DELTA | events::HEARTBEAT => StreamEvent::Delta(
                crate::domain::interning(|| serde_json::from_str(&raw.data)).map_err(bad)?,
            ),
            events::RESET => StreamEvent::Reset(serde_json::from_str(&raw.data).map_err(bad)?),
            _ => return Ok(None),
        }))
    }

    fn lost(&self, detail: String) -> ClientError {
        ClientError::Unreachable {
            url: self.client.base_url().to_string(),
            detail: format!("the event stream broke off: {detail}"),
        }
    }
}

/// One event as it came: its type (`message` when none was given) and its data lines.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RawEvent {
    event: String,
    data: String,
}

/// The Server-Sent Events wire format, fed in chunks: lines ended by LF or CRLF, fields
/// `event:` and `data:` (repeated data lines joined by LF), comments starting with `:`, an
/// empty line dispatching the event.
#[derive(Debug, Default)]
struct Parser {
    pending: Vec<u8>,
    /// How much of `pending` is known to hold no line end (a long line arrives in many
    /// chunks: each byte is looked at once).
    scanned: usize,
    event: Option<String>,
    data: Option<String>,
    ready: std::collections::VecDeque<RawEvent>,
}

impl Parser {
    fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.pending.extend_from_slice(bytes);
        let mut start = 0;
        let mut from = self.scanned;
        while let Some(end) = self.pending[from..].iter().position(|&b| b == b'\n') {
            let line_end = from + end;
            let line = &self.pending[start..line_end];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let line = String::from_utf8_lossy(line).into_owned();
            self.line(&line);
            start = line_end + 1;
            from = start;
        }
        self.pending.drain(..start);
        if self.pending.capacity() > KEPT_BUFFER_BYTES && self.pending.len() <= KEPT_BUFFER_BYTES {
            self.pending.shrink_to(KEPT_BUFFER_BYTES);
        }
        self.scanned = self.pending.len();
        let size = self.pending.len() + self.data.as_ref().map_or(0, String::len);
        if size > MAX_EVENT_BYTES {
            return Err(format!(
                "an event larger than {} MiB",
                MAX_EVENT_BYTES / 1024 / 1024
            ));
        }
        Ok(())
    }

    fn line(&mut self, line: &str) {
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                let event = self.event.take().unwrap_or_else(|| "message".into());
                self.ready.push_back(RawEvent { event, data });
            }
            self.event = None;
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            _ => {}
        }
    }

    fn next_event(&mut self) -> Option<RawEvent> {
        self.ready.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events_of(chunks: &[&str]) -> Vec<RawEvent> {
        let mut parser = Parser::default();
        let mut out = Vec::new();
        for chunk in chunks {
            assert_eq!(parser.feed(chunk.as_bytes()), Ok(()));
            while let Some(event) = parser.next_event() {
                out.push(event);
            }
        }
        out
    }

    fn raw(event: &str, data: &str) -> RawEvent {
        RawEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn a_large_event_does_not_leave_a_large_buffer_behind() {
        let large = format!(
            "event: delta\ndata: {}\n",
            "x".repeat(8 * KEPT_BUFFER_BYTES)
        );
        let mut parser = Parser::default();
        for chunk in large.as_bytes().chunks(64 * 1024) {
            assert_eq!(parser.feed(chunk), Ok(()));
        }
        assert!(parser.pending.capacity() <= KEPT_BUFFER_BYTES);
        assert_eq!(parser.feed(b"\n"), Ok(()));
        let event = parser.next_event().map(|e| e.data.len());
        assert_eq!(event, Some(8 * KEPT_BUFFER_BYTES));
    }

    #[test]
    fn events_split_anywhere_across_chunks_come_out_whole() {
        let stream = "event: delta\nid: 7\ndata: {\"revision\":7}\n\n: keep-alive\n\nevent: heartbeat\r\ndata:{\"revision\":7}\r\n\r\n";
        let whole = events_of(&[stream]);
        assert_eq!(
            whole,
            vec![
                raw("delta", "{\"revision\":7}"),
                raw("heartbeat", "{\"revision\":7}")
            ]
        );
        for cut in 0..stream.len() {
            let (a, b) = stream.split_at(cut);
            assert_eq!(events_of(&[a, b]), whole, "cut at {cut}");
        }
    }

    #[test]
    fn data_lines_join_and_events_without_a_type_are_messages() {
        assert_eq!(
            events_of(&["data: a\ndata: b\n\nevent: x\n\n"]),
            vec![raw("message", "a\nb")]
        );
    }

    #[test]
    fn an_endless_event_is_refused() {
        let mut parser = Parser::default();
        let line = vec![b'x'; 1024 * 1024];
        let mut result = Ok(());
        for _ in 0..300 {
            result = parser.feed(&line);
            if result.is_err() {
                break;
            }
        }
        assert!(result.is_err_and(|e| e.contains("MiB")));
    }
}
