//! Answers kept for idempotent requests, in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::controller::store::KeptAnswer;

/// The answer kept for `identity`'s request with `key`, if kept at or after `oldest`.
pub(super) fn find(
    conn: &Connection,
    identity: &str,
    key: &str,
    oldest: DateTime<Utc>,
) -> rusqlite::Result<Option<KeptAnswer>> {
    conn.prepare_cached(
        "SELECT fingerprint, status, content_type, body FROM idempotency
         WHERE identity = ?1 AND key = ?2 AND at_ms >= ?3",
    )?
    .query_row(params![identity, key, oldest.timestamp_millis()], |row| {
        Ok(KeptAnswer {
            fingerprint: row.get(0)?,
            status: row.get(1)?,
            content_type: row.get(2)?,
            body: row.get(3)?,
        })
    })
    .optional()
}

/// Keeps `answer` as given `at`, dropping the answers kept before `forget_before`.
pub(super) fn keep(
    conn: &Connection,
    identity: &str,
    key: &str,
    answer: &KeptAnswer,
    at: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM idempotency WHERE at_ms < ?1")?
        .execute([forget_before.timestamp_millis()])?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO idempotency
             (identity, key, fingerprint, status, content_type, body, at_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        identity,
        key,
        answer.fingerprint,
        answer.status,
        answer.content_type,
        answer.body,
        at.timestamp_millis()
    ])?;
    Ok(())
}
