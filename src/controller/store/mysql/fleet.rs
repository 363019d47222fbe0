//! The fleet in a MySQL-protocol database: stores, writers and the fleet revision.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{AccessMode, Conn, Params, Row, TxOpts, Value};

use super::{col, from_ms, queries, release_lock, take_lock};
use crate::controller::fleet::{Slot, StoreModel, WriterIdentity, WriterState};
use crate::controller::store::{Decision, LoggedChange, SavedCheckpoint, StoreError};
use crate::domain::{Project, SharedStr, UnknownKind, UnknownStatus, WriterStatus, interning};

/// Writers inserted by one statement while a fleet is seeded.
const SEED_ROWS: usize = 500;
/// How long a replica waits for another one storing a demo fleet, in seconds.
const SEED_LOCK_WAIT_SECS: u64 = 120;

/// Whether no writer is stored yet.
pub(super) fn is_empty(conn: &mut Conn) -> Result<bool, StoreError> {
    let any: Option<Row> = conn.query_first("SELECT 1 FROM writers LIMIT 1")?;
    Ok(any.is_none())
}

/// Stores a whole fleet at revision 1 in one transaction, unless `abandon` turns true first,
/// or another replica stored one first (then nothing is stored, and false answered). Replicas
/// seeding together take turns through a named lock.
pub(super) fn seed(
    conn: &mut Conn,
    lock_name: &str,
    stores: &[StoreModel],
    writers: &[Slot],
    abandon: &AtomicBool,
) -> Result<bool, StoreError> {
    let wait = Duration::from_secs(SEED_LOCK_WAIT_SECS);
    if !take_lock(conn, lock_name, wait)? {
        return Err(StoreError::Invalid(format!(
            "another replica has been storing a demo fleet for over {SEED_LOCK_WAIT_SECS} s"
        )));
    }
    let seeded = match is_empty(conn) {
        Ok(true) => seed_in_one_transaction(conn, stores, writers, abandon).map(|()| true),
        other => other.map(|_| false),
    };
    release_lock(conn, lock_name)?;
    seeded
}

