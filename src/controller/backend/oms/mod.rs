//! A real OMS behind the seam. A poller lists every project and describes each (bounded
//! concurrency) every poll interval, into a fleet kept in memory; a project whose describe
//! fails keeps its last known writers, marked as not refreshed. Starts and pauses are judged
//! like any other backend's (If-Match, then the shared rules) against OMS's current view of
//! the writer's project, then sent to OMS — the CM of the writer's region to stop or resume,
//! `ResetIncrStartTimestamp` first for a replay — never retried, and the project described
//! again at once, so the answer is OMS's view, not a guess. The audit log (in the state store)
//! records what was asked, what was sent and what OMS answered. Several replicas sharing a
//! database share one OMS (see [`sharing`]): the leader polls, every replica serves.

mod fleet;
mod sharing;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::{
    AuditFilter, Backend, BoxFuture, OperationRequest, Verdict, WriterView, blocking, judge, lock,
};
use crate::api::{AuditEntry, BackendInfo, BackendKind, Deployment, ErrorCode, FailedProject};
use crate::controller::error::ApiError;
use crate::controller::list_body;
use crate::controller::store::retry::{Record, write_or_try_again};
use crate::controller::store::{NewAudit, StateStore};
use crate::domain::{SharedClock, Writer};
use crate::oms::{OmsClient, OmsConfig, OmsError, poll_fleet, writers_of};
use fleet::{OmsFleet, OmsView, by_project};

/// The OMS backend.
#[derive(Debug)]
pub(crate) struct Oms {
    client: OmsClient,
    config: OmsConfig,
    clock: SharedClock,
    fleet: Mutex<OmsFleet>,
    /// The audit log's store, until the backend closes.
    store: Mutex<Option<Arc<dyn StateStore>>>,
    /// Whether other replicas may share the store, and with it this OMS.
    shared: bool,
    /// What this replica last stored or read of each project for the others, by digest.
    stored: Mutex<HashMap<String, u64>>,
    /// The last revision of the projects stored by the replicas read, held while reading
    /// more (what one read takes in is in the fleet before the next read begins) and while
    /// storing.
    followed: tokio::sync::Mutex<u64>,
    /// True while this replica leads: only the leader polls.
    leading: watch::Receiver<bool>,
    /// One start or pause at a time: judge, send, describe again.
    mutations: tokio::sync::Mutex<()>,
    /// The poller, and the task reading what other replicas stored.
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// Poked after every poll and describe taken in.
    changes: Arc<Notify>,
}

/// What an OMS failure is on jwctl's API: OMS's refusal (its code, message and advice), or
/// OMS unavailable.
fn api_error(error: &OmsError) -> ApiError {
    match error {
        OmsError::Refused { .. } => ApiError::new(ErrorCode::OmsRefused, error.to_string()),
        OmsError::Timeout { .. } => ApiError::new(ErrorCode::OmsTimeout, error.to_string()),
        _ => ApiError::new(ErrorCode::OmsUnavailable, error.to_string()),
    }
}

impl Oms {
    /// Polls OMS once (a wrong password or an unreachable OMS fails here, before the
    /// controller serves anything), then keeps polling while `leading`, until `stopping`.
    pub async fn start(
        config: OmsConfig,
        clock: SharedClock,
        store: Arc<dyn StateStore>,
        leading: watch::Receiver<bool>,
        stopping: watch::Receiver<bool>,
    ) -> Result<Arc<Oms>, OmsError> {
        let client = OmsClient::new(&config)?;
        let first = poll_fleet(&client, &config).await?;
        let mut fleet = OmsFleet::default();
        fleet.update_polled(by_project(first.writers), first.failed, 0);
        fleet.last_poll = Some(clock.now());
        tracing::info!(
            projects = first.projects,
            writers = fleet.writers.len(),
            ms = u64::try_from(first.took.as_millis()).unwrap_or(u64::MAX),
            "first OMS poll"
        );
        let projects = fleet.project_ids();
        let oms = Arc::new(Oms {
            client,
            config,
            clock,
            fleet: Mutex::new(fleet),
            shared: store.shared().is_some(),
            store: Mutex::new(Some(store)),
            stored: Mutex::new(HashMap::new()),
            followed: tokio::sync::Mutex::new(0),
            leading,
            mutations: tokio::sync::Mutex::new(()),
            tasks: Mutex::new(Vec::new()),
            changes: Arc::new(Notify::new()),
        });
        if *oms.leading.borrow() {
            oms.publish(&projects, Some(oms.clock.now())).await;
        }
        let mut tasks = vec![tokio::spawn(poll_periodically(
            Arc::downgrade(&oms),
            stopping.clone(),
        ))];
        if oms.shared {
            tasks.push(tokio::spawn(sharing::follow(
                Arc::downgrade(&oms),
                stopping,
            )));
        }
        *lock(&oms.tasks) = tasks;
        Ok(oms)
    }

