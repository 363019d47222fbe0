//! The audit log, the change feed's revisions, idempotent answers and history chunks in a
//! MySQL-protocol database.

use chrono::{DateTime, Utc};
use mysql::prelude::Queryable;
use mysql::{Conn, Params, Row, TxOpts, Value};

use super::{col, from_ms};
use crate::api::{AuditAction, AuditEntry};
use crate::controller::backend::AuditFilter;
use crate::controller::store::{
    ANSWERING, Claim, KeptAnswer, LEASE_MS, LeaseHolder, NewAudit, REPLICA_SEEN_WITHIN_MS,
    SeenReplica, StoreError, claim_of,
};

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

/// Sets the result and message of entry `id`.
pub(super) fn answer_audit(
    conn: &mut Conn,
    id: u64,
    result: &str,
    message: Option<&str>,
) -> Result<(), StoreError> {
    conn.exec_drop(
        "UPDATE audit SET result = ?, message = ? WHERE id = ?",
        (result, message, id),
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

/// Takes `span` change-feed revisions above every one taken before: answers the first.
pub(super) fn take_revisions(conn: &mut Conn, span: u64) -> Result<u64, StoreError> {
    let mut tx = conn.start_transaction(TxOpts::default())?;
    let rows: Vec<Row> =
        tx.query("SELECT value FROM meta WHERE `key` IN ('feed_reserved', 'revision') FOR UPDATE")?;
    let mut used = 0u64;
    for row in &rows {
        used = used.max(u64::try_from(col::<i64>(row, 0)?).unwrap_or(0));
    }
    let first = used.saturating_add(1);
    let last = first.saturating_add(span.saturating_sub(1));
    tx.exec_drop(
        "INSERT INTO meta (`key`, value) VALUES ('feed_reserved', ?)
         ON DUPLICATE KEY UPDATE value = VALUES(value)",
        (i64::try_from(last).unwrap_or(i64::MAX),),
    )?;
    tx.commit()?;
    Ok(first)
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

/// Claims `identity`'s `key` for a request with `fingerprint` at `now` (see
/// [`crate::controller::store::StateStore::claim_key`]); two replicas claiming it together
/// take turns on its primary key.
pub(super) fn claim_key(
    conn: &mut Conn,
    identity: &str,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
    oldest: DateTime<Utc>,
    abandoned_before: DateTime<Utc>,
) -> Result<Claim, StoreError> {
    let now_ms = now.timestamp_millis();
    conn.exec_drop(
        "INSERT IGNORE INTO idempotency
             (identity, `key`, fingerprint, status, content_type, body, at_ms)
         VALUES (?, ?, ?, ?, NULL, '', ?)",
        (identity, key, fingerprint, ANSWERING, now_ms),
    )?;
    if conn.affected_rows() == 1 {
        return Ok(Claim::Mine);
    }
    let row: Option<Row> = conn.exec_first(
        "SELECT fingerprint, status, content_type, body, at_ms FROM idempotency
         WHERE identity = ? AND `key` = ?",
        (identity, key),
    )?;
    let kept = row
        .map(|row| {
            let answer = KeptAnswer {
                fingerprint: col(&row, 0)?,
                status: col(&row, 1)?,
                content_type: col(&row, 2)?,
                body: col(&row, 3)?,
            };
            Ok::<_, StoreError>((answer, from_ms(col(&row, 4)?)?))
        })
        .transpose()?;
    let at = kept.as_ref().map(|(_, at)| at.timestamp_millis());
    if let Some(claim) = claim_of(kept, oldest, abandoned_before) {
        return Ok(claim);
    }
    // Taken over, unless another request took it first (then it answers).
    conn.exec_drop(
        "UPDATE idempotency SET fingerprint = ?, status = ?, content_type = NULL, body = '',
            at_ms = ?
         WHERE identity = ? AND `key` = ? AND at_ms = ?",
        (fingerprint, ANSWERING, now_ms, identity, key, at),
    )?;
    Ok(if conn.affected_rows() == 1 {
        Claim::Mine
    } else {
        Claim::Answering(fingerprint.to_string())
    })
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
    let row: Option<Row> = tx.query_first(format!(
        "SELECT replica, host, pid, listen, expires_ms, {DB_NOW_MS}
         FROM lease WHERE name = 'leader' FOR UPDATE"
    ))?;
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

/// The database's clock now, in milliseconds since the epoch.
const DB_NOW_MS: &str = "CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED)";

/// Records that `me` is alive now, by the database's clock.
pub(super) fn heartbeat(
    conn: &mut Conn,
    me: &LeaseHolder,
    started: DateTime<Utc>,
    leader_since: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    conn.exec_drop(
        format!(
            "INSERT INTO replicas (replica, host, pid, listen, started_ms, last_seen_ms,
                leader_since_ms)
             VALUES (?, ?, ?, ?, ?, {DB_NOW_MS}, ?)
             ON DUPLICATE KEY UPDATE last_seen_ms = VALUES(last_seen_ms),
                leader_since_ms = VALUES(leader_since_ms)"
        ),
        (
            me.replica.as_str(),
            me.host.as_str(),
            i64::from(me.pid),
            me.listen.as_str(),
            started.timestamp_millis(),
            leader_since.map(|t| t.timestamp_millis()),
        ),
    )?;
    // Replicas long gone are forgotten.
    conn.exec_drop(
        format!("DELETE FROM replicas WHERE last_seen_ms < {DB_NOW_MS} - ?"),
        (REPLICA_SEEN_WITHIN_MS.saturating_mul(10),),
    )?;
    Ok(())
}

/// Forgets `me`.
pub(super) fn depart(conn: &mut Conn, me: &LeaseHolder) -> Result<(), StoreError> {
    conn.exec_drop(
        "DELETE FROM replicas WHERE replica = ?",
        (me.replica.as_str(),),
    )?;
    Ok(())
}

/// The replicas seen within [`REPLICA_SEEN_WITHIN_MS`], the leader first, then by start.
pub(super) fn replicas(conn: &mut Conn) -> Result<Vec<SeenReplica>, StoreError> {
    let rows: Vec<Row> = conn.exec(
        format!(
            "SELECT r.replica, r.host, r.pid, r.listen, r.started_ms, r.last_seen_ms,
                    r.leader_since_ms,
                    (l.replica IS NOT NULL AND l.expires_ms > {DB_NOW_MS}) AS leads
             FROM replicas r
             LEFT JOIN lease l ON l.name = 'leader' AND l.replica = r.replica
             WHERE r.last_seen_ms > {DB_NOW_MS} - ?
             ORDER BY leads DESC, r.started_ms, r.replica"
        ),
        (REPLICA_SEEN_WITHIN_MS,),
    )?;
    rows.iter()
        .map(|row| {
            let leader = col::<i64>(row, 7)? == 1;
            Ok(SeenReplica {
                holder: LeaseHolder {
                    replica: col(row, 0)?,
                    host: col(row, 1)?,
                    pid: u32::try_from(col::<i64>(row, 2)?).unwrap_or(0),
                    listen: col(row, 3)?,
                },
                started: from_ms(col(row, 4)?)?,
                last_seen: from_ms(col(row, 5)?)?,
                leader_since: if leader {
                    col::<Option<i64>>(row, 6)?.map(from_ms).transpose()?
                } else {
                    None
                },
                leader,
            })
        })
        .collect()
}
