//! The fleet in SQLite: stores, writers and the fleet revision.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::audit;
use crate::controller::fleet::{Slot, StoreModel, WriterIdentity, WriterState};
use crate::controller::store::{Decision, SavedCheckpoint, settle_loaded};
use crate::domain::{Project, SharedStr, UnknownKind, WriterStatus, interning};

/// SQLite's page cache while a demo fleet is seeded (negative: KiB), and SQLite's default.
const SEED_CACHE_KIB: i64 = -256 * 1024;
const DEFAULT_CACHE_KIB: i64 = -2000;
/// Writers seeded between two looks at whether the seeding is abandoned.
const ABANDON_CHECK: usize = 1024;

/// Whether no writer is stored yet.
pub(super) fn is_empty(conn: &Connection) -> rusqlite::Result<bool> {
    let any: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM writers)", [], |row| {
        row.get(0)
    })?;
    Ok(!any)
}

/// Stores a whole fleet in one transaction, unless `abandon` turns true first (then
/// nothing is stored).
pub(super) fn seed(
    conn: &mut Connection,
    stores: &[StoreModel],
    writers: &[Slot],
    abandon: &AtomicBool,
) -> rusqlite::Result<()> {
    // A million writers take random inserts into the id and name indexes, which thrash
    // SQLite's default 2 MiB page cache: a large one while the fleet goes in, then back.
    conn.pragma_update(None, "cache_size", SEED_CACHE_KIB)?;
    let seeded = seed_in_one_transaction(conn, stores, writers, abandon);
    conn.pragma_update(None, "cache_size", DEFAULT_CACHE_KIB)?;
    seeded
}

fn seed_in_one_transaction(
    conn: &mut Connection,
    stores: &[StoreModel],
    writers: &[Slot],
    abandon: &AtomicBool,
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut insert_store =
            tx.prepare("INSERT INTO stores (id, lag_ms, retention_ms) VALUES (?1, ?2, ?3)")?;
        for store in stores {
            insert_store.execute(params![store.id, store.lag_ms, store.retention_ms])?;
        }
        let mut insert_writer = tx.prepare(
            "INSERT INTO writers (id, name, server_ip, region, project_id, project_name, kind,
                store_id, status, checkpoint_ms, anchor_ms, rate, message, version, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?;
        // In id order, the primary key's index only grows at its end.
        let mut in_order: Vec<&Slot> = writers.iter().collect();
        in_order.sort_unstable_by(|a, b| a.identity.id.cmp(&b.identity.id));
        for (at, slot) in in_order.into_iter().enumerate() {
            if at % ABANDON_CHECK == 0 && abandon.load(Ordering::Acquire) {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_INTERRUPT),
                    Some("the controller shut down before the demo fleet was written".into()),
                ));
            }
            let (identity, state) = (&slot.identity, &slot.state);
            insert_writer.execute(params![
                identity.id,
                identity.name,
                identity.server_ip,
                identity.region,
                identity.project.id,
                identity.project.name,
                identity.kind.as_str(),
                slot.store.id,
                state.status.as_str(),
                state.anchor_checkpoint.map(|c| c.timestamp_millis()),
                state.anchor_time.timestamp_millis(),
                state.rate,
                state.message,
                state.version as i64,
                state.updated_at.timestamp_millis(),
            ])?;
        }
    }
    set_revision(&tx, 1)?;
    tx.commit()
}

/// Loads the fleet. Writers left transitional by a crash finish their transition (version
/// bumped, persisted); every writer is re-anchored at `now`, so running writers resume from
/// their last persisted checkpoint.
pub(super) fn load(
    conn: &mut Connection,
    now: DateTime<Utc>,
) -> rusqlite::Result<(Vec<Slot>, u64)> {
    // Regions, projects and stores repeat: each distinct value is held once.
    interning(|| load_interned(conn, now))
}

