//! The audit log in SQLite.

use rusqlite::{Connection, params};

use crate::api::{AuditAction, AuditEntry};
use crate::controller::backend::AuditFilter;
use crate::controller::store::NewAudit;

/// Appends `audit` to the log.
pub(super) fn insert(conn: &Connection, audit: &NewAudit) -> rusqlite::Result<()> {
    let action = match audit.action {
        AuditAction::Start => "start",
        AuditAction::Pause => "pause",
    };
    conn.prepare_cached(
        "INSERT INTO audit (at_ms, actor, writer_id, action, replay_from_ms, result, message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        audit.at.timestamp_millis(),
        audit.actor,
        audit.writer_id,
        action,
        audit.replay_from.map(|r| r.timestamp_millis()),
        audit.result,
        audit.message,
    ])?;
    Ok(())
}

/// Sets the result and message of entry `id`.
pub(super) fn answer(
    conn: &Connection,
    id: u64,
    result: &str,
    message: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE audit SET result = ?1, message = ?2 WHERE id = ?3")?
        .execute(params![
            result,
            message,
            i64::try_from(id).unwrap_or(i64::MAX)
        ])?;
    Ok(())
}

/// The newest `filter.limit` audit entries `filter` admits, newest first. Only the
/// conditions given are in the statement, so a writer's entries come from its index.
pub(super) fn read(conn: &Connection, filter: &AuditFilter) -> rusqlite::Result<Vec<AuditEntry>> {
    let mut conditions = Vec::new();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    let mut narrow = |condition: &str, value: rusqlite::types::Value| {
        values.push(value);
        conditions.push(format!("{condition} ?{}", values.len()));
    };
    if let Some(writer) = &filter.writer {
        narrow("writer_id =", writer.clone().into());
    }
    if let Some(actor) = &filter.actor {
        narrow("actor =", actor.clone().into());
    }
    if let Some(since) = filter.since {
        narrow("at_ms >=", since.timestamp_millis().into());
    }
    values.push(i64::from(filter.limit).into());
    let limit = values.len();
    let condition = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, at_ms, actor, writer_id, action, replay_from_ms, result, message
         FROM audit {condition} ORDER BY id DESC LIMIT ?{limit}",
    ))?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), |row| {
        let action = match row.get_ref(4)?.as_str()? {
            "start" => AuditAction::Start,
            "pause" => AuditAction::Pause,
            other => return Err(super::invalid(4, format!("unknown audit action {other}"))),
        };
        Ok(AuditEntry {
            id: row.get::<_, i64>(0)? as u64,
            at: super::from_ms(row.get(1)?)?,
            actor: row.get(2)?,
            writer_id: row.get(3)?,
            action,
            replay_from: row
                .get::<_, Option<i64>>(5)?
                .map(super::from_ms)
                .transpose()?,
            result: row.get(6)?,
            message: row.get(7)?,
        })
    })?;
    rows.collect()
}
