//! The change feed's revisions (`meta` row `feed_reserved`): each run takes a span of them
//! that no run took before, durably before it publishes any, so the fleet revision never goes
//! backwards across a restart, a crash included, without a write per revision.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// Takes `span` revisions above every one taken before (and above the simulated fleet's own
/// revision, for a database from before the feed): answers the first.
pub(super) fn take(conn: &mut Connection, span: u64) -> rusqlite::Result<u64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let value = |key: &str| {
        tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
            row.get::<_, i64>(0)
        })
        .optional()
        .map(|v| v.map_or(0, |v| u64::try_from(v).unwrap_or(0)))
    };
    let first = value("feed_reserved")?
        .max(value("revision")?)
        .saturating_add(1);
    let last = first.saturating_add(span.saturating_sub(1));
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('feed_reserved', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![i64::try_from(last).unwrap_or(i64::MAX)],
    )?;
    tx.commit()?;
    Ok(first)
}
