//! SQLite persistence: writers, stores, the fleet revision and the audit log, in
//! `<data_dir>/jwctl.db` (WAL, `synchronous=FULL`: a committed change survives a crash).
//!
//! All functions block; callers run them off the async workers.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use super::backend::AuditFilter;
use super::fleet::{Slot, StoreModel, WriterIdentity, WriterState};
use super::schema::{self, StoreError};
use crate::api::{AuditAction, AuditEntry};
use crate::domain::{Project, SharedStr, UnknownKind, WriterStatus, interning};

/// SQLite's page cache while a demo fleet is seeded (negative: KiB), and SQLite's default.
const SEED_CACHE_KIB: i64 = -256 * 1024;
const DEFAULT_CACHE_KIB: i64 = -2000;
/// Writers seeded between two looks at whether the seeding is abandoned.
const ABANDON_CHECK: usize = 1024;

/// File name of the database inside the data dir.
pub const DB_FILE_NAME: &str = "jwctl.db";

/// An audit record about to be written.
#[derive(Debug, Clone)]
pub(crate) struct NewAudit {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub writer_id: String,
    pub action: AuditAction,
    pub replay_from: Option<DateTime<Utc>>,
    pub result: String,
    pub message: Option<String>,
}

/// A running writer's checkpoint as read at `at`, to save while its writer is still at
/// `version`.
#[derive(Debug, Clone)]
pub(crate) struct SavedCheckpoint {
    pub id: SharedStr,
    pub checkpoint: DateTime<Utc>,
    pub at: DateTime<Utc>,
    pub version: u64,
}

/// The open database.
#[derive(Debug)]
pub(crate) struct Db {
    conn: Connection,
}

impl Db {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Db, StoreError> {
        open_writable(path).map(|conn| Db { conn })
    }

    /// Whether no writer is stored yet.
    pub fn is_empty(&self) -> rusqlite::Result<bool> {
        let any: bool =
            self.conn
                .query_row("SELECT EXISTS (SELECT 1 FROM writers)", [], |row| {
                    row.get(0)
                })?;
        Ok(!any)
    }

    /// Stores a whole fleet in one transaction, unless `abandon` turns true first (then
    /// nothing is stored).
    pub fn seed(
        &mut self,
        stores: &[StoreModel],
        writers: &[Slot],
        abandon: &AtomicBool,
    ) -> rusqlite::Result<()> {
        // A million writers take random inserts into the id and name indexes, which thrash
        // SQLite's default 2 MiB page cache: a large one while the fleet goes in, then back.
        self.conn
            .pragma_update(None, "cache_size", SEED_CACHE_KIB)?;
        let seeded = self.seed_in_one_transaction(stores, writers, abandon);
        self.conn
            .pragma_update(None, "cache_size", DEFAULT_CACHE_KIB)?;
        seeded
    }

    fn seed_in_one_transaction(
        &mut self,
        stores: &[StoreModel],
        writers: &[Slot],
        abandon: &AtomicBool,
    ) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
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
    pub fn load(&mut self, now: DateTime<Utc>) -> rusqlite::Result<(Vec<Slot>, u64)> {
        // Regions, projects and stores repeat: each distinct value is held once.
        interning(|| self.load_interned(now))
    }

    fn load_interned(&mut self, now: DateTime<Utc>) -> rusqlite::Result<(Vec<Slot>, u64)> {
        let tx = self.conn.transaction()?;
        let mut revision = tx
            .query_row("SELECT value FROM meta WHERE key = 'revision'", [], |row| {
                row.get::<_, i64>(0)
            })
            .optional()?
            .unwrap_or(0) as u64;
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
                    return Err(invalid(
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
                        .map_err(|e: UnknownKind| invalid(6, e.to_string()))?,
                };
                let status: WriterStatus = row
                    .get_ref(8)?
                    .as_str()?
                    .parse()
                    .map_err(|e: crate::domain::UnknownStatus| invalid(8, e.to_string()))?;
                let state = WriterState {
                    status,
                    anchor_checkpoint: row.get::<_, Option<i64>>(9)?.map(from_ms).transpose()?,
                    anchor_time: now,
                    rate: row.get(10)?,
                    message: row.get(11)?,
                    version: row.get::<_, i64>(12)? as u64,
                    updated_at: from_ms(row.get(13)?)?,
                };
                slots.push(Slot {
                    identity: Arc::new(identity),
                    store,
                    state,
                });
            }
        }
        for slot in &mut slots {
            if !slot.state.status.is_transitional() {
                continue;
            }
            let settled = slot.state.status.settled();
            let latest = slot.store.at(now).latest;
            let state = slot.state.changed(settled, None, now, latest);
            revision = revision.saturating_add(1);
            save_state(&tx, &slot.identity.id, &state)?;
            slot.state = state;
        }
        set_revision(&tx, revision)?;
        tx.commit()?;
        Ok((slots, revision))
    }

    /// Commits a writer's new state, the fleet revision and an audit record together.
    pub fn commit_change(
        &mut self,
        id: &str,
        state: &WriterState,
        revision: u64,
        audit: Option<&NewAudit>,
    ) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        save_state(&tx, id, state)?;
        set_revision(&tx, revision)?;
        if let Some(audit) = audit {
            insert_audit(&tx, audit)?;
        }
        tx.commit()
    }

    /// Records an operation that changed nothing (no-op or refusal).
    pub fn record_audit(&mut self, audit: &NewAudit) -> rusqlite::Result<()> {
        insert_audit(&self.conn, audit)
    }

    /// Persists checkpoints of running writers, each only if its writer is still running at
    /// the version it was read at.
    pub fn save_checkpoints(&mut self, checkpoints: &[SavedCheckpoint]) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
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
}

