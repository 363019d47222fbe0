//! Everything the console shows, as plain data. `update` changes it, `view` draws it. The
//! dialogs' own state lives with them (`dialogs`, `batch`, `command`).

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;

use crate::api::{AuditEntry, Deployment, Identity, WriterHistory};
use crate::config::TuiConfig;
use crate::domain::{HistoryWindow, LatencyBand, StatusSet, Writer, WriterStatus, Zone};
use crate::search::SearchHit;

use super::batch::BatchDialog;
use super::command::CommandLine;
use super::dialogs::{PauseDialog, StartDialog};
pub use super::fleet::Fleet;
use super::health::HealthView;
use super::layout;
use super::trend::Trends;

/// The whole state of the console.
#[derive(Debug)]
pub struct State {
    /// The current instant, stamped by the runtime before each action (fixed in tests).
    pub now: DateTime<Utc>,
    /// Zone wall times are read and shown in.
    pub zone: Zone,
    /// Settings from the config file and flags.
    pub settings: Settings,
    /// Which controller this console talks to.
    pub controller: ControllerInfo,
    /// Health of the link to the controller.
    pub connection: ConnectionState,
    /// When the writer list was last loaded successfully.
    pub last_refresh: Option<DateTime<Utc>>,
    /// Regions of the deployment, once known.
    pub deployment: Option<Deployment>,
    /// Who the token authenticates, once the controller said (a viewer's console is
    /// read-only).
    pub identity: Option<Identity>,
    /// The last writer list received, with its search index.
    pub fleet: Fleet,
    /// The table: which writers are shown in which order, selection and scroll.
    pub table: TableState,
    /// What narrows the table.
    pub filter: Filter,
    /// Sort order of the table.
    pub sort: Sort,
    /// The search box.
    pub search: SearchState,
    /// Ids of the marked writers (kept across refreshes, searches and sorts).
    pub marks: HashSet<String>,
    /// The detail view of one writer, under any popup.
    pub detail: Option<DetailView>,
    /// The latency chart's window the next detail view opens with (the last one chosen).
    pub detail_window: HistoryWindow,
    /// The trend column: whether it shows, and the visible writers' series.
    pub trends: Trends,
    /// The popup on top of the table (and of the detail view), if any.
    pub popup: Option<Popup>,
    /// The `:` command line, while open.
    pub command: Option<CommandLine>,
    /// Commands run on the command line, oldest first.
    pub history: Vec<String>,
    /// A one-line message for the operator (result of an operation, why a key did nothing).
    pub notice: Option<Notice>,
    /// Terminal size in cells (width, height).
    pub size: (u16, u16),
    /// Keys pressed while the terminal is too small, all ignored (the screen says so).
    pub ignored_keys: u32,
    /// Whether a writer-list request is in flight (so refreshes do not pile up).
    pub refresh_in_flight: bool,
    /// Bytes of the writer list received so far, while a load is under way.
    pub loading: Option<u64>,
    /// How the console hears of the controller's changes once the list is loaded.
    pub follow: Follow,
    /// When the deployment was last asked for (an OMS's freshness comes with it).
    pub deployment_asked: Option<DateTime<Utc>>,
    /// Numbers batches, so answers reach the batch that sent them.
    pub batches: u64,
    /// Set when the operator asked to quit.
    pub quit: bool,
}

/// Settings that shape the console.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Time between table refreshes.
    pub refresh: Duration,
    /// Latency (ms) from which a writer is shown as lagging.
    pub latency_warn_ms: u64,
    /// Latency (ms) from which a writer is shown as critical.
    pub latency_critical_ms: u64,
    /// Monochrome theme (NO_COLOR, `--theme mono`).
    pub mono: bool,
    /// No start or pause is offered or sent (`--read-only`, `read_only = true`).
    pub read_only: bool,
}

