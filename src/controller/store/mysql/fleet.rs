//! The fleet in a MySQL-protocol database: stores, writers and the fleet revision.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use mysql::prelude::Queryable;
use mysql::{Conn, Params, Row, TxOpts, Value};

use super::{col, from_ms, queries};
use crate::controller::fleet::{Slot, StoreModel, WriterIdentity, WriterState};
use crate::controller::store::{NewAudit, SavedCheckpoint, StoreError, settle_loaded};
use crate::domain::{Project, SharedStr, UnknownKind, UnknownStatus, WriterStatus, interning};

/// Writers inserted by one statement while a fleet is seeded.
const SEED_ROWS: usize = 500;

/// Whether no writer is stored yet.
pub(super) fn is_empty(conn: &mut Conn) -> Result<bool, StoreError> {
    let any: Option<Row> = conn.query_first("SELECT 1 FROM writers LIMIT 1")?;
    Ok(any.is_none())
}

/// Stores a whole fleet at revision 1 in one transaction, unless `abandon` turns true first.
pub(super) fn seed(
    conn: &mut Conn,
    stores: &[StoreModel],
    writers: &[Slot],
    abandon: &AtomicBool,
) -> Result<(), StoreError> {
    let mut tx = conn.start_transaction(TxOpts::default())?;
    for batch in stores.chunks(SEED_ROWS) {
        let rows = vec!["(?, ?, ?)"; batch.len()].join(", ");
        let values = batch
            .iter()
            .flat_map(|s| [s.id.as_str().into(), s.lag_ms.into(), s.retention_ms.into()])
            .collect();
        tx.exec_drop(
            format!("INSERT INTO stores (id, lag_ms, retention_ms) VALUES {rows}"),
            Params::Positional(values),
        )?;
    }
    for batch in writers.chunks(SEED_ROWS) {
        if abandon.load(Ordering::Acquire) {
            return Err(StoreError::SeedingAbandoned);
        }
        let rows = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; batch.len()].join(", ");
        let values = batch.iter().flat_map(writer_values).collect();
        tx.exec_drop(
            format!(
                "INSERT INTO writers (id, name, server_ip, region, project_id, project_name,
                    kind, store_id, status, checkpoint_ms, anchor_ms, rate, message, version,
                    updated_at_ms)
                 VALUES {rows}"
            ),
            Params::Positional(values),
        )?;
    }
    set_revision(&mut tx, 1)?;
    tx.commit()?;
    Ok(())
}

/// A writer's columns, in the order of the `writers` table.
fn writer_values(slot: &Slot) -> impl Iterator<Item = Value> {
    let identity = &slot.identity;
    let fixed: [Value; 8] = [
        identity.id.as_str().into(),
        (*identity.name).into(),
        (*identity.server_ip).into(),
        identity.region.as_str().into(),
        identity.project.id.as_str().into(),
        identity.project.name.as_str().into(),
        identity.kind.as_str().into(),
        slot.store.id.as_str().into(),
    ];
    fixed.into_iter().chain(state_values(&slot.state))
}

/// A writer state's columns, status to updated_at_ms.
fn state_values(state: &WriterState) -> [Value; 7] {
    [
        state.status.as_str().into(),
        state.anchor_checkpoint.map(|c| c.timestamp_millis()).into(),
        state.anchor_time.timestamp_millis().into(),
        state.rate.into(),
        state.message.as_deref().into(),
        (state.version as i64).into(),
        state.updated_at.timestamp_millis().into(),
    ]
}

/// The fleet and its revision; writers left transitional finish their transition, every
/// writer is re-anchored at `now`.
pub(super) fn load(conn: &mut Conn, now: DateTime<Utc>) -> Result<(Vec<Slot>, u64), StoreError> {
    interning(|| load_interned(conn, now))
}

fn load_interned(conn: &mut Conn, now: DateTime<Utc>) -> Result<(Vec<Slot>, u64), StoreError> {
    let mut tx = conn.start_transaction(TxOpts::default())?;
    let revision: Option<Row> =
        tx.query_first("SELECT value FROM meta WHERE `key` = 'revision' FOR UPDATE")?;
    let revision = match revision {
        Some(row) => u64::try_from(col::<i64>(&row, 0)?).unwrap_or(0),
        None => 0,
    };
    let mut stores: HashMap<String, Arc<StoreModel>> = HashMap::new();
    for row in tx.query::<Row, _>("SELECT id, lag_ms, retention_ms FROM stores")? {
        let id: String = col(&row, 0)?;
        let store = StoreModel {
            id: SharedStr::interned(&id),
            lag_ms: col(&row, 1)?,
            retention_ms: col(&row, 2)?,
        };
        stores.insert(id, Arc::new(store));
    }
    let rows: Vec<Row> = tx.query(
        "SELECT id, name, server_ip, region, project_id, project_name, kind, store_id,
                status, checkpoint_ms, rate, message, version, updated_at_ms
         FROM writers",
    )?;
    let mut slots = Vec::with_capacity(rows.len());
    for row in rows {
        slots.push(slot(&row, &stores, now)?);
    }
    let revision = settle_loaded(&mut slots, now, revision, |id, state| {
        save_state(&mut tx, id, state)
    })?;
    set_revision(&mut tx, revision)?;
    tx.commit()?;
    Ok((slots, revision))
}

