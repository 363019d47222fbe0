//! Answers kept for idempotent requests, in SQLite.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::controller::store::{ANSWERING, Claim, KeptAnswer, claim_of};

/// Claims `identity`'s `key` for a request with `fingerprint` at `now` (see
/// [`crate::controller::store::StateStore::claim_key`]).
pub(super) fn claim(
    conn: &Connection,
    identity: &str,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
    oldest: DateTime<Utc>,
    abandoned_before: DateTime<Utc>,
) -> rusqlite::Result<Claim> {
    let now_ms = now.timestamp_millis();
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO idempotency
                 (identity, key, fingerprint, status, content_type, body, at_ms)
             VALUES (?1, ?2, ?3, ?4, NULL, x'', ?5)",
        )?
        .execute(params![identity, key, fingerprint, ANSWERING, now_ms])?;
    if inserted == 1 {
        return Ok(Claim::Mine);
    }
    let kept = conn
        .prepare_cached(
            "SELECT fingerprint, status, content_type, body, at_ms FROM idempotency
             WHERE identity = ?1 AND key = ?2",
        )?
        .query_row(params![identity, key], |row| {
            let answer = KeptAnswer {
                fingerprint: row.get(0)?,
                status: row.get(1)?,
                content_type: row.get(2)?,
                body: row.get(3)?,
            };
            Ok((answer, super::from_ms(row.get(4)?)?))
        })
        .optional()?;
    let at = kept.as_ref().map(|(_, at)| at.timestamp_millis());
    if let Some(claim) = claim_of(kept, oldest, abandoned_before) {
        return Ok(claim);
    }
    // Taken over, unless another request took it first (then it answers).
    let taken = conn
        .prepare_cached(
            "UPDATE idempotency SET fingerprint = ?3, status = ?4, content_type = NULL,
                body = x'', at_ms = ?5
             WHERE identity = ?1 AND key = ?2 AND at_ms = ?6",
        )?
        .execute(params![identity, key, fingerprint, ANSWERING, now_ms, at])?;
    Ok(if taken == 1 {
        Claim::Mine
    } else {
        Claim::Answering(fingerprint.to_string())
    })
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