    /// One poll of the whole fleet into memory, stored for the other replicas. It is taken
    /// in and stored in a turn of its own among the operations of every replica: one under
    /// way when the poll ends has stored its describe before, and one after describes later.
    async fn poll(self: &Arc<Self>) {
        let began = lock(&self.fleet).poll_begins();
        match poll_fleet(&self.client, &self.config).await {
            Ok(result) => {
                let turn = match self.take_turn(self.turn_wait()).await {
                    Ok(turn) => turn,
                    Err(error) => {
                        tracing::warn!(
                            error = %error.message,
                            "taking the poll in without a turn among the replicas' operations"
                        );
                        None
                    }
                };
                // What other replicas described while the poll was under way is fresher.
                self.catch_up().await;
                let now = self.clock.now();
                let projects = {
                    let mut fleet = lock(&self.fleet);
                    fleet.update_polled(by_project(result.writers), result.failed, began);
                    fleet.last_poll = Some(now);
                    fleet.project_ids()
                };
                self.changes.notify_one();
                tracing::debug!(
                    projects = result.projects,
                    ms = u64::try_from(result.took.as_millis()).unwrap_or(u64::MAX),
                    "OMS poll"
                );
                self.publish(&projects, Some(now)).await;
                sharing::end_turn(turn);
            }
            Err(error) => tracing::warn!(%error, "polling OMS failed; the fleet is as last seen"),
        }
    }

    /// Describes `writer`'s project again and takes its writers in; answers `writer` as
    /// described (none when OMS no longer lists it).
    async fn refresh_project(&self, writer: &Writer) -> Result<Option<Writer>, OmsError> {
        let described = self
            .client
            .describe_project_components(&writer.project.id)
            .await?;
        let item = crate::oms::wire::ProjectItem {
            id: writer.project.id.to_string(),
            name: writer.project.name.to_string(),
            ..Default::default()
        };
        let writers: Vec<Writer> = writers_of(&item, &described, &self.config.zone)
            .into_iter()
            .map(|m| m.writer)
            .collect();
        let fresh = writers.iter().find(|w| w.id == writer.id).cloned();
        let mut grouped = BTreeMap::new();
        grouped.insert(writer.project.id.to_string(), writers);
        lock(&self.fleet).update(grouped, Vec::new());
        self.changes.notify_one();
        self.publish(&[writer.project.id.to_string()], None).await;
        Ok(fresh)
    }

    /// Records `audit` on the blocking pool (the store blocks): answers its id.
    async fn record(self: &Arc<Self>, audit: NewAudit) -> Result<u64, ApiError> {
        const FAILED: &str = "recording an audit entry failed";
        let this = Arc::clone(self);
        blocking(FAILED, move || {
            let store = lock(&this.store).clone().ok_or_else(shutting_down)?;
            store
                .record_audit(&audit)
                .map_err(|e| ApiError::store(FAILED, &e))
        })
        .await
    }

    /// Replaces the result of entry `id` (recorded [`UNANSWERED`]) with what OMS answered;
    /// while the database does not answer, again every second for [`ANSWER_AGAIN_FOR`]. A
    /// failure is logged, not answered: OMS has done what it answered, and the entry still
    /// says what was sent.
    async fn answer(&self, id: u64, result: &str, message: String) {
        let Some(store) = lock(&self.store).clone() else {
            tracing::warn!(
                entry = id,
                "OMS's answer is not in the audit log: {}",
                shutting_down().message
            );
            return;
        };
        let result = result.to_string();
        let write = move || store.answer_audit(id, &result, Some(&message));
        let record = Record {
            what: format!("OMS's answer to audit entry {id}"),
            if_lost: "the entry says the operation was sent".to_string(),
        };
        write_or_try_again(write, std::time::Instant::now() + ANSWER_AGAIN_FOR, record).await;
    }