impl Settings {
    /// The settings a `[tui]` config table gives, in the chosen theme.
    pub fn from_config(config: &TuiConfig, mono: bool) -> Self {
        Settings {
            refresh: Duration::try_from_secs_f64(config.refresh_secs)
                .unwrap_or(Duration::from_secs(2)),
            latency_warn_ms: config.latency_warn_secs.saturating_mul(1000),
            latency_critical_ms: config.latency_critical_secs.saturating_mul(1000),
            mono,
            read_only: false,
        }
    }
}

/// The controller this console is connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerInfo {
    /// Base URL.
    pub url: String,
    /// Whether it is the embedded demo controller.
    pub demo: bool,
    /// The whole budget of one call, as the client enforces it (for messages).
    pub budget: Duration,
}

/// Health of the link to the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// No answer yet.
    Connecting,
    /// The last request succeeded.
    Connected,
    /// The last refresh failed; the data shown (if any) is stale.
    Failed {
        /// What went wrong, as the client reported it.
        error: String,
        /// Consecutive failures.
        attempts: u32,
        /// When the next attempt is due.
        retry_at: DateTime<Utc>,
    },
}

/// How the console hears of the controller's changes.
#[derive(Debug, Clone, Default)]
pub struct Follow {
    /// What it does now.
    pub mode: FollowMode,
    /// Numbers the event streams opened: events of a stream since replaced are dropped.
    pub stream: u64,
    /// Whether a delta that adds or removes writers is being applied off the UI thread.
    pub rebuilding: bool,
    /// Deltas that arrived meanwhile, applied in order once the new fleet is in.
    pub waiting: Vec<crate::api::WriterDelta>,
}

/// What the console does to hear of changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FollowMode {
    /// Nothing yet: the full list is (re)loading.
    #[default]
    Loading,
    /// The event stream is open (or opening).
    Streaming,
    /// The stream cannot be opened: `GET /v1/writers?since=` at the refresh interval, and the
    /// stream tried again after each answer.
    Polling,
}

/// The rows of the table and where the operator is in them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableState {
    /// Indices into `fleet.writers`, in display order (filtered and sorted).
    pub rows: Vec<usize>,
    /// The sort key of each row of `rows` when the table is sorted by a column (empty in
    /// best-match order): deltas place rows by them without reading the writers.
    pub keys: Vec<super::table::SortKey>,
    /// Position of the selected row in `rows`.
    pub selected: usize,
    /// Id of the selected writer, kept across refreshes and reorders.
    pub selected_id: Option<String>,
    /// First visible position in `rows`.
    pub offset: usize,
    /// Writers in `rows` per status, in `WriterStatus::ALL` order (kept with `rows`).
    pub status_counts: [usize; WriterStatus::ALL.len()],
    /// Writers changed under `rows` (a batch's answers): filtered, sorted and counted again
    /// at the next tick, not once per answer.
    pub outdated: bool,
}

/// Filters narrowing the table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Regions shown; empty means all regions.
    pub regions: BTreeSet<String>,
    /// Statuses shown (`f` cycles the quick filters, `:status` sets any set).
    pub status: StatusSet,
    /// Only running writers in this latency band (chosen in the health view).
    pub latency: Option<LatencyBand>,
    /// Set by the health view: `Esc` in the table clears the whole filter.
    pub from_health: bool,
}

/// Table columns, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Name,
    ServerIp,
    Project,
    Region,
    Kind,
    Status,
    Latency,
    Checkpoint,
}

impl Column {
    /// Every column, in display order.
    pub const ALL: [Column; 8] = [
        Column::Name,
        Column::ServerIp,
        Column::Project,
        Column::Region,
        Column::Kind,
        Column::Status,
        Column::Latency,
        Column::Checkpoint,
    ];