fn load_interned(conn: &mut Connection, now: DateTime<Utc>) -> rusqlite::Result<(Vec<Slot>, u64)> {
    let tx = conn.transaction()?;
    let revision = revision(&tx)?;
    let stores: HashMap<SharedStr, Arc<StoreModel>> = {
        let mut stmt = tx.prepare("SELECT id, lag_ms, retention_ms FROM stores")?;
        let rows = stmt.query_map([], |row| {
            Ok(StoreModel {
                id: row.get(0)?,
                lag_ms: row.get(1)?,
                retention_ms: row.get(2)?,
            })
        })?;
        rows.map(|store| store.map(|s| (s.id.clone(), Arc::new(s))))
            .collect::<rusqlite::Result<_>>()?
    };
    let mut slots = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT id, name, server_ip, region, project_id, project_name, kind, store_id,
                    status, checkpoint_ms, rate, message, version, updated_at_ms
             FROM writers",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let store_id: SharedStr = row.get(7)?;
            let Some(store) = stores.get(store_id.as_str()).cloned() else {
                return Err(super::invalid(
                    7,
                    format!("writer refers to unknown store {store_id}"),
                ));
            };
            let identity = WriterIdentity {
                // Unique: not interned.
                id: SharedStr::from(row.get_ref(0)?.as_str()?),
                name: row.get_ref(1)?.as_str()?.into(),
                server_ip: row.get_ref(2)?.as_str()?.into(),
                region: row.get(3)?,
                project: Project {
                    id: row.get(4)?,
                    name: row.get(5)?,
                },
                kind: row
                    .get_ref(6)?
                    .as_str()?
                    .parse()
                    .map_err(|e: UnknownKind| super::invalid(6, e.to_string()))?,
            };
            let status: WriterStatus = row
                .get_ref(8)?
                .as_str()?
                .parse()
                .map_err(|e: crate::domain::UnknownStatus| super::invalid(8, e.to_string()))?;
            let state = WriterState {
                status,
                anchor_checkpoint: row
                    .get::<_, Option<i64>>(9)?
                    .map(super::from_ms)
                    .transpose()?,
                anchor_time: now,
                rate: row.get(10)?,
                message: row.get(11)?,
                version: row.get::<_, i64>(12)? as u64,
                updated_at: super::from_ms(row.get(13)?)?,
            };
            slots.push(Slot {
                identity: Arc::new(identity),
                store,
                state,
            });
        }
    }
    let revision = settle_loaded(&mut slots, now, revision, |id, state| {
        save_state(&tx, id, state)
    })?;
    set_revision(&tx, revision)?;
    tx.commit()?;
    Ok((slots, revision))
}

/// Reads writer `id`'s state and saves what `decide` makes of it (with the next fleet
/// revision), in one transaction.
pub(super) fn change_writer(
    conn: &mut Connection,
    id: &str,
    decide: &mut dyn FnMut(&WriterState) -> Decision,
) -> rusqlite::Result<Option<WriterState>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let stored = tx
        .prepare_cached(
            "SELECT status, checkpoint_ms, anchor_ms, rate, message, version, updated_at_ms
             FROM writers WHERE id = ?1",
        )?
        .query_row([id], |row| {
            let status = row
                .get_ref(0)?
                .as_str()?
                .parse()
                .map_err(|e: crate::domain::UnknownStatus| super::invalid(0, e.to_string()))?;
            Ok(WriterState {
                status,
                anchor_checkpoint: row
                    .get::<_, Option<i64>>(1)?
                    .map(super::from_ms)
                    .transpose()?,
                anchor_time: super::from_ms(row.get(2)?)?,
                rate: row.get(3)?,
                message: row.get(4)?,
                version: row.get::<_, i64>(5)? as u64,
                updated_at: super::from_ms(row.get(6)?)?,
            })
        })
        .optional()?;
    let Some(stored) = stored else {
        return Ok(None);
    };
    let answer = match decide(&stored) {
        Decision::Nothing => stored,
        Decision::Record(entry) => {
            audit::insert(&tx, &entry)?;
            stored
        }
        Decision::Save(state, entry) => {
            let revision = revision(&tx)?.saturating_add(1);
            save_state(&tx, id, &state)?;
            set_revision(&tx, revision)?;
            if let Some(entry) = entry {
                audit::insert(&tx, &entry)?;
            }
            state
        }
    };
    tx.commit()?;
    Ok(Some(answer))
}