    /// The CM that runs `writer`: its region's, else the one without a region.
    fn cm_for(&self, writer: &Writer) -> Result<String, ApiError> {
        self.config
            .cm_url(&writer.region)
            .map(str::to_string)
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::OmsUnavailable,
                    format!(
                        "no CM is configured for region '{}' of {}; give --cm-url {}=URL",
                        writer.region, writer.name, writer.region
                    ),
                )
            })
    }

    /// Sends what `verdict` says for `writer`; answers what was sent, or why it failed (with
    /// what went through before, for a replay).
    async fn send(&self, writer: &Writer, verdict: &Verdict) -> Result<String, ApiError> {
        let cm = self.cm_for(writer)?;
        match verdict {
            Verdict::Pause => {
                self.client
                    .cm_stop(&cm, &writer.id)
                    .await
                    .map_err(|e| api_error(&e))?;
                Ok(format!("CM stop {} at {cm}", writer.id))
            }
            Verdict::Start { replay_from: None } => {
                self.client
                    .cm_resume(&cm, &writer.id, false)
                    .await
                    .map_err(|e| api_error(&e))?;
                Ok(format!("CM resume {} at {cm}", writer.id))
            }
            Verdict::Start {
                replay_from: Some(at),
            } => {
                let ticket = self
                    .client
                    .reset_incr_start_timestamp(&writer.project.id, at.timestamp())
                    .await
                    .map_err(|e| api_error(&e))?;
                let reset = format!(
                    "ResetIncrStartTimestamp {} to {} (ticket {})",
                    writer.project.id,
                    at.timestamp(),
                    ticket.as_deref().unwrap_or("none")
                );
                if let Err(error) = self.client.cm_resume(&cm, &writer.id, true).await {
                    let mut failed = api_error(&error);
                    failed.message = format!(
                        "the replay is half done: OMS moved the start point of project {} \
                         ({reset}), but resuming {} then failed: {}; start it again (with the \
                         same replay timestamp) once OMS answers",
                        writer.project.id, writer.name, failed.message
                    );
                    return Err(failed);
                }
                Ok(format!(
                    "{reset}; CM resume {} with pullBackFlag at {cm}",
                    writer.id
                ))
            }
            Verdict::NoOp | Verdict::Refused(_) => Ok(String::new()),
        }
    }

    /// Applies `request` in this replica's turn among all replicas, waiting for it at most
    /// [`Oms::turn_wait`].
    async fn apply_now(self: Arc<Self>, request: OperationRequest) -> Result<Writer, ApiError> {
        let wait = self.turn_wait();
        let asked = std::time::Instant::now();
        let Ok(_one_at_a_time) = tokio::time::timeout(wait, self.mutations.lock()).await else {
            return Err(self.busy(wait));
        };
        let turn = self.take_turn(wait.saturating_sub(asked.elapsed())).await?;
        // What the leader stored before this turn is older than what this one describes.
        self.catch_up().await;
        let applied = self.apply_in_turn(request).await;
        sharing::end_turn(turn);
        applied
    }

    async fn apply_in_turn(
        self: &Arc<Self>,
        request: OperationRequest,
    ) -> Result<Writer, ApiError> {
        let seen = self.writer(&request.writer_id)?;
        // Judge against OMS's view now, not the last poll's.
        let writer = self
            .refresh_project(&seen)
            .await
            .map_err(|e| api_error(&e))?
            .ok_or_else(|| ApiError::writer_not_found(&request.writer_id))?;
        let now = self.clock.now();
        let audit = |result: &str, message: Option<String>| request.audit(now, result, message);
        let verdict = judge(&request, &writer, now);
        match &verdict {
            Verdict::Refused(error) => {
                self.record(audit(error.code.as_str(), Some(error.message.clone())))
                    .await?;
                return Err(error.clone());
            }
            Verdict::NoOp => {
                self.record(audit("noop", None)).await?;
                return Ok(writer);
            }
            Verdict::Start { .. } | Verdict::Pause => {}
        }
        // Recorded before anything is sent, so that whatever OMS is asked is in the audit
        // log even when this replica dies before OMS answers.
        let entry = self
            .record(audit(UNANSWERED, Some(UNANSWERED_MESSAGE.to_string())))
            .await?;
        match self.send(&writer, &verdict).await {
            Ok(sent) => {
                let after = match self.refresh_project(&writer).await {
                    Ok(fresh) => fresh.unwrap_or(writer),
                    Err(error) => {
                        tracing::warn!(%error, "describing a project after an operation failed");
                        writer
                    }
                };
                let reports = after.status_label();
                self.answer(
                    entry,
                    "ok",
                    format!("sent: {sent}; OMS now reports {reports}"),
                )
                .await;
                Ok(after)
            }
            Err(error) => {
                self.answer(entry, error.code.as_str(), error.message.clone())
                    .await;
                Err(error)
            }
        }
    }
}

/// How long OMS's answer is tried again when the database does not take it.
const ANSWER_AGAIN_FOR: std::time::Duration = std::time::Duration::from_secs(600);