fn slot(
    row: &Row,
    stores: &HashMap<String, Arc<StoreModel>>,
    now: DateTime<Utc>,
) -> Result<Slot, StoreError> {
    let text = |index| col::<String>(row, index);
    let store_id = text(7)?;
    let store = stores
        .get(&store_id)
        .cloned()
        .ok_or_else(|| StoreError::Invalid(format!("writer refers to unknown store {store_id}")))?;
    let identity = WriterIdentity {
        // Unique: not interned.
        id: SharedStr::from(text(0)?),
        name: text(1)?.into(),
        server_ip: text(2)?.into(),
        region: SharedStr::interned(&text(3)?),
        project: Project {
            id: SharedStr::interned(&text(4)?),
            name: SharedStr::interned(&text(5)?),
        },
        kind: text(6)?
            .parse()
            .map_err(|e: UnknownKind| StoreError::Invalid(e.to_string()))?,
    };
    let status: WriterStatus = text(8)?
        .parse()
        .map_err(|e: UnknownStatus| StoreError::Invalid(e.to_string()))?;
    let state = WriterState {
        status,
        anchor_checkpoint: col::<Option<i64>>(row, 9)?.map(from_ms).transpose()?,
        anchor_time: now,
        rate: col(row, 10)?,
        message: col::<Option<String>>(row, 11)?.map(|m| SharedStr::interned(&m)),
        version: u64::try_from(col::<i64>(row, 12)?).unwrap_or(0),
        updated_at: from_ms(col(row, 13)?)?,
    };
    Ok(Slot {
        identity: Arc::new(identity),
        store,
        state,
    })
}

/// Saves a writer's new state, the fleet revision and an audit record together.
pub(super) fn commit_change(
    conn: &mut Conn,
    id: &str,
    state: &WriterState,
    revision: u64,
    audit: Option<&NewAudit>,
) -> Result<(), StoreError> {
    let mut tx = conn.start_transaction(TxOpts::default())?;
    save_state(&mut tx, id, state)?;
    set_revision(&mut tx, revision)?;
    if let Some(audit) = audit {
        queries::insert_audit(&mut tx, audit)?;
    }
    tx.commit()?;
    Ok(())
}

/// Saves checkpoints of running writers, each only while its writer is still running at the
/// version it was read at.
pub(super) fn save_checkpoints(
    conn: &mut Conn,
    checkpoints: &[SavedCheckpoint],
) -> Result<(), StoreError> {
    let mut tx = conn.start_transaction(TxOpts::default())?;
    tx.exec_batch(
        "UPDATE writers SET checkpoint_ms = ?, anchor_ms = ?
         WHERE id = ? AND status = 'running' AND version = ?",
        checkpoints.iter().map(|saved| {
            (
                saved.checkpoint.timestamp_millis(),
                saved.at.timestamp_millis(),
                saved.id.as_str(),
                saved.version as i64,
            )
        }),
    )?;
    tx.commit()?;
    Ok(())
}

fn save_state(conn: &mut impl Queryable, id: &str, state: &WriterState) -> Result<(), StoreError> {
    conn.exec_drop(
        "UPDATE writers SET status = ?, checkpoint_ms = ?, anchor_ms = ?, rate = ?, message = ?,
            version = ?, updated_at_ms = ?
         WHERE id = ?",
        Params::Positional(state_values(state).into_iter().chain([id.into()]).collect()),
    )?;
    Ok(())
}

fn set_revision(conn: &mut impl Queryable, revision: u64) -> Result<(), StoreError> {
    conn.exec_drop(
        "INSERT INTO meta (`key`, value) VALUES ('revision', ?)
         ON DUPLICATE KEY UPDATE value = VALUES(value)",
        (i64::try_from(revision).unwrap_or(i64::MAX),),
    )?;
    Ok(())
}
