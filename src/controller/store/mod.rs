//! Where the controller keeps what must outlive its process: the fleet and its revision, the
//! audit log, the answers kept for idempotent requests and the writers' histories.
//! [`StateStore`] is the seam: the engine, the OMS backend, the change feed and the HTTP layer
//! use it and nothing below it; [`SqliteStore`] keeps the state in one SQLite file (the
//! default), [`MysqlStore`] in a MySQL-protocol database.
//!
//! All methods block; callers run them off the async workers.

mod mysql;
pub(crate) mod retry;
mod sqlite;

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::backend::AuditFilter;
use super::fleet::{Slot, StoreModel, WriterState};
use crate::api::{AuditAction, AuditEntry};
use crate::domain::SharedStr;
pub use mysql::{MysqlStore, MysqlTarget};
pub use sqlite::{DB_FILE_NAME, SqliteStore};

/// Why the state store failed, or cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Mysql(Box<::mysql::Error>),
    #[error("the database holds what this jwctl did not write there: {0}")]
    Invalid(String),
    #[error("the controller shut down before the demo fleet was written")]
    SeedingAbandoned,
    #[error("another replica has been changing the schema for over {secs} s")]
    SchemaBusy { secs: u32 },
    #[error("the state database {place} did not answer within {secs} s ({detail})")]
    Unavailable {
        place: String,
        secs: u64,
        detail: String,
    },
    #[error(
        "its schema is version {found}, and this jwctl knows versions up to {known}: a newer \
         jwctl has used it; run that version or a newer one, or use another database"
    )]
    SchemaTooNew { found: i64, known: i64 },
}

impl From<::mysql::Error> for StoreError {
    fn from(error: ::mysql::Error) -> Self {
        StoreError::Mysql(Box::new(error))
    }
}

impl StoreError {
    /// What to do when the controller cannot start on the store, as the end of a sentence.
    pub(crate) fn advice(&self) -> &'static str {
        match self {
            StoreError::Sqlite(_) => "; move it away to start afresh",
            StoreError::Mysql(_) => {
                "; check --state-url, the password file, the CA file and that the database \
                 answers"
            }
            StoreError::Unavailable { .. } => "; check that it runs and is reachable from here",
            StoreError::SchemaBusy { .. } => "; try again once it has finished",
            StoreError::Invalid(_)
            | StoreError::SeedingAbandoned
            | StoreError::SchemaTooNew { .. } => "",
        }
    }
}

/// How long a lease on the lead lasts unless renewed, in milliseconds.
pub(crate) const LEASE_MS: i64 = 5_000;

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

/// The answer given to an idempotent request, as kept for a repeat of its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeptAnswer {
    /// What made the request what it was (method, path, If-Match, body).
    pub fingerprint: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// What the key of an idempotent request comes to in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Nobody has answered or is answering a request with it: this one is to, and holds it.
    Mine,
    /// A request with it is being answered (by another replica): that request's fingerprint.
    Answering(String),
    /// A request with it was answered, this way.
    Answered(KeptAnswer),
}

/// The status of a key's record while its request is being answered (no answer has it).
pub(crate) const ANSWERING: u16 = 0;

/// What a key's record, kept at `at` (if there is one), comes to: `None` when it may be
/// taken over — it expired before `oldest`, or its request began before `abandoned_before`
/// and never got an answer (the replica answering it died).
pub(crate) fn claim_of(
    kept: Option<(KeptAnswer, DateTime<Utc>)>,
    oldest: DateTime<Utc>,
    abandoned_before: DateTime<Utc>,
) -> Option<Claim> {
    let (kept, at) = kept?;
    if at < oldest || (kept.status == ANSWERING && at < abandoned_before) {
        return None;
    }
    Some(if kept.status == ANSWERING {
        Claim::Answering(kept.fingerprint)
    } else {
        Claim::Answered(kept)
    })
}

/// Writers a crash left transitional finish their transition as they load (version bumped):
/// each is handed to `save`; answers the fleet revision after them, from `revision`.
pub(crate) fn settle_loaded<E>(
    slots: &mut [Slot],
    now: DateTime<Utc>,
    mut revision: u64,
    mut save: impl FnMut(&str, &WriterState) -> Result<(), E>,
) -> Result<u64, E> {
    for slot in slots
        .iter_mut()
        .filter(|s| s.state.status.is_transitional())
    {
        let settled = slot.state.status.settled();
        let latest = slot.store.at(now).latest;
        let state = slot.state.changed(settled, None, now, latest);
        revision = revision.saturating_add(1);
        save(&slot.identity.id, &state)?;
        slot.state = state;
    }
    Ok(revision)
}

