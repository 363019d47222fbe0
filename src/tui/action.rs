//! Everything that can happen to the console: input, timers and answers from the controller.

use crossterm::event::{KeyEvent, MouseEvent};

use crate::api::{AuditEntry, Deployment};
use crate::client::ClientError;
use crate::domain::Writer;

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
    /// Answer to `Effect::FetchFleet`, with the search index already built.
    FleetLoaded(Result<Fleet, ClientError>),
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
    /// SIGTERM, SIGHUP or SIGINT arrived.
    Quit,
}
