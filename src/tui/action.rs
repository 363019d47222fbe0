//! Everything that can happen to the console: input, timers and answers from the controller.

use crossterm::event::{KeyEvent, MouseEvent};

use crate::api::{
    AuditEntry, Deployment, HistorySeries, Identity, StreamReset, WriterDelta, WriterHistory,
};
use crate::client::ClientError;
use crate::domain::{HistoryWindow, Writer};

use super::effect::Operation;
use super::state::{Fleet, SearchResults};

/// One input to [`super::update::update`].
#[derive(Debug)]
pub enum Action {
    /// A key press.
    Key(KeyEvent),
    /// A mouse click or wheel turn.
    Mouse(MouseEvent),
    /// The terminal was resized to (width, height).
    Resize(u16, u16),
    /// About once a second, so time-dependent text (retry countdown, notices) moves on.
    Tick,
    /// The refresh timer fired.
    RefreshDue,
    /// Answer to `Effect::FetchDeployment`.
    DeploymentLoaded(Result<Deployment, ClientError>),
    /// Answer to `Effect::FetchIdentity`.
    IdentityLoaded(Result<Identity, ClientError>),
    /// So many bytes of the writer list have arrived (a large fleet takes a while).
    LoadProgress(u64),
    /// Answer to `Effect::FetchFleet`, with the search index already built.
    FleetLoaded(Result<Fleet, ClientError>),
    /// An event of event stream `stream`: a delta (a heartbeat is an empty one).
    DeltaArrived { stream: u64, delta: WriterDelta },
    /// Event stream `stream` ended.
    StreamEnded { stream: u64, end: StreamEnd },
    /// Answer to `Effect::FetchSince`.
    DeltaLoaded(Result<WriterDelta, ClientError>),
    /// Answer to `Effect::Rebuild`: the deltas applied to the fleet of shape `base`.
    FleetRebuilt { base: u64, fleet: Fleet },
    /// Answer to `Effect::FetchWriter`.
    WriterLoaded(Result<Box<Writer>, ClientError>),
    /// A search finished; dropped unless `generation` is the newest.
    SearchDone {
        generation: u64,
        results: SearchResults,
    },
    /// Answer to `Effect::Operate`: the writer after the change.
    OperationFinished {
        operation: Operation,
        result: Result<Box<Writer>, ClientError>,
    },
    /// Answer to `Effect::FetchAudit`.
    AuditLoaded {
        id: String,
        result: Result<Vec<AuditEntry>, ClientError>,
    },
    /// Answer to `Effect::FetchHistory`.
    HistoryLoaded {
        id: String,
        window: HistoryWindow,
        result: Result<Box<WriterHistory>, ClientError>,
    },
    /// Answer to `Effect::FetchTrends` for `ids`.
    TrendsLoaded {
        ids: Vec<String>,
        result: Result<HistorySeries, ClientError>,
    },
    /// SIGTERM, SIGHUP or SIGINT arrived.
    Quit,
}

/// How an event stream ended.
#[derive(Debug)]
pub enum StreamEnd {
    /// The controller cannot bring the console up to date with deltas: reload the list.
    Reset(StreamReset),
    /// The controller closed it (shutting down).
    Closed,
    /// It could not be opened, or broke off.
    Failed(ClientError),
}