/// How many migrations a schema at version `found` needs to reach `known`: an error for a
/// newer one, or a version no jwctl writes (below 0).
pub(crate) fn migrations_due(found: i64, known: i64) -> Result<usize, StoreError> {
    if found > known {
        return Err(StoreError::SchemaTooNew { found, known });
    }
    if found < 0 {
        return Err(StoreError::Invalid(format!(
            "its schema_version is {found}, which no jwctl writes"
        )));
    }
    Ok(usize::try_from(known - found).unwrap_or(0))
}

#[cfg(test)]
mod migrations_due_tests {
    use super::*;

    #[test]
    fn a_version_below_zero_or_above_the_known_one_is_refused() {
        assert_eq!(migrations_due(0, 3).ok(), Some(3));
        assert_eq!(migrations_due(3, 3).ok(), Some(0));
        assert!(matches!(
            migrations_due(4, 3),
            Err(StoreError::SchemaTooNew { .. })
        ));
        let refused = migrations_due(-1, 3).err().map(|e| e.to_string());
        assert!(
            refused.as_deref().is_some_and(|e| e.contains("-1")),
            "{refused:?}"
        );
    }
}

/// A replica (a `jwctl serve` process) as the lease on the lead records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeaseHolder {
    pub replica: String,
    pub host: String,
    pub pid: u32,
    pub listen: String,
}

/// A replica as the shared store last heard of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeenReplica {
    pub holder: LeaseHolder,
    pub started: DateTime<Utc>,
    /// By the database's clock.
    pub last_seen: DateTime<Utc>,
    /// When it took the lead, while it holds it.
    pub leader_since: Option<DateTime<Utc>>,
    /// Whether it holds a lease on the lead that has not run out.
    pub leader: bool,
}

/// A writer's state as a change committed it, from the shared revision log.
#[derive(Debug, Clone)]
pub(crate) struct LoggedChange {
    pub id: String,
    pub state: WriterState,
    /// The fleet revision of the change.
    pub revision: u64,
}

/// Replicas seen this recently are listed.
pub(crate) const REPLICA_SEEN_WITHIN_MS: i64 = 30_000;

/// What a store several replicas share offers beyond [`StateStore`]: the lease on the lead
/// (the right to drive the backend), the replicas' heartbeats and the revision log.
pub(crate) trait Shared {
    /// Takes or renews the lead for `me` for [`LEASE_MS`], timed by the store's own clock,
    /// unless another replica holds a lease that has not run out: that replica is then
    /// answered, with when its lease runs out.
    fn claim_lead(
        &self,
        me: &LeaseHolder,
    ) -> Result<Option<(LeaseHolder, DateTime<Utc>)>, StoreError>;

    /// Gives the lead up if `me` holds it, so another replica may take it at once.
    fn release_lead(&self, me: &LeaseHolder) -> Result<(), StoreError>;

    /// Records that `me` (started at `started`, leading since `leader_since`) is alive now.
    fn heartbeat(
        &self,
        me: &LeaseHolder,
        started: DateTime<Utc>,
        leader_since: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// Forgets `me`: it stopped.
    fn depart(&self, me: &LeaseHolder) -> Result<(), StoreError>;

    /// The replicas seen within [`REPLICA_SEEN_WITHIN_MS`], the leader first.
    fn replicas(&self) -> Result<Vec<SeenReplica>, StoreError>;

    /// Writers' states committed at revisions after `after`, oldest first, at most `limit`.
    fn changes_since(&self, after: u64, limit: usize) -> Result<Vec<LoggedChange>, StoreError>;

    /// Stores `projects` as OMS described them, each at the next OMS revision, in one
    /// transaction; with `polled`, the time of the poll they come from.
    fn save_oms_projects(
        &self,
        projects: &[OmsProject],
        polled: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError>;

    /// The OMS projects stored at revisions after `after`, oldest first, and when OMS was
    /// last polled.
    fn oms_projects_since(&self, after: u64) -> Result<OmsProjects, StoreError>;

    /// Takes the database lock `name`, which one replica holds at a time, waiting up to
    /// `wait` while another holds it (none then). Held until the answer is dropped.
    fn hold_lock(&self, name: &str, wait: Duration) -> Result<Option<HeldLock>, StoreError>;
}

/// The writers of one OMS project as a replica last described them, shared with the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OmsProject {
    pub id: String,
    /// The project's writers, a JSON array as the API shows them.
    pub writers: Vec<u8>,
    /// Why its last describe failed (its writers then as last seen).
    pub failed: Option<String>,
    /// The OMS revision it was stored at (ignored when saving).
    pub revision: u64,
}

/// What [`Shared::oms_projects_since`] answers.
#[derive(Debug, Clone, Default)]
pub(crate) struct OmsProjects {
    pub projects: Vec<OmsProject>,
    pub polled: Option<DateTime<Utc>>,
}

/// A database lock [`Shared::hold_lock`] took: held by its own connection until dropped
/// (also when the process dies, the connection then closing).
pub(crate) struct HeldLock {
    _connection: Box<dyn Send>,
}

impl std::fmt::Debug for HeldLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeldLock")
    }
}

