//! The engine serving a demo fleet while it is written to the database.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use chrono::{TimeZone, Utc};

use super::backend::{Operation, OperationRequest};
use super::demo;
use super::engine::Engine;
use super::fleet::Fleet;
use super::store::{DB_FILE_NAME, SqliteStore, StateStore};
use crate::domain::{ManualClock, SharedClock, WriterStatus};

type TestResult = Result<(), Box<dyn std::error::Error>>;

#[test]
fn an_operation_sent_while_the_demo_fleet_is_written_waits_for_it_and_is_kept() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(DB_FILE_NAME);
    let now = Utc
        .with_ymd_and_hms(2026, 11, 24, 10, 0, 0)
        .single()
        .ok_or("no such time")?;
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
