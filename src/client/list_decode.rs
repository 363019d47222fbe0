//! Decoding `GET /v1/writers` while it arrives: the chunks go to a blocking thread that splits
//! the writers out of them ([`ListSplitter`]) and decodes each as soon as it is complete, so
//! decoding 100k writers (50 MB) overlaps the transfer instead of following it. The result
//! is what decoding the whole body at once gives, errors included (they also say which writer
//! or where).

use std::sync::mpsc;

use axum::body::Bytes;
use tokio::task::JoinHandle;

use super::BodySink;
use super::list_split::{ListSplitter, SplitError};
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

/// Why a list could not be decoded.
enum Failure {
    Split(SplitError),
    Writer {
        number: usize,
        error: serde_json::Error,
    },
}

impl From<SplitError> for Failure {
    fn from(error: SplitError) -> Self {
        Failure::Split(error)
    }
}

/// Decodes the chunks as they arrive, until the sender is dropped. Shared text is interned
/// as in any other decode.
fn decode(arriving: &mpsc::Receiver<Bytes>) -> Result<WriterList, String> {
    interning(|| {
        let mut splitter = ListSplitter::default();
        let mut writers: Vec<Writer> = Vec::new();
        for chunk in arriving.iter() {
            splitter
                .feed(&chunk, &mut |text: &[u8]| {
                    let writer = serde_json::from_slice(text).map_err(|error| Failure::Writer {
                        number: writers.len() + 1,
                        error,
                    })?;
                    writers.push(writer);
                    Ok(())
                })
                .map_err(|failure| match failure {
                    Failure::Split(error) => error.to_string(),
                    Failure::Writer { number, error } => format!("writer {number}: {error}"),
                })?;
        }
        let skeleton = splitter.finish().map_err(|error| error.to_string())?;
        let mut list: WriterList =
            serde_json::from_slice(&skeleton.text).map_err(|error| error.to_string())?;
        if skeleton.writers_split {
            list.writers = writers;
        }
        Ok(list)
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
        let body = list_json(50);
        let whole: Result<WriterList, _> = serde_json::from_slice(&body);
        assert!(whole.is_ok());
        for size in [1, 7, 500, body.len()] {
            let streamed = decode_in_chunks(&body, size).await;
            assert_eq!(
                streamed.as_ref().ok(),
                whole.as_ref().ok(),
                "chunks of {size}"
            );
        }
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
