//! `GET /v1/writers` as it is being serialised: `{"revision":R,"writers":[…]}` in chunks of
//! writers, each serialised on a blocking thread — as many side by side as there are cores —
//! and streamed in order as soon as it is ready, so the transfer and the client's decoding
//! start with the first chunk instead of after the last writer (100k writers are 50 MB).
//! The bytes are exactly those of serialising the whole list at once.

use std::sync::Arc;

use axum::body::Body;
use futures_util::{StreamExt, stream};
use tokio::sync::mpsc;

/// Writers per chunk: about 500 KB of JSON.
const CHUNK: usize = 1_000;

/// Serialised chunks a worker may have waiting before it waits for the client.
const AHEAD: usize = 2;

/// Serialises one item, appending its JSON to the buffer.
pub(crate) type Encode<T> = dyn Fn(&T, &mut Vec<u8>) -> serde_json::Result<()> + Send + Sync;

/// The body of `{"revision":revision,"writers":[items…]}`, each item written by `encode`.
/// Must be called within the Tokio runtime. A failure to serialise ends the body early (the
/// client sees the connection fail) and is logged.
pub(crate) fn writer_list<T: Send + Sync + 'static>(
    revision: u64,
    items: Vec<T>,
    encode: Arc<Encode<T>>,
) -> Body {
    let items = Arc::new(items);
    let chunks = items.len().div_ceil(CHUNK).max(1);
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(chunks);
    let receivers: Vec<_> = (0..workers)
        .map(|worker| {
            let (tx, rx) = mpsc::channel(AHEAD);
            let (items, encode) = (items.clone(), encode.clone());
            tokio::task::spawn_blocking(move || {
                for chunk in (worker..chunks).step_by(workers) {
                    let bytes = serialise_chunk(revision, &items, chunk, chunks, &*encode);
                    if let Err(error) = &bytes {
                        tracing::error!(%error, "serialising writers failed; the list is cut short");
                    }
                    let failed = bytes.is_err();
                    if tx.blocking_send(bytes).is_err() || failed {
                        return;
                    }
                }
            });
            rx
        })
        .collect();
    // Chunk k comes from worker k % workers, so reading the workers in turn keeps the order;
    // the stream ends when the next worker in turn has no more chunks. Fused: layers such as
    // compression may poll a body again after its end.
    let chunks = stream::unfold((receivers, 0usize), |(mut receivers, next)| async move {
        let count = receivers.len();
        let bytes = receivers.get_mut(next % count)?.recv().await?;
        Some((bytes, (receivers, next + 1)))
    })
    .fuse();
    Body::from_stream(chunks)
}

/// Chunk `chunk` of `chunks`: its items, comma-separated (with the comma before it unless it
/// is the first), the list's head in the first and its tail in the last.
fn serialise_chunk<T>(
    revision: u64,
    items: &[T],
    chunk: usize,
    chunks: usize,
    encode: &Encode<T>,
) -> serde_json::Result<Vec<u8>> {
    let start = chunk.saturating_mul(CHUNK).min(items.len());
    let end = start.saturating_add(CHUNK).min(items.len());
    let slice = items.get(start..end).unwrap_or_default();
    let mut out = Vec::with_capacity(slice.len() * 600 + 64);
    if chunk == 0 {
        out.extend_from_slice(br#"{"revision":"#);
        out.extend_from_slice(revision.to_string().as_bytes());
        out.extend_from_slice(br#","writers":["#);
    }
    for (at, item) in slice.iter().enumerate() {
        if start + at > 0 {
            out.push(b',');
        }
        encode(item, &mut out)?;
    }
    if chunk + 1 == chunks {
        out.extend_from_slice(b"]}");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct List<'a> {
        revision: u64,
        writers: &'a [String],
    }

    /// The body's bytes; polling it again after its end finds it still ended.
    async fn collect(body: Body) -> Result<Vec<u8>, String> {
        let mut frames = body.into_data_stream();
        let mut out = Vec::new();
        while let Some(frame) = frames.next().await {
            out.extend_from_slice(&frame.map_err(|e| e.to_string())?);
        }
        assert!(frames.next().await.is_none());
        Ok(out)
    }

    fn encode_string() -> Arc<Encode<String>> {
        Arc::new(|item: &String, out: &mut Vec<u8>| serde_json::to_writer(out, item))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_chunks_make_exactly_the_whole_list() {
        for count in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 7] {
            let items: Vec<String> = (0..count).map(|i| format!("w\"{i}\\")).collect();
            let whole = serde_json::to_vec(&List {
                revision: 42,
                writers: &items,
            });
            let streamed = collect(writer_list(42, items, encode_string())).await;
            assert_eq!(streamed.ok(), whole.ok(), "{count} items");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failure_cuts_the_body_short_with_an_error() {
        let items: Vec<u32> = (0..5 * CHUNK as u32).collect();
        let encode: Arc<Encode<u32>> = Arc::new(|item: &u32, out: &mut Vec<u8>| {
            if *item == 2 * CHUNK as u32 + 5 {
                return Err(serde::ser::Error::custom(
                    "writer 2005 cannot be serialised",
                ));
            }
            serde_json::to_writer(out, item)
        });
        let error = collect(writer_list(7, items, encode)).await.err();
        assert_eq!(error.as_deref(), Some("writer 2005 cannot be serialised"));
    }
}