/// A read-write connection to the database at `path`, its schema created or brought up to
/// date ([`schema::prepare`]).
pub(crate) fn open_writable(path: &Path) -> Result<Connection, StoreError> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    schema::prepare(&mut conn)?;
    Ok(conn)
}

/// The change feed's revisions, reserved ahead in blocks (`meta` row `feed_reserved`), so the
/// fleet revision never goes backwards across a restart, a crash included, without a write per
/// revision: a run publishes only revisions up to what it reserved, and the next run starts
/// above it.
#[derive(Debug)]
pub(crate) struct RevisionStore {
    conn: Connection,
}

impl RevisionStore {
    /// Opens its own connection to the database at `path`.
    pub fn open(path: &Path) -> Result<RevisionStore, StoreError> {
        open_writable(path).map(|conn| RevisionStore { conn })
    }

    /// The highest revision an earlier run may have published: the last reservation, or the
    /// simulated fleet's own revision when that is higher (a database from before the feed).
    pub fn used(&self) -> rusqlite::Result<u64> {
        let value = |key: &str| {
            self.conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                    row.get::<_, i64>(0)
                })
                .optional()
                .map(|v| v.map_or(0, |v| u64::try_from(v).unwrap_or(0)))
        };
        Ok(value("feed_reserved")?.max(value("revision")?))
    }

    /// Records that revisions up to `bound` may be published (durably, before any is).
    pub fn reserve(&mut self, bound: u64) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO meta (key, value) VALUES ('feed_reserved', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)",
            )?
            .execute(params![i64::try_from(bound).unwrap_or(i64::MAX)])?;
        Ok(())
    }
}

/// A read-only connection for the audit log, so reads do not wait behind writes (WAL lets
/// readers and the writer proceed together).
#[derive(Debug)]
pub(crate) struct AuditReader {
    conn: Connection,
}

impl AuditReader {
    /// Opens the database at `path` (created by [`Db::open`]) read-only.
    pub fn open(path: &Path) -> rusqlite::Result<AuditReader> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(AuditReader { conn })
    }

    /// The newest `filter.limit` audit entries `filter` admits, newest first. Only the
    /// conditions given are in the statement, so a writer's entries come from its index.
    pub fn audit(&self, filter: &AuditFilter) -> rusqlite::Result<Vec<AuditEntry>> {
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
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id, at_ms, actor, writer_id, action, replay_from_ms, result, message
             FROM audit {condition} ORDER BY id DESC LIMIT ?{limit}",
        ))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values), |row| {
            let action = match row.get_ref(4)?.as_str()? {
                "start" => AuditAction::Start,
                "pause" => AuditAction::Pause,
                other => return Err(invalid(4, format!("unknown audit action {other}"))),
            };
            Ok(AuditEntry {
                id: row.get::<_, i64>(0)? as u64,
                at: from_ms(row.get(1)?)?,
                actor: row.get(2)?,
                writer_id: row.get(3)?,
                action,
                replay_from: row.get::<_, Option<i64>>(5)?.map(from_ms).transpose()?,
                result: row.get(6)?,
                message: row.get(7)?,
            })
        })?;
        rows.collect()
    }
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

fn set_revision(conn: &Connection, revision: u64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('revision', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![revision as i64])?;
    Ok(())
}

fn insert_audit(conn: &Connection, audit: &NewAudit) -> rusqlite::Result<()> {
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

fn from_ms(ms: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| invalid(0, format!("timestamp {ms} ms is out of range")))
}

fn invalid(column: usize, message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, Type::Text, message.into())
}

/// Shared text goes in as text; read back, equal values share one allocation while a load
/// runs under [`crate::domain::interning`].
impl rusqlite::types::ToSql for SharedStr {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(
            rusqlite::types::ValueRef::Text(self.as_bytes()),
        ))
    }
}

impl rusqlite::types::FromSql for SharedStr {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        value.as_str().map(SharedStr::interned)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::controller::demo;

    #[test]
    fn a_checkpoint_is_saved_only_while_its_writer_is_at_the_version_read()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let mut db = Db::open(&dir.path().join(DB_FILE_NAME))?;
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
        let mut db = Db::open(&dir.path().join(DB_FILE_NAME))?;
        let seed = demo::demo_seed(50, 1, Utc::now());
        let seeded = db.seed(&seed.stores, &seed.slots, &AtomicBool::new(true));
        assert!(seeded.is_err());
        assert!(db.is_empty()?);
        db.seed(&seed.stores, &seed.slots, &AtomicBool::new(false))?;
        assert!(!db.is_empty()?);
        Ok(())
    }
}
