//! The audit log, the change feed's revisions, idempotent answers and history chunks in a
//! MySQL-protocol database.

use chrono::{DateTime, Utc};
use mysql::prelude::Queryable;
use mysql::{Conn, Params, Row, TxOpts, Value};

use super::{col, from_ms};
use crate::api::{AuditAction, AuditEntry};
use crate::controller::backend::AuditFilter;
use crate::controller::store::{KeptAnswer, LEASE_MS, LeaseHolder, NewAudit, StoreError};

/// Appends `audit` to the log.
pub(super) fn insert_audit(conn: &mut impl Queryable, audit: &NewAudit) -> Result<(), StoreError> {
    let action = match audit.action {
        AuditAction::Start => "start",
        AuditAction::Pause => "pause",
    };
    conn.exec_drop(
        "INSERT INTO audit (at_ms, actor, writer_id, action, replay_from_ms, result, message)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        Params::Positional(vec![
            audit.at.timestamp_millis().into(),
            audit.actor.as_str().into(),
            audit.writer_id.as_str().into(),
            action.into(),
            audit.replay_from.map(|r| r.timestamp_millis()).into(),
            audit.result.as_str().into(),
            audit.message.as_deref().into(),
        ]),
    )?;
    Ok(())
}

/// The newest `filter.limit` entries `filter` admits, newest first.
pub(super) fn read_audit(
    conn: &mut Conn,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut conditions = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    if let Some(writer) = &filter.writer {
        conditions.push("writer_id = ?");
        values.push(writer.as_str().into());
    }
    if let Some(actor) = &filter.actor {
        conditions.push("actor = ?");
        values.push(actor.as_str().into());
    }
    if let Some(since) = filter.since {
        conditions.push("at_ms >= ?");
        values.push(since.timestamp_millis().into());
    }
    values.push(i64::from(filter.limit).into());
    let condition = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let rows: Vec<Row> = conn.exec(
        format!(
            "SELECT id, at_ms, actor, writer_id, action, replay_from_ms, result, message
             FROM audit {condition} ORDER BY id DESC LIMIT ?"
        ),
        Params::Positional(values),
    )?;
    rows.iter()
        .map(|row| {
            let action = match col::<String>(row, 4)?.as_str() {
                "start" => AuditAction::Start,
                "pause" => AuditAction::Pause,
                other => {
                    return Err(StoreError::Invalid(format!("unknown audit action {other}")));
                }
            };
            Ok(AuditEntry {
                id: u64::try_from(col::<i64>(row, 0)?).unwrap_or(0),
                at: from_ms(col(row, 1)?)?,
                actor: col(row, 2)?,
                writer_id: col(row, 3)?,
                action,
                replay_from: col::<Option<i64>>(row, 5)?.map(from_ms).transpose()?,
                result: col(row, 6)?,
                message: col(row, 7)?,
            })
        })
        .collect()
}

/// The highest revision an earlier run may have published.
pub(super) fn revisions_used(conn: &mut Conn) -> Result<u64, StoreError> {
    let rows: Vec<Row> =
        conn.query("SELECT value FROM meta WHERE `key` IN ('feed_reserved', 'revision')")?;
    let mut used = 0u64;
    for row in &rows {
        used = used.max(u64::try_from(col::<i64>(row, 0)?).unwrap_or(0));
    }
    Ok(used)
}

/// Records that revisions up to `bound` may be published.
pub(super) fn reserve_revisions(conn: &mut Conn, bound: u64) -> Result<(), StoreError> {
    conn.exec_drop(
        "INSERT INTO meta (`key`, value) VALUES ('feed_reserved', ?)
         ON DUPLICATE KEY UPDATE value = GREATEST(value, VALUES(value))",
        (i64::try_from(bound).unwrap_or(i64::MAX),),
    )?;
    Ok(())
}

/// Every history chunk, in order.
pub(super) fn history_chunks(conn: &mut Conn) -> Result<Vec<Vec<u8>>, StoreError> {
    let rows: Vec<Row> = conn.query("SELECT chunk FROM history_chunks ORDER BY seq")?;
    rows.iter().map(|row| col(row, 0)).collect()
}

