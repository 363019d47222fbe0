//! Histories saved with the controller's state (table `history`, one row per writer), so
//! they survive a graceful restart.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::params;

use super::Series;
use crate::controller::db::open_writable;

/// The histories saved in the database at `path`; a row that cannot be read is skipped (and
/// logged once with how many).
pub(crate) fn load(path: &Path) -> rusqlite::Result<HashMap<String, Box<Series>>> {
    let conn = open_writable(path)?;
    let mut stmt = conn.prepare("SELECT writer_id, series FROM history")?;
    let mut rows = stmt.query([])?;
    let mut saved = HashMap::new();
    let mut unreadable = 0usize;
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let bytes: Vec<u8> = row.get(1)?;
        match Series::from_bytes(&bytes) {
            Some(series) => {
                saved.insert(id, series);
            }
            None => unreadable += 1,
        }
    }
    if unreadable > 0 {
        tracing::warn!(
            unreadable,
            "saved histories in a form this version does not read were skipped"
        );
    }
    Ok(saved)
}

/// Replaces the saved histories with `all` (those that saw something), in one transaction.
pub(crate) fn save<'a>(
    path: &Path,
    all: impl Iterator<Item = (&'a str, &'a Series)>,
) -> rusqlite::Result<usize> {
    let mut conn = open_writable(path)?;
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM history", [])?;
    let mut saved = 0;
    {
        let mut insert = tx.prepare("INSERT INTO history (writer_id, series) VALUES (?1, ?2)")?;
        for (id, series) in all.filter(|(_, s)| !s.is_empty()) {
            insert.execute(params![id, series.to_bytes()])?;
            saved += 1;
        }
    }
    tx.commit()?;
    Ok(saved)
}