    /// Header text.
    pub fn title(self) -> &'static str {
        match self {
            Column::Name => "Name",
            Column::ServerIp => "Server IP",
            Column::Project => "Project",
            Column::Region => "Region",
            Column::Kind => "Kind",
            Column::Status => "Status",
            Column::Latency => "Latency",
            Column::Checkpoint => "Checkpoint",
        }
    }

    /// The name `:sort` takes and the view memory stores.
    pub fn key(self) -> &'static str {
        match self {
            Column::Name => "name",
            Column::ServerIp => "ip",
            Column::Project => "project",
            Column::Region => "region",
            Column::Kind => "kind",
            Column::Status => "status",
            Column::Latency => "latency",
            Column::Checkpoint => "checkpoint",
        }
    }

    /// The column named `key` (also `server-ip`), any case.
    pub fn from_key(key: &str) -> Option<Column> {
        let key = key.trim().to_ascii_lowercase();
        if matches!(key.as_str(), "server-ip" | "server_ip" | "serverip") {
            return Some(Column::ServerIp);
        }
        Column::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// Sort order of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            column: Column::Name,
            descending: false,
        }
    }
}

/// A single-line text field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    pub value: String,
    /// Cursor position in chars.
    pub cursor: usize,
}

/// The search box.
#[derive(Debug, Clone, Default)]
pub struct SearchState {
    /// Whether keys go to the search box.
    pub editing: bool,
    /// What is typed.
    pub input: TextInput,
    /// Generation of the newest search sent; results of older ones are dropped.
    pub generation: u64,
    /// Hits of the newest completed search (`None` while no query is active), with the
    /// query and fleet shape they were computed for.
    pub results: Option<SearchResults>,
    /// Whether a search is running for the current input.
    pub pending: bool,
    /// Whether hits are shown best match first. Typing turns it on; `o`/`O` turn it off, and
    /// the hits are then sorted by the chosen column like the unfiltered table.
    pub relevance: bool,
    /// While the operator types and has not moved the selection themselves, the selection is
    /// the best match: the first row, with the list scrolled to the top.
    pub follow_best: bool,
}

/// Hits of a completed search.
#[derive(Debug, Clone)]
pub struct SearchResults {
    pub query: String,
    /// [`super::fleet::Fleet::shape`] of the fleet searched.
    pub shape: u64,
    pub hits: Arc<Vec<SearchHit>>,
}

/// Something on top of the table and the detail view.
#[derive(Debug, Clone)]
pub enum Popup {
    Help(HelpView),
    Regions(RegionPicker),
    Start(StartDialog),
    Pause(PauseDialog),
    Batch(BatchDialog),
    Health(HealthView),
}

/// The help screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HelpView {
    /// First line shown.
    pub scroll: usize,
}

/// The detail view of one writer.
#[derive(Debug, Clone)]
pub struct DetailView {
    /// The writer shown (refreshed from the fleet while open).
    pub writer_id: String,
    /// Recent audit entries.
    pub audit: Loadable<Vec<AuditEntry>>,
    /// Scroll offset of the text.
    pub scroll: u16,
    /// The window of the latency chart.
    pub window: HistoryWindow,
    /// The writer's history in that window.
    pub history: Loadable<WriterHistory>,
    /// Why the last reading of the history failed, while an older one is still shown.
    pub history_error: Option<String>,
    /// When the history was last asked for.
    pub history_asked: Option<DateTime<Utc>>,
    /// Whether an answer is awaited.
    pub history_in_flight: bool,
}

impl DetailView {
    /// The view of writer `id`, its chart over `window`, nothing loaded yet.
    pub fn new(id: String, window: HistoryWindow) -> DetailView {
        DetailView {
            writer_id: id,
            audit: Loadable::Loading,
            scroll: 0,
            window,
            history: Loadable::Loading,
            history_error: None,
            history_asked: None,
            history_in_flight: false,
        }
    }
}

/// Data fetched on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loadable<T> {
    Loading,
    Loaded(T),
    Failed(String),
}

/// The region filter picker (`r`): "All regions" then each region with its writer count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionPicker {
    /// Highlighted line: 0 is "All regions", i + 1 is region i.
    pub cursor: usize,
    /// Regions ticked; empty means all.
    pub chosen: BTreeSet<String>,
}

