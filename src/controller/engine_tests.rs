//! The engine serving a demo fleet while it is written to the database.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::backend::{AuditFilter, Operation, OperationRequest, lock};
use super::demo;
use super::engine::Engine;
use super::fleet::{Fleet, Slot, StoreModel, WriterState};
use super::store::{
    Claim, DB_FILE_NAME, Decision, KeptAnswer, NewAudit, SavedCheckpoint, SqliteStore, StateStore,
    StoreError,
};
use crate::api::AuditEntry;
use crate::domain::{ManualClock, SharedClock, WriterStatus};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A temporary directory, where the database file goes in it, and a fixed time.
fn a_database_and_a_time()
-> Result<(tempfile::TempDir, PathBuf, DateTime<Utc>), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(DB_FILE_NAME);
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .ok_or("no such time")?;
    Ok((dir, path, now))
}

#[test]
fn an_operation_sent_while_the_demo_fleet_is_written_waits_for_it_and_is_kept() -> TestResult {
    let (_dir, path, now) = a_database_and_a_time()?;
    let clock: SharedClock = Arc::new(ManualClock::new(now));
    let store = Arc::new(SqliteStore::open(&path)?);
    let seed = demo::demo_seed(2_000, 2, now);
    let running = seed
        .slots
        .iter()
        .find(|slot| slot.state.status == WriterStatus::Running)
        .map(|slot| (slot.identity.id.clone(), slot.state.version))
        .ok_or("the demo fleet has no running writer")?;
    let fleet = Fleet::new(seed.slots.clone());
    let engine = Arc::new(Engine::seeding(
        store,
        fleet,
        clock,
        Duration::from_millis(300),
    ));
    // Served from memory before the database has it.
    assert_eq!(engine.writer(&running.0).map(|w| w.version), Ok(running.1));

    let (sent, answered) = mpsc::channel();
    let pausing = {
        let engine = engine.clone();
        let id = running.0.clone();
        std::thread::spawn(move || {
            let request = OperationRequest {
                writer_id: id.to_string(),
                operation: Operation::Pause,
                if_match: None,
                actor: "tester".into(),
            };
            let _ = sent.send(());
            engine
                .apply(&request)
                .map(|writer| writer.version)
                .map_err(|e| e.message)
        })
    };
    answered.recv()?;
    engine.seed(seed);
    let paused = pausing
        .join()
        .map_err(|_| "the pausing thread panicked")??;
    assert!(paused > running.1, "the pause was not applied");
    engine.close();

    // What the engine acknowledged is in the database, on top of the seeded fleet.
    let (slots, _) = SqliteStore::open(&path)?.load(now)?;
    assert_eq!(slots.len(), 2_000);
    let stored = slots
        .iter()
        .find(|slot| slot.identity.id == running.0)
        .ok_or("the writer is not in the database")?;
    // Left pausing at the close, it finishes pausing as it loads.
    assert!(stored.state.version >= paused);
    assert_eq!(stored.state.status, WriterStatus::Stopped);
    Ok(())
}

#[test]
fn a_shutdown_gives_up_a_demo_fleet_being_written() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(DB_FILE_NAME);
    let now = Utc::now();
    let clock: SharedClock = Arc::new(ManualClock::new(now));
    let seed = demo::demo_seed(500, 1, now);
    let engine = Engine::seeding(
        Arc::new(SqliteStore::open(&path)?),
        Fleet::new(seed.slots.clone()),
        clock,
        Duration::from_millis(300),
    );
    engine.close();
    engine.seed(seed);
    assert!(
        SqliteStore::open(&path)?.is_empty()?,
        "a closed engine wrote its demo fleet"
    );
    Ok(())
}

/// SQLite, with a demo fleet's write held after it committed until `go`: the moment a
/// shutdown could fall between the commit and the engine learning of it.
#[derive(Debug)]
struct HeldAfterSeeding {
    inner: SqliteStore,
    committed: Mutex<mpsc::Sender<()>>,
    go: Mutex<mpsc::Receiver<()>>,
}

impl StateStore for HeldAfterSeeding {
    fn is_empty(&self) -> Result<bool, StoreError> {
        self.inner.is_empty()
    }

