//! Histories saved with the controller's state, so they survive a graceful restart: packed
//! into chunks of a few megabytes (table `history_chunks`), each a run of records — the writer's id
//! and its series — so a million writers are a few hundred rows written at once, not a million.

use std::collections::HashMap;

use super::Series;
use crate::controller::store::{StateStore, StoreError};

/// A chunk is written once it holds this many bytes.
const CHUNK_BYTES: usize = 4 << 20;

/// Appends a record: the id's length and bytes, then the series.
fn record(chunk: &mut Vec<u8>, id: &str, series: &Series) {
    // Ids longer than 64 KiB are not saved (no backend has them).
    let Ok(len) = u16::try_from(id.len()) else {
        return;
    };
    chunk.extend_from_slice(&len.to_le_bytes());
    chunk.extend_from_slice(id.as_bytes());
    series.encode(chunk);
}

/// The records of a chunk, up to the first that cannot be read.
fn records(chunk: &[u8], into: &mut HashMap<String, Series>) -> bool {
    let mut at = 0;
    while at < chunk.len() {
        let Some(len) = chunk
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
        else {
            return false;
        };
        let Some(id) = chunk
            .get(at + 2..at + 2 + len)
            .and_then(|b| std::str::from_utf8(b).ok())
        else {
            return false;
        };
        let Some((series, used)) = chunk.get(at + 2 + len..).and_then(Series::decode) else {
            return false;
        };
        into.insert(id.to_string(), series);
        at += 2 + len + used;
    }
    true
}

/// The histories saved in `store`; what cannot be read is skipped (and logged).
pub(crate) fn load(store: &dyn StateStore) -> Result<HashMap<String, Series>, StoreError> {
    let mut saved = HashMap::new();
    let mut unreadable = 0usize;
    for chunk in store.history_chunks()? {
        if !records(&chunk, &mut saved) {
            unreadable += 1;
        }
    }
    if unreadable > 0 {
        tracing::warn!(
            unreadable,
            "saved history chunks this version cannot read all of were partly skipped"
        );
    }
    Ok(saved)
}

/// Replaces the histories saved in `store` with `all` (those that saw something), in one
/// transaction; answers how many writers were saved.
pub(crate) fn save<'a>(
    store: &dyn StateStore,
    all: impl Iterator<Item = (&'a str, &'a Series)>,
) -> Result<usize, StoreError> {
    let mut saved = 0;
    let mut all = all.filter(|(_, s)| !s.is_empty()).peekable();
    let mut chunks = std::iter::from_fn(|| {
        all.peek()?;
        let mut chunk = Vec::with_capacity(CHUNK_BYTES + 1024);
        while chunk.len() < CHUNK_BYTES {
            let Some((id, series)) = all.next() else {
                break;
            };
            record(&mut chunk, id, series);
            saved += 1;
        }
        Some(chunk)
    });
    store.replace_history_chunks(&mut chunks)?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::controller::store::SqliteStore;
    use crate::domain::WriterStatus;

    #[test]
    fn histories_read_back_as_saved_across_chunks_and_a_damaged_chunk_loses_only_its_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let t0 = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
        // Series moving every minute for 6 hours (909 bytes each), over two chunks.
        let all: Vec<(String, Series)> = (0..6_000u64)
            .map(|i| {
                let mut s = Series::default();
                for k in 0..360 {
                    let at = t0 + chrono::Duration::minutes(k);
                    s.observe(
                        at,
                        WriterStatus::Running,
                        Some((k as u64 + 1) * 1000 + i % 7),
                    );
                }
                (format!("w{i}"), s)
            })
            .collect();
        let empty = Series::default();
        let with_empty = all
            .iter()
            .map(|(id, s)| (id.as_str(), s))
            .chain(std::iter::once(("never-seen", &empty)));
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(save(&store, with_empty).unwrap(), 6_000);
        let loaded = load(&store).unwrap();
        assert_eq!(loaded.len(), 6_000, "the empty one is not saved");
        for (id, series) in &all {
            assert_eq!(loaded.get(id), Some(series), "{id}");
        }
        let conn = rusqlite::Connection::open(&path).unwrap();
        let chunks: i64 = conn
            .query_row("SELECT COUNT(*) FROM history_chunks", [], |r| r.get(0))
            .unwrap();
        let bytes: i64 = conn
            .query_row("SELECT SUM(length(chunk)) FROM history_chunks", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(chunks > 1, "{chunks} chunks, {bytes} bytes");
        // The first chunk cut short: its last records are lost, the others load.
        conn.execute(
            "UPDATE history_chunks SET chunk = substr(chunk, 1, length(chunk) - 5) WHERE seq = 0",
            [],
        )
        .unwrap();
        let damaged = load(&store).unwrap();
        assert!(
            damaged.len() < 6_000 && damaged.len() > 4_000,
            "{}",
            damaged.len()
        );
    }
}
