//! A stand-in OMS for the tests of `jwctl::oms`.
//!
//! It exists because a real OceanBase Migration Service cannot run here. It follows OMS's public
//! documentation and nothing else:
//! - the OpenAPI envelope and `ListProjects` paging (pageNumber from 1, pageSize ≤ 150,
//!   totalCount): enterprise-oms-doc-en-10000000002913033;
//! - `DescribeProjectComponents` (storeList, incrSyncComponents, fullImportComponents):
//!   enterprise-oms-doc-en-10000000001792132;
//! - `ResetIncrStartTimestamp` (`{id, reverse, startTimestamp}` → an O&M ticket id):
//!   enterprise-oms-doc-en-10000000002913051;
//! - the cluster manager's `/connector/task/v2/stop` and `/resume?…&pullBackFlag=true`,
//!   answering `{errCode, errMsg, errorDetail, isSuccess, result, retryable}`:
//!   community-oms-en-10000000001080513.
//!
//! Where the docs are silent the stand-in makes a plain choice, marked "stand-in choice":
//! HTTP Basic auth with 401 on wrong credentials (ODC's client, not an OMS page), the error
//! codes of its refusals, and one CM per region that only knows its region's components.
//!
//! Each region's CM is its own listener (own base URL). Every answer carries
//! `Connection: close`, so each call is a new connection and [`OmsStandin::drop_connections`]
//! can close connections without answering.

#![allow(dead_code)] // each test binary uses its own subset

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::DateTime;
use jwctl::oms::{OmsConfig, Secret};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub const USER: &str = "jwctl-ops";
pub const PASSWORD: &str = "pw-7f3b9c1e";
/// 2026-11-24T10:00:00Z: "now" in the stand-in's fleet.
pub const NOW: i64 = 1_795_514_400;

/// An Incr-Sync or Full-Import component as the stand-in keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub name: String,
    pub ip: String,
    pub region: String,
    pub status: String,
    /// Epoch seconds (`checkpointSampleTimestamp`), or none: then only `checkpoint` is sent.
    pub sample: Option<i64>,
    /// Zone-less UTC wall time (`checkpoint`).
    pub checkpoint: String,
    pub delay: f64,
    pub errors: Vec<String>,
}

/// A project with its store and components.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub region: String,
    pub store: String,
    pub begin: String,
    pub end: String,
    pub incr: Vec<Component>,
    pub full: Vec<Component>,
    /// Set by `ResetIncrStartTimestamp`, used by the next resume with `pullBackFlag=true`.
    pub reset_to: Option<i64>,
}

/// One request the stand-in received.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// `Action` of an OpenAPI call, or `stop` / `resume` for a CM call.
    pub target: String,
    /// The CM's region; `None` for OpenAPI calls.
    pub region: Option<String>,
    pub query: BTreeMap<String, String>,
    pub body: Value,
}

#[derive(Debug, Clone)]
struct Refusal {
    target: String,
    project: Option<String>,
    code: String,
    message: String,
    advice: String,
}

#[derive(Debug, Default)]
struct Faults {
    delay: Duration,
    /// Describes of these projects wait this long more.
    slow_describes: Vec<(String, Duration)>,
    refusals: Vec<Refusal>,
    http_500: Vec<String>,
    drop_connections: bool,
}

#[derive(Debug, Default)]
struct Fleet {
    projects: Vec<Project>,
    calls: Vec<Call>,
    faults: Faults,
    dropped: usize,
    tickets: u64,
}

