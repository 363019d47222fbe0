//! Decoding `GET /v1/writers` while it arrives: the chunks go to a blocking thread that splits
//! the writers out of them ([`ListSplitter`]) and hands them in batches to decoding threads
//! (one per core) as soon as they are complete, so decoding 100k writers (50 MB) overlaps
//! the transfer instead of following it, and does not trail it on one core. The result is
//! what decoding the whole body at once gives, errors included (they also say which writer
//! or where).

use std::sync::mpsc;

use axum::body::Bytes;
use tokio::task::JoinHandle;

use super::BodySink;
use super::list_split::{ListSplitter, Skeleton, SplitError};
use crate::api::WriterList;
use crate::domain::{Writer, interning};

/// Receives a writer list's chunks and decodes them on a blocking thread.
#[derive(Debug, Default)]
pub(super) struct ListDecoder {
    chunks: Option<mpsc::Sender<Bytes>>,
    decoded: Option<JoinHandle<Result<WriterList, String>>>,
}

impl BodySink for ListDecoder {
    fn restart(&mut self, _length: Option<u64>) {
        let (chunks, arriving) = mpsc::channel();
        self.chunks = Some(chunks);
        // An earlier attempt's decoder sees its input end, fails and is dropped.
        self.decoded = Some(tokio::task::spawn_blocking(move || decode(&arriving)));
    }

    fn push(&mut self, chunk: Bytes) -> bool {
        self.chunks
            .as_ref()
            .is_some_and(|chunks| chunks.send(chunk).is_ok())
    }
}

impl ListDecoder {
    /// The list, once the body has ended (or the decoder stopped at an error).
    pub async fn finish(mut self) -> Result<WriterList, String> {
        drop(self.chunks.take());
        match self.decoded.take() {
            Some(decoded) => decoded
                .await
                .map_err(|error| format!("decoding the writers stopped: {error}"))?,
            None => Err("no answer to decode".into()),
        }
    }
}

/// Writers per batch handed to a decoding thread.
const BATCH: usize = 512;

/// Consecutive writers' texts, for one decoding thread.
struct Batch {
    /// The number of its first writer in the list, from 1.
    first: usize,
    text: Vec<u8>,
    /// Where each writer's text ends in `text`.
    ends: Vec<usize>,
}

impl Batch {
    fn starting_at(first: usize) -> Batch {
        Batch {
            first,
            text: Vec::new(),
            ends: Vec::with_capacity(BATCH),
        }
    }
}

/// Why splitting stopped early.
enum Stop {
    Split(SplitError),
    /// A decoding thread stopped at a bad writer (it says which).
    DecoderStopped,
}

impl From<SplitError> for Stop {
    fn from(error: SplitError) -> Self {
        Stop::Split(error)
    }
}

