//! Everything the console shows, as plain data. `update` changes it, `view` draws it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::api::{AuditEntry, Deployment};
use crate::config::TuiConfig;
use crate::domain::{Writer, WriterStatus, Zone};
use crate::search::{SearchHit, SearchIndex};

use super::table::SortRanks;

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
    /// The popup on top of the table, if any.
    pub popup: Option<Popup>,
    /// A one-line message for the operator (result of an operation, why a key did nothing).
    pub notice: Option<Notice>,
    /// Terminal size in cells (width, height).
    pub size: (u16, u16),
    /// Whether a writer-list request is in flight (so refreshes do not pile up).
    pub refresh_in_flight: bool,
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

/// The last writer list received.
#[derive(Debug, Clone)]
pub struct Fleet {
    /// Fleet revision from the controller.
    pub revision: u64,
    /// Writers as received (sorted by name).
    pub writers: Arc<Vec<Writer>>,
    /// Search index over `writers` (built off the UI thread).
    pub index: Arc<SearchIndex>,
    /// Sort ranks of the text columns of `writers` (built off the UI thread).
    pub ranks: Arc<SortRanks>,
    /// Writers per region (built off the UI thread; the region picker shows them).
    pub region_counts: BTreeMap<String, usize>,
}

impl Fleet {
    /// A fleet with no writers (before the first load).
    pub fn empty() -> Self {
        Fleet::new(0, Vec::new())
    }

    /// Builds the search index, sort ranks and region counts for `writers` (CPU work: call it
    /// off the UI thread).
    pub fn new(revision: u64, writers: Vec<Writer>) -> Self {
        let index = SearchIndex::build(&writers);
        let ranks = SortRanks::build(&writers);
        let mut region_counts = BTreeMap::new();
        for writer in &writers {
            *region_counts.entry(writer.region.clone()).or_insert(0) += 1;
        }
        Fleet {
            revision,
            writers: Arc::new(writers),
            index: Arc::new(index),
            ranks: Arc::new(ranks),
            region_counts,
        }
    }
}

/// The rows of the table and where the operator is in them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableState {
    /// Indices into `fleet.writers`, in display order (filtered and sorted).
    pub rows: Vec<usize>,
    /// Position of the selected row in `rows`.
    pub selected: usize,
    /// Id of the selected writer, kept across refreshes and reorders.
    pub selected_id: Option<String>,
    /// First visible position in `rows`.
    pub offset: usize,
    /// Writers in `rows` per status, in `WriterStatus::ALL` order (kept with `rows`).
    pub status_counts: [usize; 5],
}

/// Filters narrowing the table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Regions shown; empty means all regions.
    pub regions: BTreeSet<String>,
    /// Quick status filter.
    pub status: StatusFilter,
}

/// The quick status filter (`f` cycles it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StatusFilter {
    #[default]
    All,
    Running,
    NotRunning,
}

impl StatusFilter {
    /// Label for the title and status bars.
    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::Running => "running",
            StatusFilter::NotRunning => "not running",
        }
    }

    /// Whether a writer in `status` passes.
    pub fn admits(self, status: WriterStatus) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Running => status == WriterStatus::Running,
            StatusFilter::NotRunning => status != WriterStatus::Running,
        }
    }
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
    /// query and fleet revision they were computed for.
    pub results: Option<SearchResults>,
    /// Whether a search is running for the current input.
    pub pending: bool,
    /// Whether hits are shown best match first. Typing turns it on; `o`/`O` turn it off, and
    /// the hits are then sorted by the chosen column like the unfiltered table.
    pub relevance: bool,
}

/// Hits of a completed search.
#[derive(Debug, Clone)]
pub struct SearchResults {
    pub query: String,
    pub revision: u64,
    pub hits: Arc<Vec<SearchHit>>,
}

/// Something on top of the table.
#[derive(Debug, Clone)]
pub enum Popup {
    Help,
    Detail(DetailPopup),
    Regions(RegionPicker),
    Start(StartDialog),
    Pause(PauseDialog),
}

/// The detail view of one writer.
#[derive(Debug, Clone)]
pub struct DetailPopup {
    /// The writer shown (refreshed from the fleet while open).
    pub writer_id: String,
    /// Recent audit entries.
    pub audit: Loadable<Vec<AuditEntry>>,
    /// Scroll offset of the text.
    pub scroll: u16,
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

/// Focusable parts of the Start dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartFocus {
    ReplayNo,
    ReplayYes,
    Timestamp,
    StartButton,
    CancelButton,
}

/// Focusable parts of the Pause dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseFocus {
    Ok,
    Cancel,
}

/// A request the dialog has sent and waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submission {
    Idle,
    InFlight,
}

/// The Start dialog; it holds the pending operation as data.
#[derive(Debug, Clone)]
pub struct StartDialog {
    /// The writer as shown when the dialog opened (its version is sent as If-Match).
    pub writer: Writer,
    /// "Whether to Replay Data".
    pub replay: bool,
    /// The Timestamp field (used when `replay`).
    pub timestamp: TextInput,
    pub focus: StartFocus,
    pub submission: Submission,
    /// The controller's answer to the last attempt, shown until the operator edits.
    pub error: Option<String>,
}

/// The Pause confirmation; it holds the pending operation as data.
#[derive(Debug, Clone)]
pub struct PauseDialog {
    /// The writer as shown when the dialog opened (its version is sent as If-Match).
    pub writer: Writer,
    pub focus: PauseFocus,
    pub submission: Submission,
    pub error: Option<String>,
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
    Success,
    Warning,
    Error,
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
            fleet: Fleet::empty(),
            table: TableState::default(),
            filter: Filter::default(),
            sort: Sort::default(),
            search: SearchState::default(),
            popup: None,
            notice: None,
            size,
            refresh_in_flight: false,
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
}