type Shared = Arc<Mutex<Fleet>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Fleet> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running stand-in: the OpenAPI at `url`, one CM per region in `cm`.
pub struct OmsStandin {
    pub url: String,
    /// (region, CM base URL).
    pub cm: Vec<(String, String)>,
    shared: Shared,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for OmsStandin {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// `count` projects spread over `regions`, each with a store, one Incr-Sync and one
/// Full-Import component. Every fifth Incr-Sync is STOPPED, every seventh Full-Import FAILED;
/// Full-Import components report only a zone-less `checkpoint`.
pub fn build_fleet(count: usize, regions: &[&str]) -> Vec<Project> {
    (0..count)
        .map(|i| {
            let r = i % regions.len().max(1);
            let region = regions.get(r).copied().unwrap_or("default").to_string();
            let ip = format!("10.{r}.{}.{}", i / 250, i % 250 + 1);
            let id = format!("np_{}", base36(i as u64 * 7_919 + 1_679_616));
            let sample = NOW - 2 - (i as i64 % 60);
            let incr = Component {
                name: format!("{ip}-9000:connector_v2:{id}-incr_trans-1-0:0000000001"),
                ip: ip.clone(),
                region: region.clone(),
                status: if i % 5 == 3 { "STOPPED" } else { "RUNNING" }.into(),
                sample: Some(sample),
                checkpoint: wall(sample),
                delay: 2.0,
                errors: Vec::new(),
            };
            let failed = i % 7 == 6;
            let full = Component {
                name: format!("{ip}-9000:connector_v2:{id}-full_trans-1-0:0000000001"),
                status: if failed { "FAILED" } else { "RUNNING" }.into(),
                sample: None,
                checkpoint: wall(NOW - 3_600),
                delay: 0.0,
                errors: if failed {
                    vec!["Table orders_2024 not found in the target".into()]
                } else {
                    Vec::new()
                },
                ..incr.clone()
            };
            Project {
                name: format!("sync_orders_{i}"),
                store: format!("{ip}-7145:OB_MYSQL_{id}:0000000097"),
                region,
                begin: wall(NOW - 4 * 3_600),
                end: wall(NOW),
                incr: vec![incr],
                full: vec![full],
                reset_to: None,
                id,
            }
        })
        .collect()
}

/// Epoch seconds as a zone-less UTC wall time, as OMS writes checkpoints.
pub fn wall(epoch: i64) -> String {
    DateTime::from_timestamp(epoch, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default()
}

fn base36(mut n: u64) -> String {
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    while n > 0 || out.is_empty() {
        out.push(digits[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

impl OmsStandin {
    /// Starts the OpenAPI and one CM per region on 127.0.0.1:0 with `build_fleet(count, regions)`.
    pub async fn start(count: usize, regions: &[&str]) -> Self {
        let shared: Shared = Arc::new(Mutex::new(Fleet {
            projects: build_fleet(count, regions),
            ..Fleet::default()
        }));
        let mut tasks = Vec::new();
        let api = Router::new()
            .route("/api/v2", post(openapi))
            .with_state(shared.clone());
        let url = serve(api, shared.clone(), &mut tasks).await;
        let mut cm = Vec::new();
        for region in regions {
            let router = Router::new()
                .route("/connector/task/v2/{verb}", post(cm_call))
                .with_state((shared.clone(), region.to_string()));
            cm.push((
                region.to_string(),
                serve(router, shared.clone(), &mut tasks).await,
            ));
        }
        OmsStandin {
            url,
            cm,
            shared,
            tasks,
        }
    }

    /// A jwctl configuration for this stand-in with the right credentials.
    pub fn config(&self, timeout: Duration) -> OmsConfig {
        let mut config = OmsConfig::new(self.url.clone(), USER, Secret::new(PASSWORD));
        config.cm = self
            .cm
            .iter()
            .map(|(region, url)| (Some(region.clone()), url.clone()))
            .collect();
        config.timeout = timeout;
        config
    }

    /// Every call received so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.shared).calls.clone()
    }

    /// The calls to `target` (an Action, or `stop` / `resume`).
    pub fn calls_to(&self, target: &str) -> Vec<Call> {
        let fleet = lock(&self.shared);
        fleet
            .calls
            .iter()
            .filter(|c| c.target == target)
            .cloned()
            .collect()
    }

    /// How many times project `project` was described.
    pub fn describes_of(&self, project: &str) -> usize {
        lock(&self.shared)
            .calls
            .iter()
            .filter(|c| c.target == "DescribeProjectComponents")
            .filter(|c| c.body.get("id").and_then(Value::as_str) == Some(project))
            .count()
    }

    /// Waits until `done` holds of the stand-in, looking every 10 ms; panics when it has not
    /// after `limit`, saying what was awaited (`what`).
    pub async fn until(&self, limit: Duration, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = std::time::Instant::now() + limit;
        while !done(self) {
            assert!(
                std::time::Instant::now() < deadline,
                "waited {limit:?} in vain for {what}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The projects as the stand-in has them now.
    pub fn projects(&self) -> Vec<Project> {
        lock(&self.shared).projects.clone()
    }

    /// The component named `name`, if any.
    pub fn component(&self, name: &str) -> Option<Component> {
        let fleet = lock(&self.shared);
        fleet
            .projects
            .iter()
            .flat_map(|p| p.incr.iter().chain(&p.full))
            .find(|c| c.name == name)
            .cloned()
    }

    /// Changes the component named `name` (e.g. an unknown status); false if there is none.
    pub fn edit_component(&self, name: &str, edit: impl FnOnce(&mut Component)) -> bool {
        let mut fleet = lock(&self.shared);
        let found = fleet
            .projects
            .iter_mut()
            .flat_map(|p| p.incr.iter_mut().chain(p.full.iter_mut()))
            .find(|c| c.name == name);
        found.map(edit).is_some()
    }

    /// Fault: every call waits `delay` before it is answered.
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.shared).faults.delay = delay;
    }

    /// Fault: every describe of project `project` waits `delay` more before it is answered.
    pub fn slow_describe(&self, project: &str, delay: Duration) {
        let mut fleet = lock(&self.shared);
        fleet.faults.slow_describes.retain(|(id, _)| id != project);
        fleet
            .faults
            .slow_describes
            .push((project.to_string(), delay));
    }

    /// Fault: `target` (an Action, or `stop` / `resume`) answers `success: false` (CM:
    /// `isSuccess: false`) with these words; only for project `project` when given.
    pub fn refuse(
        &self,
        target: &str,
        project: Option<&str>,
        code: &str,
        message: &str,
        advice: &str,
    ) {
        lock(&self.shared).faults.refusals.push(Refusal {
            target: target.into(),
            project: project.map(str::to_string),
            code: code.into(),
            message: message.into(),
            advice: advice.into(),
        });
    }

    /// Fault: `target` answers HTTP 500.
    pub fn fail_with_500(&self, target: &str) {
        lock(&self.shared).faults.http_500.push(target.into());
    }

    /// Fault: while on, every new connection is read from and closed without an answer.
    pub fn drop_connections(&self, on: bool) {
        lock(&self.shared).faults.drop_connections = on;
    }

    /// How many connections were closed without an answer.
    pub fn dropped(&self) -> usize {
        lock(&self.shared).dropped
    }
}

/// Serves `router` on 127.0.0.1:0 behind the connection-dropping listener; the base URL.
async fn serve(router: Router, shared: Shared, tasks: &mut Vec<JoinHandle<()>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let url = format!(
        "http://{}",
        listener
            .local_addr()
            .expect("a bound listener has an address")
    );
    let router = router.layer(axum::middleware::map_response(
        |mut response: Response| async move {
            let close = HeaderValue::from_static("close");
            response.headers_mut().insert(header::CONNECTION, close);
            response
        },
    ));
    let listener = Dropping { listener, shared };
    tasks.push(tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    }));
    url
}

/// A listener that, while the fault is on, reads what a client sends and hangs up.
struct Dropping {
    listener: TcpListener,
    shared: Shared,
}

impl axum::serve::Listener for Dropping {
    type Io = TcpStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.listener.accept().await else {
                continue;
            };
            let drop_it = {
                let mut fleet = lock(&self.shared);
                fleet.dropped += usize::from(fleet.faults.drop_connections);
                fleet.faults.drop_connections
            };
            if !drop_it {
                return (stream, addr);
            }
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                if stream.readable().await.is_ok() {
                    let _ = stream.try_read(&mut buffer);
                }
                drop(stream);
            });
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.listener.local_addr()
    }
}

/// The `Authorization` value OMS expects; the encoder is jwctl's console one, independent of
/// the one reqwest uses in the client.
fn basic(user: &str, password: &str) -> String {
    let pair = format!("{user}:{password}");
    format!("Basic {}", jwctl::tui::clipboard::base64(pair.as_bytes()))
}

/// Records the call and waits the configured delay.
async fn before(shared: &Shared, call: Call) {
    let delay = {
        let mut fleet = lock(shared);
        let slow = match call.body.get("id").and_then(Value::as_str) {
            Some(project) if call.target == "DescribeProjectComponents" => fleet
                .faults
                .slow_describes
                .iter()
                .find(|(id, _)| id == project)
                .map_or(Duration::ZERO, |(_, delay)| *delay),
            _ => Duration::ZERO,
        };
        fleet.calls.push(call);
        fleet.faults.delay + slow
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

fn fault_for(fleet: &Fleet, target: &str, project: Option<&str>) -> Option<Result<(), Refusal>> {
    if fleet.faults.http_500.iter().any(|t| t == target) {
        return Some(Ok(()));
    }
    fleet
        .faults
        .refusals
        .iter()
        .find(|r| r.target == target && (r.project.is_none() || r.project.as_deref() == project))
        .map(|r| Err(r.clone()))
}

fn envelope(data: Value, total: Option<(u64, u64, usize)>) -> Response {
    let (page_number, page_size, total_count) = match total {
        Some((n, s, t)) => (json!(n), json!(s), json!(t)),
        None => (Value::Null, Value::Null, Value::Null),
    };
    axum::Json(json!({
        "success": true, "errorDetail": null, "code": null, "message": null, "advice": null,
        "requestId": "standin-req", "pageNumber": page_number, "pageSize": page_size,
        "totalCount": total_count, "cost": "1 ms", "data": data
    }))
    .into_response()
}

fn refused(code: &str, message: &str, advice: &str) -> Response {
    axum::Json(json!({
        "success": false, "errorDetail": {"code": code, "level": "ERROR", "message": message},
        "code": code, "message": message, "advice": advice, "requestId": "standin-req",
        "pageNumber": null, "pageSize": null, "totalCount": null, "cost": "1 ms", "data": null
    }))
    .into_response()
}

async fn openapi(
    State(shared): State<Shared>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let action = query.get("Action").cloned().unwrap_or_default();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let call = Call {
        target: action.clone(),
        region: None,
        query,
        body: body.clone(),
    };
    before(&shared, call).await;
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == basic(USER, PASSWORD));
    if !authorized {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    }
    let mut fleet = lock(&shared);
    let id = body.get("id").and_then(Value::as_str).map(str::to_string);
    match fault_for(&fleet, &action, id.as_deref()) {
        Some(Ok(())) => return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        Some(Err(r)) => return refused(&r.code, &r.message, &r.advice),
        None => {}
    }
    match action.as_str() {
        "ListProjects" => list_projects(&fleet, &body),
        "DescribeProjectComponents" => {
            match fleet.projects.iter().find(|p| Some(&p.id) == id.as_ref()) {
                Some(project) => envelope(describe(project), None),
                // stand-in choice: the docs list no code for an unknown project
                None => refused("PARAM_ERROR", "project not found", "Check the project id."),
            }
        }
        "ResetIncrStartTimestamp" => {
            let start = body.get("startTimestamp").and_then(Value::as_i64);
            fleet.tickets += 1;
            let ticket = format!("ticket_{}", fleet.tickets);
            match (
                fleet
                    .projects
                    .iter_mut()
                    .find(|p| Some(&p.id) == id.as_ref()),
                start,
            ) {
                (Some(project), Some(start)) => {
                    project.reset_to = Some(start);
                    envelope(json!(ticket), None)
                }
                _ => refused(
                    "PARAM_ERROR",
                    "invalid id or startTimestamp",
                    "Check the request.",
                ),
            }
        }
        _ => refused("PARAM_ERROR", "unknown Action", "Check the Action name."),
    }
}

fn list_projects(fleet: &Fleet, body: &Value) -> Response {
    let number = body.get("pageNumber").and_then(Value::as_u64).unwrap_or(1);
    let size = body.get("pageSize").and_then(Value::as_u64).unwrap_or(10);
    if number == 0 || size == 0 || size > 150 {
        // stand-in choice: the docs give the limits, not the answer to breaking them
        return refused(
            "PARAM_ERROR",
            "pageNumber from 1, pageSize 1 to 150",
            "Fix the paging.",
        );
    }
    let items: Vec<Value> = fleet
        .projects
        .iter()
        .skip(((number - 1) * size) as usize)
        .take(size as usize)
        .map(|p| {
            json!({"id": p.id, "name": p.name, "type": "SYNC", "status": "RUNNING",
            "gmtCreate": "2026-11-01T00:00:00", "labels": []})
        })
        .collect();
    envelope(json!(items), Some((number, size, fleet.projects.len())))
}

fn describe(project: &Project) -> Value {
    let component = |c: &Component| {
        json!({
            "name": c.name, "identity": c.name, "ip": c.ip, "region": c.region, "status": c.status,
            "checkpoint": c.checkpoint, "checkpointSampleTimestamp": c.sample, "delay": c.delay,
            "tps": 120, "errorDetails": c.errors, "subtopics": [], "gmtCreate": NOW - 86_400,
            "gmtModify": NOW - 60
        })
    };
    json!({
        "storeList": [{
            "name": project.store, "ip": project.incr.first().map(|c| c.ip.clone()),
            "region": project.region, "topic": project.id, "subtopic": "0", "tps": 120,
            "delay": 1, "gmt": NOW, "conn": 1, "status": "RUNNING", "errorDetails": [],
            "beginCheckpoint": project.begin, "endCheckpoint": project.end
        }],
        "incrSyncComponents": project.incr.iter().map(component).collect::<Vec<_>>(),
        "fullImportComponents": project.full.iter().map(component).collect::<Vec<_>>(),
        "reverseIncrComponents": [], "fullVerifyComponents": []
    })
}

fn cm_answer(ok: bool, code: &str, message: &str, task: &str) -> Response {
    axum::Json(json!({
        "errCode": (!ok).then_some(code), "errMsg": (!ok).then_some(message),
        "errorDetail": null, "isSuccess": ok, "result": ok.then_some(task), "retryable": null
    }))
    .into_response()
}

async fn cm_call(
    State((shared, region)): State<(Shared, String)>,
    Path(verb): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let task = query.get("taskName").cloned().unwrap_or_default();
    let pull_back = query.get("pullBackFlag").is_some_and(|v| v == "true");
    let call = Call {
        target: verb.clone(),
        region: Some(region.clone()),
        query,
        body: Value::Null,
    };
    before(&shared, call).await;
    let mut fleet = lock(&shared);
    match fault_for(&fleet, &verb, None) {
        Some(Ok(())) => return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        Some(Err(r)) => return cm_answer(false, &r.code, &r.message, &task),
        None if verb != "stop" && verb != "resume" => {
            return cm_answer(false, "NOT_SUPPORTED", "unknown operation", &task);
        }
        None => {}
    }
    // stand-in choice: a CM knows only its own region's components
    let here = |c: &Component| c.name == task && c.region == region;
    let Some(project) = fleet
        .projects
        .iter_mut()
        .find(|p| p.incr.iter().chain(&p.full).any(here))
    else {
        return cm_answer(
            false,
            "TASK_NOT_FOUND",
            "no such task in this region",
            &task,
        );
    };
    let pulls_back = verb == "resume" && pull_back && project.incr.iter().any(here);
    let replay_from = if pulls_back {
        project.reset_to.take()
    } else {
        None
    };
    let components = project.incr.iter_mut().chain(project.full.iter_mut());
    for component in components.filter(|c| c.name == task) {
        component.status = if verb == "stop" { "STOPPED" } else { "RUNNING" }.into();
        if let Some(at) = replay_from {
            component.sample = Some(at);
            component.checkpoint = wall(at);
        }
    }
    cm_answer(true, "", "", &task)
}