/// Replaces every history chunk with `chunks`, in one transaction.
pub(super) fn replace_history_chunks(
    conn: &mut Conn,
    chunks: &mut dyn Iterator<Item = Vec<u8>>,
) -> Result<(), StoreError> {
    let mut tx = conn.start_transaction(TxOpts::default())?;
    tx.query_drop("DELETE FROM history_chunks")?;
    for (seq, chunk) in (0i64..).zip(chunks) {
        tx.exec_drop(
            "INSERT INTO history_chunks (seq, chunk) VALUES (?, ?)",
            (seq, chunk),
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The answer kept for `identity`'s request with `key`, if kept at or after `oldest`.
pub(super) fn kept_answer(
    conn: &mut Conn,
    identity: &str,
    key: &str,
    oldest: DateTime<Utc>,
) -> Result<Option<KeptAnswer>, StoreError> {
    let row: Option<Row> = conn.exec_first(
        "SELECT fingerprint, status, content_type, body FROM idempotency
         WHERE identity = ? AND `key` = ? AND at_ms >= ?",
        (identity, key, oldest.timestamp_millis()),
    )?;
    row.map(|row| {
        Ok(KeptAnswer {
            fingerprint: col(&row, 0)?,
            status: col(&row, 1)?,
            content_type: col(&row, 2)?,
            body: col(&row, 3)?,
        })
    })
    .transpose()
}

/// Keeps `answer` as given `at`, dropping the answers kept before `forget_before`.
pub(super) fn keep_answer(
    conn: &mut Conn,
    identity: &str,
    key: &str,
    answer: &KeptAnswer,
    at: DateTime<Utc>,
    forget_before: DateTime<Utc>,
) -> Result<(), StoreError> {
    conn.exec_drop(
        "DELETE FROM idempotency WHERE at_ms < ?",
        (forget_before.timestamp_millis(),),
    )?;
    conn.exec_drop(
        "REPLACE INTO idempotency (identity, `key`, fingerprint, status, content_type, body, at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            identity,
            key,
            answer.fingerprint.as_str(),
            answer.status,
            answer.content_type.as_deref(),
            answer.body.as_slice(),
            at.timestamp_millis(),
        ),
    )?;
    Ok(())
}

/// Takes or renews the lead for `me` unless another replica's lease has not run out (then
/// that replica, and when its lease runs out); timed by the database's clock, so replicas'
/// clocks need not agree.
pub(super) fn claim_lead(
    conn: &mut Conn,
    me: &LeaseHolder,
) -> Result<Option<(LeaseHolder, DateTime<Utc>)>, StoreError> {
    let mut tx = conn.start_transaction(TxOpts::default())?;
    let row: Option<Row> = tx.query_first(
        "SELECT replica, host, pid, listen, expires_ms,
                CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED)
         FROM lease WHERE name = 'leader' FOR UPDATE",
    )?;
    let row = row.ok_or_else(|| StoreError::Invalid("the lease row is missing".into()))?;
    let holder = LeaseHolder {
        replica: col(&row, 0)?,
        host: col(&row, 1)?,
        pid: u32::try_from(col::<i64>(&row, 2)?).unwrap_or(0),
        listen: col(&row, 3)?,
    };
    let expires_ms: i64 = col(&row, 4)?;
    let now_ms: i64 = col(&row, 5)?;
    if holder.replica != me.replica && expires_ms > now_ms {
        tx.rollback()?;
        return Ok(Some((holder, from_ms(expires_ms)?)));
    }
    tx.exec_drop(
        "UPDATE lease SET replica = ?, host = ?, pid = ?, listen = ?, expires_ms = ?
         WHERE name = 'leader'",
        (
            me.replica.as_str(),
            me.host.as_str(),
            i64::from(me.pid),
            me.listen.as_str(),
            now_ms.saturating_add(LEASE_MS),
        ),
    )?;
    tx.commit()?;
    Ok(None)
}

/// Ends `me`'s lease at once, if it holds it.
pub(super) fn release_lead(conn: &mut Conn, me: &LeaseHolder) -> Result<(), StoreError> {
    conn.exec_drop(
        "UPDATE lease SET expires_ms = 0 WHERE name = 'leader' AND replica = ?",
        (me.replica.as_str(),),
    )?;
    Ok(())
}