    fn seed(
        &self,
        stores: &[StoreModel],
        writers: &[Slot],
        abandon: &AtomicBool,
    ) -> Result<bool, StoreError> {
        let seeded = self.inner.seed(stores, writers, abandon);
        let _ = lock(&self.committed).send(());
        let _ = lock(&self.go).recv_timeout(Duration::from_secs(30));
        seeded
    }

    fn load(&self, now: DateTime<Utc>) -> Result<(Vec<Slot>, u64), StoreError> {
        self.inner.load(now)
    }

    fn change_writer(
        &self,
        id: &str,
        decide: &mut dyn FnMut(&WriterState) -> Decision,
    ) -> Result<Option<WriterState>, StoreError> {
        self.inner.change_writer(id, decide)
    }

    fn save_checkpoints(&self, checkpoints: &[SavedCheckpoint]) -> Result<(), StoreError> {
        self.inner.save_checkpoints(checkpoints)
    }

    fn record_audit(&self, audit: &NewAudit) -> Result<u64, StoreError> {
        self.inner.record_audit(audit)
    }

    fn answer_audit(&self, id: u64, result: &str, message: Option<&str>) -> Result<(), StoreError> {
        self.inner.answer_audit(id, result, message)
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit(filter)
    }

    fn take_revisions(&self, span: u64) -> Result<u64, StoreError> {
        self.inner.take_revisions(span)
    }

    fn history_chunks(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        self.inner.history_chunks()
    }

    fn replace_history_chunks(
        &self,
        chunks: &mut dyn Iterator<Item = Vec<u8>>,
    ) -> Result<(), StoreError> {
        self.inner.replace_history_chunks(chunks)
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
        self.inner
            .claim_key(identity, key, fingerprint, now, oldest, abandoned_before)
    }

    fn keep_answer(
        &self,
        identity: &str,
        key: &str,
        answer: &KeptAnswer,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.inner
            .keep_answer(identity, key, answer, at, forget_before)
    }
}

/// A shutdown that falls after the demo fleet committed, but before the engine knew it,
/// still saves the checkpoints running writers reached since the fleet was generated.
#[test]
fn a_shutdown_as_the_demo_fleet_commits_saves_the_checkpoints_reached() -> TestResult {
    let (_dir, path, now) = a_database_and_a_time()?;
    let clock = Arc::new(ManualClock::new(now));
    let seed = demo::demo_seed(200, 1, now);
    let (committed, on_commit) = mpsc::channel();
    let (go, held) = mpsc::channel();
    let store = HeldAfterSeeding {
        inner: SqliteStore::open(&path)?,
        committed: Mutex::new(committed),
        go: Mutex::new(held),
    };
    let engine = Arc::new(Engine::seeding(
        Arc::new(store),
        Fleet::new(seed.slots.clone()),
        clock.clone(),
        Duration::ZERO,
    ));
    let running = seed
        .slots
        .iter()
        .find(|slot| slot.state.status == WriterStatus::Running)
        .map(|slot| slot.identity.id.clone())
        .ok_or("the demo fleet has no running writer")?;
    let seeding = {
        let engine = engine.clone();
        std::thread::spawn(move || engine.seed(seed))
    };
    on_commit.recv_timeout(Duration::from_secs(30))?;
    clock.advance(chrono::Duration::minutes(30));
    let reached = engine
        .writer(&running)
        .map_err(|e| e.message)?
        .checkpoint
        .ok_or("a running writer without a checkpoint")?;

    let (closed, on_close) = mpsc::channel();
    let closing = {
        let engine = engine.clone();
        std::thread::spawn(move || {
            engine.close();
            let _ = closed.send(());
        })
    };
    // The close has a moment to run while the write is held; one that waits for the write
    // to settle, as it must, does not end in it, and the write is then let go.
    let _ = on_close.recv_timeout(Duration::from_millis(200));
    go.send(())?;
    seeding.join().map_err(|_| "the seeding thread panicked")?;
    closing.join().map_err(|_| "the closing thread panicked")?;

    let (slots, _) = SqliteStore::open(&path)?.load(now)?;
    let stored = slots
        .iter()
        .find(|slot| slot.identity.id == running)
        .ok_or("the writer is not in the database")?;
    assert_eq!(
        stored.state.anchor_checkpoint.map(|c| c.timestamp_millis()),
        Some(reached.timestamp_millis()),
        "the checkpoint reached in 30 minutes was not saved at the shutdown"
    );
    Ok(())
}
