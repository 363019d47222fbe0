//! The state in one SQLite file, `<data_dir>/jwctl.db` (WAL, `synchronous=FULL`: a committed
//! change survives a crash). One connection writes the fleet and the audit log (the engine
//! serialises changes above it); a read-only one answers audit queries, which WAL lets proceed
//! beside the writes; the change feed's revisions and the idempotent answers have their own;
//! histories, saved at a stop and read at a start, open one for the occasion.

mod answers;
mod audit;
mod fleet;
mod history;
mod revisions;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, OpenFlags};

use super::{Claim, Decision, KeptAnswer, NewAudit, SavedCheckpoint, StateStore, StoreError};
use crate::api::AuditEntry;
use crate::controller::backend::{AuditFilter, lock};
use crate::controller::fleet::{Slot, StoreModel, WriterState};
use crate::domain::SharedStr;

/// File name of the database inside the data dir.
pub const DB_FILE_NAME: &str = "jwctl.db";

/// The state in the SQLite database at a path.
pub struct SqliteStore {
    path: PathBuf,
    writes: Mutex<Connection>,
    reads: Mutex<Connection>,
    revisions: Mutex<Connection>,
    answers: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens the database at `path`, creating it or bringing its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let writes = open_writable(path)?;
        let reads = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        reads.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writes: Mutex::new(writes),
            reads: Mutex::new(reads),
            revisions: Mutex::new(open_writable(path)?),
            answers: Mutex::new(open_writable(path)?),
        })
    }
}

impl StateStore for SqliteStore {
    fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(fleet::is_empty(&lock(&self.writes))?)
    }

    fn seed(
        &self,
        stores: &[StoreModel],
        writers: &[Slot],
        abandon: &AtomicBool,
    ) -> Result<bool, StoreError> {
        fleet::seed(&mut lock(&self.writes), stores, writers, abandon)?;
        Ok(true)
    }

    fn load(&self, now: DateTime<Utc>) -> Result<(Vec<Slot>, u64), StoreError> {
        Ok(fleet::load(&mut lock(&self.writes), now)?)
    }

    fn change_writer(
        &self,
        id: &str,
        decide: &mut dyn FnMut(&WriterState) -> Decision,
    ) -> Result<Option<WriterState>, StoreError> {
        Ok(fleet::change_writer(&mut lock(&self.writes), id, decide)?)
    }

    fn save_checkpoints(&self, checkpoints: &[SavedCheckpoint]) -> Result<(), StoreError> {
        Ok(fleet::save_checkpoints(
            &mut lock(&self.writes),
            checkpoints,
        )?)
    }

    fn record_audit(&self, entry: &NewAudit) -> Result<u64, StoreError> {
        let conn = lock(&self.writes);
        audit::insert(&conn, entry)?;
        Ok(u64::try_from(conn.last_insert_rowid()).unwrap_or(0))
    }

    fn answer_audit(&self, id: u64, result: &str, message: Option<&str>) -> Result<(), StoreError> {
        Ok(audit::answer(&lock(&self.writes), id, result, message)?)
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(audit::read(&lock(&self.reads), filter)?)
    }

    fn take_revisions(&self, span: u64) -> Result<u64, StoreError> {
        Ok(revisions::take(&mut lock(&self.revisions), span)?)
    }

    fn history_chunks(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(history::chunks(&open_writable(&self.path)?)?)
    }

    fn replace_history_chunks(
        &self,
        chunks: &mut dyn Iterator<Item = Vec<u8>>,
    ) -> Result<(), StoreError> {
        Ok(history::replace(&mut open_writable(&self.path)?, chunks)?)
    }

    fn claim_key(
        &self,
        identity: &str,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        oldest: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        Ok(answers::claim(
            &lock(&self.answers),
            identity,
            key,
            fingerprint,
            now,
            oldest,
            abandoned_before,
        )?)
    }

    fn keep_answer(
        &self,
        identity: &str,
        key: &str,
        answer: &KeptAnswer,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        Ok(answers::keep(
            &lock(&self.answers),
            identity,
            key,
            answer,
            at,
            forget_before,
        )?)
    }
}

/// A read-write connection to the database at `path`, its schema created or brought up to
/// date ([`schema::prepare`]).
fn open_writable(path: &Path) -> Result<Connection, StoreError> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    schema::prepare(&mut conn)?;
    Ok(conn)
}

/// The instant `ms` milliseconds after the epoch, or a conversion error.
fn from_ms(ms: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| invalid(0, format!("timestamp {ms} ms is out of range")))
}

/// A value read back that is not what was written.
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