/// A request a dialog has sent and waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submission {
    Idle,
    InFlight,
}

/// A one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub level: NoticeLevel,
    pub at: DateTime<Utc>,
}

/// How a notice is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeLevel {
    Info,
    /// Says something is under way ("Refreshing …"); cleared when it ends.
    Pending,
    Success,
    Warning,
    Error,
}

/// What the keys act on right now; each mode has its own keymap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The terminal is below the smallest size the console draws: only quitting acts.
    TooSmall,
    Table,
    Search,
    Command,
    Detail,
    Help,
    Regions,
    Health,
    Start,
    Pause,
    BatchRunning,
    BatchResults,
}

impl State {
    /// A state before anything is loaded.
    pub fn new(
        controller: ControllerInfo,
        settings: Settings,
        zone: Zone,
        now: DateTime<Utc>,
        size: (u16, u16),
    ) -> Self {
        State {
            now,
            zone,
            settings,
            controller,
            connection: ConnectionState::Connecting,
            last_refresh: None,
            deployment: None,
            identity: None,
            fleet: Fleet::empty(),
            table: TableState::default(),
            filter: Filter::default(),
            sort: Sort::default(),
            search: SearchState::default(),
            marks: HashSet::new(),
            detail: None,
            detail_window: HistoryWindow::default(),
            trends: Trends::default(),
            popup: None,
            command: None,
            history: Vec::new(),
            notice: None,
            size,
            ignored_keys: 0,
            refresh_in_flight: false,
            loading: None,
            follow: Follow::default(),
            deployment_asked: None,
            batches: 0,
            quit: false,
        }
    }

    /// Whether the deployment spans several regions (region column and picker shown).
    pub fn multi_region(&self) -> bool {
        self.deployment.as_ref().is_some_and(|d| d.multi_region)
    }

    /// The selected writer, if any row is shown.
    pub fn selected_writer(&self) -> Option<&Writer> {
        let index = *self.table.rows.get(self.table.selected)?;
        self.fleet.writers.get(index)
    }

    /// The active search query (trimmed), if any.
    pub fn query(&self) -> Option<&str> {
        let query = self.search.input.value.trim();
        (!query.is_empty()).then_some(query)
    }

    /// Whether the banner line (connection trouble) is shown above the table.
    pub fn banner_visible(&self) -> bool {
        matches!(self.connection, ConnectionState::Failed { .. })
    }

    /// Whether the console can draw at its size.
    pub fn fits(&self) -> bool {
        let (width, height) = self.size;
        layout::layout(Rect::new(0, 0, width, height), false).is_some()
    }

    /// What the keys act on: the topmost of popup, command line, detail view, search box and
    /// table — or nothing but quitting when the console cannot draw.
    pub fn mode(&self) -> Mode {
        if !self.fits() {
            return Mode::TooSmall;
        }
        match &self.popup {
            Some(Popup::Help(_)) => return Mode::Help,
            Some(Popup::Regions(_)) => return Mode::Regions,
            Some(Popup::Health(_)) => return Mode::Health,
            Some(Popup::Start(_)) => return Mode::Start,
            Some(Popup::Pause(_)) => return Mode::Pause,
            Some(Popup::Batch(batch)) => return batch.mode(),
            None => {}
        }
        if self.command.is_some() {
            Mode::Command
        } else if self.detail.is_some() {
            Mode::Detail
        } else if self.search.editing {
            Mode::Search
        } else {
            Mode::Table
        }
    }

    /// The writers that are marked, in the fleet's order (by name).
    pub fn marked_writers(&self) -> Vec<Writer> {
        let mut positions: Vec<usize> = self
            .marks
            .iter()
            .filter_map(|id| self.fleet.row_of(id))
            .collect();
        positions.sort_unstable();
        positions
            .into_iter()
            .filter_map(|at| self.fleet.writers.get(at).cloned())
            .collect()
    }
}
