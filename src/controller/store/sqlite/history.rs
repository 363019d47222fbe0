//! Saved history chunks in SQLite (table `history_chunks`), in the order they were saved.

use rusqlite::{Connection, params};

/// Every chunk, in order.
pub(super) fn chunks(conn: &Connection) -> rusqlite::Result<Vec<Vec<u8>>> {
    let mut stmt = conn.prepare("SELECT chunk FROM history_chunks ORDER BY seq")?;
    let chunks = stmt.query_map([], |row| row.get(0))?;
    chunks.collect()
}

/// Replaces every chunk with `chunks`, in one transaction.
pub(super) fn replace(
    conn: &mut Connection,
    chunks: &mut dyn Iterator<Item = Vec<u8>>,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM history_chunks", [])?;
    {
        let mut insert = tx.prepare("INSERT INTO history_chunks (seq, chunk) VALUES (?1, ?2)")?;
        for (seq, chunk) in (0i64..).zip(chunks) {
            insert.execute(params![seq, chunk])?;
        }
    }
    tx.commit()
}