/// The result of an operation's audit entry while OMS has not answered it (for good, when the
/// replica sending it died first).
const UNANSWERED: &str = "unanswered";
const UNANSWERED_MESSAGE: &str = "being sent to OMS; when no answer replaces this, the \
     controller sending it stopped before OMS answered: see the writer's status in OMS";

fn shutting_down() -> ApiError {
    ApiError::internal(
        "request refused",
        &"the controller is shutting down and its database is closed",
    )
}

/// Polls every poll interval while this replica leads, and at once when it takes the lead
/// (what the others stored may be a poll behind), until `stopping`.
async fn poll_periodically(oms: std::sync::Weak<Oms>, mut stopping: watch::Receiver<bool>) {
    let Some((every, mut leading)) = oms
        .upgrade()
        .map(|oms| (oms.config.poll, oms.leading.clone()))
    else {
        return;
    };
    let mut interval = tokio::time::interval(every);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    interval.tick().await;
    leading.mark_unchanged();
    // The lead of a store this process owns alone never changes: its sender is gone, and
    // `changed` would answer at once, every time.
    let mut watching = true;
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            changed = leading.changed(), if watching => {
                if changed.is_err() {
                    watching = false;
                    continue;
                }
                if !*leading.borrow_and_update() {
                    continue;
                }
                interval.reset();
            }
            _ = stopping.wait_for(|stopping| *stopping) => return,
        }
        let Some(oms) = oms.upgrade() else {
            return;
        };
        if *oms.leading.borrow() {
            oms.poll().await;
        }
    }
}

impl Backend for Oms {
    fn deployment(&self) -> Deployment {
        let fleet = lock(&self.fleet);
        Deployment {
            multi_region: fleet.regions.len() > 1,
            regions: fleet.regions.clone(),
            backend: BackendInfo {
                kind: BackendKind::Oms,
                url: Some(self.config.url.clone()),
                last_poll: fleet.last_poll,
                poll_secs: Some(self.config.poll.as_secs().max(1)),
                failed_projects: fleet
                    .failed
                    .iter()
                    .map(|(id, error)| FailedProject {
                        id: id.clone(),
                        error: error.clone(),
                    })
                    .collect(),
            },
            // Known above the backend, which fills them in.
            replicas: Vec::new(),
        }
    }

    fn fleet_size(&self) -> usize {
        lock(&self.fleet).writers.len()
    }

    fn writer(&self, id: &str) -> Result<Writer, ApiError> {
        lock(&self.fleet)
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::writer_not_found(id))
    }

    fn list_body(
        self: Arc<Self>,
        region: Option<String>,
        revision: u64,
    ) -> BoxFuture<Result<Body, ApiError>> {
        Box::pin(async move {
            let writers: Vec<Writer> = lock(&self.fleet)
                .writers
                .iter()
                .filter(|w| region.as_ref().is_none_or(|r| &w.region == r))
                .cloned()
                .collect();
            Ok(list_body::writer_list(
                revision,
                writers,
                Arc::new(|writer: &Writer, out: &mut Vec<u8>| serde_json::to_writer(out, writer)),
            ))
        })
    }

    fn visit(&self, visit: &mut dyn FnMut(&dyn WriterView)) {
        let fleet = lock(&self.fleet);
        for writer in &fleet.writers {
            visit(&OmsView(writer));
        }
    }

    fn changes(&self) -> Arc<Notify> {
        self.changes.clone()
    }

    fn audit(self: Arc<Self>, filter: AuditFilter) -> BoxFuture<Result<Vec<AuditEntry>, ApiError>> {
        const FAILED: &str = "reading the audit log failed";
        Box::pin(blocking(FAILED, move || {
            let store = lock(&self.store).clone().ok_or_else(shutting_down)?;
            store
                .audit(&filter)
                .map_err(|e| ApiError::store(FAILED, &e))
        }))
    }

    fn apply(self: Arc<Self>, request: OperationRequest) -> BoxFuture<Result<Writer, ApiError>> {
        // A task of its own: a client hanging up must not stop an operation half way through
        // what OMS is asked (the request's future is dropped then).
        let operation = tokio::spawn(self.apply_now(request));
        Box::pin(async move {
            operation
                .await
                .map_err(|e| ApiError::internal("the operation on OMS failed", &e))?
        })
    }

    fn close(self: Arc<Self>) -> BoxFuture<()> {
        Box::pin(async move {
            for task in std::mem::take(&mut *lock(&self.tasks)) {
                task.abort();
            }
            // Operations still under way (their clients may have hung up) are answered and
            // audited before the store goes.
            let _drained = self.mutations.lock().await;
            drop(lock(&self.store).take());
        })
    }
}