/// Persists checkpoints of running writers, each only if its writer is still running at
/// the version it was read at.
pub(super) fn save_checkpoints(
    conn: &mut Connection,
    checkpoints: &[SavedCheckpoint],
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare_cached(
            "UPDATE writers SET checkpoint_ms = ?2, anchor_ms = ?3
             WHERE id = ?1 AND status = 'running' AND version = ?4",
        )?;
        for saved in checkpoints {
            stmt.execute(params![
                saved.id,
                saved.checkpoint.timestamp_millis(),
                saved.at.timestamp_millis(),
                saved.version as i64,
            ])?;
        }
    }
    tx.commit()
}

fn save_state(conn: &Connection, id: &str, state: &WriterState) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE writers SET status = ?2, checkpoint_ms = ?3, anchor_ms = ?4, rate = ?5,
            message = ?6, version = ?7, updated_at_ms = ?8
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        state.status.as_str(),
        state.anchor_checkpoint.map(|c| c.timestamp_millis()),
        state.anchor_time.timestamp_millis(),
        state.rate,
        state.message,
        state.version as i64,
        state.updated_at.timestamp_millis(),
    ])?;
    Ok(())
}

/// The fleet revision: that of the last change saved.
fn revision(conn: &Connection) -> rusqlite::Result<u64> {
    let value = conn
        .query_row("SELECT value FROM meta WHERE key = 'revision'", [], |row| {
            row.get::<_, i64>(0)
        })
        .optional()?;
    Ok(value.map_or(0, |v| u64::try_from(v).unwrap_or(0)))
}

fn set_revision(conn: &Connection, revision: u64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('revision', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![revision as i64])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::controller::demo;
    use crate::controller::store::{DB_FILE_NAME, SqliteStore, StateStore};

    #[test]
    fn a_checkpoint_is_saved_only_while_its_writer_is_at_the_version_read()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let db = SqliteStore::open(&dir.path().join(DB_FILE_NAME))?;
        let now = Utc
            .with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
            .single()
            .ok_or("no such time")?;
        let seed = demo::demo_seed(50, 1, now);
        db.seed(&seed.stores, &seed.slots, &AtomicBool::new(false))?;
        let mut running = seed
            .slots
            .iter()
            .filter(|slot| slot.state.status == WriterStatus::Running)
            .map(|slot| (&slot.identity, &slot.state));
        let (Some((current, current_state)), Some((changed, changed_state))) =
            (running.next(), running.next())
        else {
            return Err("the demo fleet has fewer than two running writers".into());
        };
        let saved = |id: &str, version: u64| SavedCheckpoint {
            id: id.into(),
            checkpoint: now - chrono::Duration::seconds(7),
            at: now,
            version,
        };
        db.save_checkpoints(&[
            saved(&current.id, current_state.version),
            // Read before an operation moved this writer on: its own save stands.
            saved(&changed.id, changed_state.version + 1),
        ])?;
        let (slots, _) = db.load(now)?;
        let anchor = |id: &str| {
            slots
                .iter()
                .find(|slot| slot.identity.id == id)
                .and_then(|slot| slot.state.anchor_checkpoint)
        };
        assert_eq!(
            anchor(&current.id),
            Some(now - chrono::Duration::seconds(7))
        );
        assert_eq!(anchor(&changed.id), changed_state.anchor_checkpoint);
        Ok(())
    }

    #[test]
    fn an_abandoned_seeding_stores_nothing() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let db = SqliteStore::open(&dir.path().join(DB_FILE_NAME))?;
        let seed = demo::demo_seed(50, 1, Utc::now());
        let seeded = db.seed(&seed.stores, &seed.slots, &AtomicBool::new(true));
        assert!(seeded.is_err());
        assert!(db.is_empty()?);
        db.seed(&seed.stores, &seed.slots, &AtomicBool::new(false))?;
        assert!(!db.is_empty()?);
        Ok(())
    }
}