fn seed_in_one_transaction(
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

/// The fleet and its revision as stored, read from one snapshot: other replicas serve it as
/// it is, transitions the leader completes included.
pub(super) fn load(conn: &mut Conn) -> Result<(Vec<Slot>, u64), StoreError> {
    interning(|| load_interned(conn))
}

fn load_interned(conn: &mut Conn) -> Result<(Vec<Slot>, u64), StoreError> {
    // Changes take the revision row in turn, so a snapshot that holds a revision holds every
    // change up to it and none after it.
    let mut tx = conn.start_transaction(
        TxOpts::default()
            .set_with_consistent_snapshot(true)
            .set_access_mode(Some(AccessMode::ReadOnly)),
    )?;
    let revision = revision(&mut tx, "")?;
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
    let rows: Vec<Row> = tx.query(format!(
        "SELECT id, name, server_ip, region, project_id, project_name, kind, store_id, {STATE}
         FROM writers"
    ))?;
    let mut slots = Vec::with_capacity(rows.len());
    for row in rows {
        slots.push(slot(&row, &stores)?);
    }
    tx.commit()?;
    Ok((slots, revision))
}

/// A writer state's columns, as [`state`] reads them from the column after `STATE`'s first.
const STATE: &str = "status, checkpoint_ms, anchor_ms, rate, message, version, updated_at_ms";

/// The writer state in `row`'s columns from `at` on, as [`STATE`] lists them.
fn state(row: &Row, at: usize) -> Result<WriterState, StoreError> {
    let status: WriterStatus = col::<String>(row, at)?
        .parse()
        .map_err(|e: UnknownStatus| StoreError::Invalid(e.to_string()))?;
    Ok(WriterState {
        status,
        anchor_checkpoint: col::<Option<i64>>(row, at + 1)?.map(from_ms).transpose()?,
        anchor_time: from_ms(col(row, at + 2)?)?,
        rate: col(row, at + 3)?,
        message: col::<Option<String>>(row, at + 4)?.map(|m| SharedStr::interned(&m)),
        version: u64::try_from(col::<i64>(row, at + 5)?).unwrap_or(0),
        updated_at: from_ms(col(row, at + 6)?)?,
    })
}

/// The fleet revision, read `lock`ing its row (`" FOR UPDATE"`) or not (`""`).
fn revision(conn: &mut impl Queryable, lock: &str) -> Result<u64, StoreError> {
    let row: Option<Row> = conn.query_first(format!(
        "SELECT value FROM meta WHERE `key` = 'revision'{lock}"
    ))?;
    Ok(match row {
        Some(row) => u64::try_from(col::<i64>(&row, 0)?).unwrap_or(0),
        None => 0,
    })
}

fn slot(row: &Row, stores: &HashMap<String, Arc<StoreModel>>) -> Result<Slot, StoreError> {
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
    Ok(Slot {
        identity: Arc::new(identity),
        store,
        state: state(row, 8)?,
    })
}

/// Reads writer `id`'s state holding its row, and saves what `decide` makes of it at the next
/// fleet revision (taken holding the revision row: changes are numbered in the order they
/// commit), in one transaction.
pub(super) fn change_writer(
    conn: &mut Conn,
    id: &str,
    decide: &mut dyn FnMut(&WriterState) -> Decision,
) -> Result<Option<WriterState>, StoreError> {
    let mut tx = conn.start_transaction(TxOpts::default())?;
    let row: Option<Row> = tx.exec_first(
        format!("SELECT {STATE} FROM writers WHERE id = ? FOR UPDATE"),
        (id,),
    )?;
    let Some(row) = row else {
        return Ok(None);
    };
    let stored = state(&row, 0)?;
    let answer = match decide(&stored) {
        Decision::Nothing => stored,
        Decision::Record(entry) => {
            queries::insert_audit(&mut tx, &entry)?;
            stored
        }
        Decision::Save(next, entry) => {
            let revision = revision(&mut tx, " FOR UPDATE")?.saturating_add(1);
            tx.exec_drop(
                "UPDATE writers SET status = ?, checkpoint_ms = ?, anchor_ms = ?, rate = ?,
                    message = ?, version = ?, updated_at_ms = ?, revision = ?
                 WHERE id = ?",
                Params::Positional(
                    state_values(&next)
                        .into_iter()
                        .chain([
                            i64::try_from(revision).unwrap_or(i64::MAX).into(),
                            id.into(),
                        ])
                        .collect(),
                ),
            )?;
            set_revision(&mut tx, revision)?;
            if let Some(entry) = entry {
                queries::insert_audit(&mut tx, &entry)?;
            }
            next
        }
    };
    tx.commit()?;
    Ok(Some(answer))
}

/// Writers' states changed at revisions after `after`, oldest first, at most `limit`.
pub(super) fn changes_since(
    conn: &mut Conn,
    after: u64,
    limit: usize,
) -> Result<Vec<LoggedChange>, StoreError> {
    let rows: Vec<Row> = conn.exec(
        format!(
            "SELECT id, revision, {STATE} FROM writers WHERE revision > ?
             ORDER BY revision LIMIT {limit}"
        ),
        (i64::try_from(after).unwrap_or(i64::MAX),),
    )?;
    rows.iter()
        .map(|row| {
            Ok(LoggedChange {
                id: col(row, 0)?,
                revision: u64::try_from(col::<i64>(row, 1)?).unwrap_or(0),
                state: state(row, 2)?,
            })
        })
        .collect()
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

fn set_revision(conn: &mut impl Queryable, revision: u64) -> Result<(), StoreError> {
    conn.exec_drop(
        "INSERT INTO meta (`key`, value) VALUES ('revision', ?)
         ON DUPLICATE KEY UPDATE value = VALUES(value)",
        (i64::try_from(revision).unwrap_or(i64::MAX),),
    )?;
    Ok(())
}