/// Decodes the chunks as they arrive, until the sender is dropped: this thread splits the
/// writers out and hands them in batches, in turn, to one decoding thread per core. Errors
/// are those of decoding in order: the first bad writer, else the first fault in the
/// list's structure. Shared text is interned per decoding thread.
fn decode(arriving: &mpsc::Receiver<Bytes>) -> Result<WriterList, String> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    std::thread::scope(|scope| {
        let (batches, decoders): (Vec<_>, Vec<_>) = (0..threads)
            .map(|_| {
                let (batches, receiver) = mpsc::channel();
                (batches, scope.spawn(move || decode_batches(&receiver)))
            })
            .unzip();
        let split = split_batches(arriving, &batches);
        drop(batches);
        let mut decoded = Vec::new();
        let mut first_failure: Option<(usize, String)> = None;
        for decoder in decoders {
            match decoder.join() {
                Ok(Ok(writers)) => decoded.extend(writers),
                Ok(Err((number, message))) => {
                    if first_failure
                        .as_ref()
                        .is_none_or(|(first, _)| number < *first)
                    {
                        first_failure = Some((number, message));
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        if let Some((_, message)) = first_failure {
            return Err(message);
        }
        let skeleton = match split {
            Ok(skeleton) => skeleton,
            Err(Stop::Split(error)) => return Err(error.to_string()),
            Err(Stop::DecoderStopped) => return Err("decoding the writers stopped".into()),
        };
        let mut list: WriterList = interning(|| serde_json::from_slice(&skeleton.text))
            .map_err(|error| error.to_string())?;
        if skeleton.writers_split {
            decoded.sort_unstable_by_key(|(first, _)| *first);
            let count = decoded.iter().map(|(_, writers)| writers.len()).sum();
            let mut writers = Vec::with_capacity(count);
            for (_, batch) in decoded {
                writers.extend(batch);
            }
            list.writers = writers;
        }
        Ok(list)
    })
}

/// Splits the arriving chunks into batches of writers, sent to `decoders` in turn; the
/// skeleton once the body has ended. A batch is sent before any fault after it is reported.
fn split_batches(
    arriving: &mpsc::Receiver<Bytes>,
    decoders: &[mpsc::Sender<Batch>],
) -> Result<Skeleton, Stop> {
    let mut splitter = ListSplitter::default();
    let mut batch = Batch::starting_at(1);
    let mut sent = 0;
    let mut send = |batch: Batch| -> Result<(), Stop> {
        let decoder = decoders.get(sent % decoders.len().max(1));
        sent += 1;
        match decoder {
            Some(decoder) if decoder.send(batch).is_ok() => Ok(()),
            _ => Err(Stop::DecoderStopped),
        }
    };
    let mut fed: Result<(), Stop> = Ok(());
    for chunk in arriving.iter() {
        fed = splitter.feed(&chunk, &mut |text: &[u8]| {
            batch.text.extend_from_slice(text);
            batch.ends.push(batch.text.len());
            if batch.ends.len() == BATCH {
                let next = Batch::starting_at(batch.first + BATCH);
                send(std::mem::replace(&mut batch, next))?;
            }
            Ok(())
        });
        if fed.is_err() {
            break;
        }
    }
    if !batch.ends.is_empty() {
        send(batch)?;
    }
    fed?;
    Ok(splitter.finish()?)
}

/// A batch's writers, with the number of its first.
type Decoded = (usize, Vec<Writer>);

/// Decodes batches until there are no more: each batch's writers with the number of its
/// first; or the number of the first bad writer and what was wrong with it.
fn decode_batches(batches: &mpsc::Receiver<Batch>) -> Result<Vec<Decoded>, (usize, String)> {
    interning(|| {
        let mut decoded = Vec::new();
        for batch in batches.iter() {
            let mut writers = Vec::with_capacity(batch.ends.len());
            let mut start = 0;
            for (at, &end) in batch.ends.iter().enumerate() {
                let text = batch.text.get(start..end).unwrap_or_default();
                let writer = serde_json::from_slice(text).map_err(|error| {
                    let number = batch.first + at;
                    (number, format!("writer {number}: {error}"))
                })?;
                writers.push(writer);
                start = end;
            }
            decoded.push((batch.first, writers));
        }
        Ok(decoded)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `body` arriving in chunks of `size` bytes.
    async fn decode_in_chunks(body: &[u8], size: usize) -> Result<WriterList, String> {
        let mut decoder = ListDecoder::default();
        decoder.restart(None);
        for chunk in body.chunks(size) {
            if !decoder.push(Bytes::copy_from_slice(chunk)) {
                break;
            }
        }
        decoder.finish().await
    }

    fn list_json(count: usize) -> Vec<u8> {
        let writers = crate::controller::demo_writers(count, 3, chrono::Utc::now());
        serde_json::to_vec(&WriterList {
            revision: 9,
            writers,
        })
        .unwrap_or_default()
    }

    #[tokio::test]
    async fn decodes_what_decoding_the_whole_body_gives() {
        for (count, sizes) in [
            (50, vec![1, 500]),
            (2 * BATCH + 7, vec![7, 4096, usize::MAX]),
        ] {
            let body = list_json(count);
            let whole: Result<WriterList, _> = serde_json::from_slice(&body);
            assert_eq!(
                whole.as_ref().map(|list| list.writers.len()).ok(),
                Some(count)
            );
            for size in sizes {
                let streamed = decode_in_chunks(&body, size.min(body.len())).await;
                assert_eq!(
                    streamed.as_ref().ok(),
                    whole.as_ref().ok(),
                    "{count} writers in chunks of {size}"
                );
            }
        }
    }

    #[tokio::test]
    async fn the_first_bad_writer_is_the_one_reported() {
        let list: Option<WriterList> = serde_json::from_slice(&list_json(3 * BATCH)).ok();
        let mut list = serde_json::to_value(list).unwrap_or_default();
        for number in [BATCH + 3, 2 * BATCH + 1, 2 * BATCH + 9] {
            list["writers"][number - 1]["kind"] = "sideways".into();
        }
        let body = serde_json::to_vec(&list).unwrap_or_default();
        let error = decode_in_chunks(&body, 4096).await.err();
        let expected = format!("writer {}: unknown variant `sideways`", BATCH + 3);
        assert!(
            error.as_deref().is_some_and(|e| e.starts_with(&expected)),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_bad_writer_or_a_cut_list_is_refused_saying_which_and_where() {
        let body = String::from_utf8(list_json(3)).unwrap_or_default();
        let bad = body.replacen(r#""status":"#, r#""state":"#, 2);
        let error = decode_in_chunks(bad.as_bytes(), 64).await.err();
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.starts_with("writer 1: missing field `status`")),
            "{error:?}"
        );
        let cut = &body.as_bytes()[..body.len() - 10];
        let error = decode_in_chunks(cut, 64).await.err();
        assert_eq!(
            error,
            Some(format!("the list ends in the middle at byte {}", cut.len()))
        );
        let no_revision = r#"{"writers":[]}"#;
        let error = decode_in_chunks(no_revision.as_bytes(), 3).await.err();
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.starts_with("missing field `revision`")),
            "{error:?}"
        );
    }
}
