//! The change feed's revisions, reserved ahead in blocks (`meta` row `feed_reserved`), so the
//! fleet revision never goes backwards across a restart, a crash included, without a write per
//! revision: a run publishes only revisions up to what it reserved, and the next run starts
//! above it.

use rusqlite::{Connection, OptionalExtension, params};

/// The highest revision an earlier run may have published: the last reservation, or the
/// simulated fleet's own revision when that is higher (a database from before the feed).
pub(super) fn used(conn: &Connection) -> rusqlite::Result<u64> {
    let value = |key: &str| {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
            row.get::<_, i64>(0)
        })
        .optional()
        .map(|v| v.map_or(0, |v| u64::try_from(v).unwrap_or(0)))
    };
    Ok(value("feed_reserved")?.max(value("revision")?))
}

/// Records that revisions up to `bound` may be published (durably, before any is).
pub(super) fn reserve(conn: &Connection, bound: u64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('feed_reserved', ?1)
             ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)",
    )?
    .execute(params![i64::try_from(bound).unwrap_or(i64::MAX)])?;
    Ok(())
}