/// What a change to one writer comes to, decided against its stored state.
#[derive(Debug)]
pub(crate) enum Decision {
    /// Save this state (its version one above the stored one) with this audit record, at the
    /// next fleet revision.
    Save(WriterState, Option<NewAudit>),
    /// Record this audit entry only: a refusal, or a request that changed nothing.
    Record(NewAudit),
    /// Nothing to save.
    Nothing,
}

/// The controller's state, wherever it is kept.
pub(crate) trait StateStore: Send + Sync + std::fmt::Debug {
    /// What replicas sharing the store use, for a store other replicas may share; none for
    /// one this process owns alone (a file), whose lead is never contested.
    fn shared(&self) -> Option<&dyn Shared> {
        None
    }

    /// Since when the database has not answered (none while it does, and never for a file).
    fn unreachable_since(&self) -> Option<DateTime<Utc>> {
        None
    }

    /// Whether no writer is stored yet.
    fn is_empty(&self) -> Result<bool, StoreError>;

    /// Stores a whole fleet at revision 1 in one transaction, unless `abandon` turns true
    /// first, or another replica stored one first: then nothing is stored, and false answered.
    fn seed(
        &self,
        stores: &[StoreModel],
        writers: &[Slot],
        abandon: &AtomicBool,
    ) -> Result<bool, StoreError>;

    /// The fleet and its revision. A store this process owns alone settles the writers a crash
    /// left transitional (version bumped, saved) and re-anchors every writer at `now`, so
    /// running writers resume from their last saved checkpoint; a shared one answers them as
    /// stored, as the other replicas see them.
    fn load(&self, now: DateTime<Utc>) -> Result<(Vec<Slot>, u64), StoreError>;

    /// Reads writer `id`'s stored state and saves what `decide` makes of it, all in one
    /// transaction holding the writer: two replicas deciding on the same writer take turns,
    /// the second seeing what the first saved. A save takes the next fleet revision. Answers
    /// the state stored after it; none for a writer not stored.
    fn change_writer(
        &self,
        id: &str,
        decide: &mut dyn FnMut(&WriterState) -> Decision,
    ) -> Result<Option<WriterState>, StoreError>;

    /// Saves the checkpoints of running writers, each only while its writer is still running
    /// at the version it was read at.
    fn save_checkpoints(&self, checkpoints: &[SavedCheckpoint]) -> Result<(), StoreError>;

    /// Records an operation that changed nothing in the store (a no-op, a refusal, or one a
    /// backend of its own carries out): answers the entry's id.
    fn record_audit(&self, audit: &NewAudit) -> Result<u64, StoreError>;

    /// Sets the result and message of the entry recorded as `id`.
    fn answer_audit(&self, id: u64, result: &str, message: Option<&str>) -> Result<(), StoreError>;

    /// The newest `filter.limit` audit entries `filter` admits, newest first; reads do not
    /// wait behind writes.
    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;

    /// Takes `span` change-feed revisions no run of any replica has taken before, durably:
    /// answers the first.
    fn take_revisions(&self, span: u64) -> Result<u64, StoreError>;

    /// The saved history chunks, in the order they were saved.
    fn history_chunks(&self) -> Result<Vec<Vec<u8>>, StoreError>;

    /// Replaces the saved history chunks with `chunks`, in one transaction.
    fn replace_history_chunks(
        &self,
        chunks: &mut dyn Iterator<Item = Vec<u8>>,
    ) -> Result<(), StoreError>;

    /// Claims `identity`'s `key` for a request with `fingerprint` at `now`, unless a request
    /// with it was answered at or after `oldest`, or is being answered since
    /// `abandoned_before` or later (see [`claim_of`]).
    fn claim_key(
        &self,
        identity: &str,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        oldest: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
    ) -> Result<Claim, StoreError>;

    /// Keeps `answer` for `identity`'s request with `key`, given `at`; answers kept before
    /// `forget_before` are dropped.
    fn keep_answer(
        &self,
        identity: &str,
        key: &str,
        answer: &KeptAnswer,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}
