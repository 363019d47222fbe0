//! The runtime around `update`: owns the terminal and the state, turns terminal events,
//! signals and timers into actions, performs effects (network calls in tasks, searches on one
//! dedicated thread) and feeds their results back as actions. It draws once after each batch
//! of actions; ratatui only sends changed cells, so an idle screen sends nothing.

use std::io::{self, BufWriter, Stdout, Write};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, mpsc as std_mpsc};
use std::thread::{JoinHandle as ThreadHandle, ThreadId};

use crossterm::cursor::{Hide, Show};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use crate::client::{Client, ClientError, StreamEvent};
use crate::domain::{HistoryWindow, SharedClock};

use super::action::{Action, StreamEnd};
use super::clipboard::osc52;
use super::effect::{Effect, OperationKind, SearchRequest};
use super::memory;
use super::quiet_backend::QuietBackend;
use super::state::{Fleet, SearchResults, State};
use super::update::{init, update};
use super::view::view;

/// How many audit entries the detail popup asks for.
pub const AUDIT_ENTRIES: u32 = 20;

/// Runs the console until the operator quits or a signal arrives. The terminal is set up
/// here and restored on every way out (return, error, panic).
/// `memory` is where the view is saved (`None`: not saved).
pub async fn run(
    client: Client,
    mut state: State,
    clock: SharedClock,
    memory: Option<PathBuf>,
) -> io::Result<()> {
    let mut terminal = TerminalGuard::enter()?;
    if let Ok((width, height)) = crossterm::terminal::size() {
        state.size = (width, height);
    }
    let (tx, mut rx) = unbounded_channel();
    let tasks = [
        tokio::spawn(read_terminal(tx.clone())),
        tokio::spawn(forward_signals(tx.clone())),
        tokio::spawn(tick(tx.clone())),
    ];
    let mut executor = Executor::new(client, tx, memory);
    let result = event_loop(&mut terminal, &mut state, &mut rx, &mut executor, &clock).await;
    for task in tasks {
        task.abort();
    }
    executor.stop();
    drop(terminal);
    result
}

async fn event_loop(
    terminal: &mut TerminalGuard,
    state: &mut State,
    rx: &mut UnboundedReceiver<Action>,
    executor: &mut Executor,
    clock: &SharedClock,
) -> io::Result<()> {
    state.now = clock.now();
    for effect in init(state) {
        executor.perform(effect);
    }
    terminal.draw(state)?;
    while let Some(action) = rx.recv().await {
        let mut next = Some(action);
        while let Some(action) = next {
            state.now = clock.now();
            // A new fleet replaces the old one: free the old (100k writers are many small
            // allocations) on the blocking pool instead of on the UI thread.
            let previous =
                matches!(action, Action::FleetLoaded(Ok(_))).then(|| state.fleet.clone());
            for effect in update(state, action) {
                executor.perform(effect);
            }
            if let Some(previous) = previous {
                tokio::task::spawn_blocking(move || drop(previous));
            }
            if state.quit {
                return Ok(());
            }
            next = rx.try_recv().ok();
        }
        terminal.draw(state)?;
    }
    Ok(())
}

/// Terminal events as actions. Ends the console when the terminal goes away.
async fn read_terminal(tx: UnboundedSender<Action>) {
    let mut events = EventStream::new();
    while let Some(event) = events.next().await {
        let action = match event {
            Ok(Event::Key(key)) => Action::Key(key),
            Ok(Event::Mouse(mouse)) => Action::Mouse(mouse),
            Ok(Event::Resize(width, height)) => Action::Resize(width, height),
            Ok(_) => continue,
            Err(error) => {
                tracing::error!(%error, "reading the terminal failed; quitting");
                Action::Quit
            }
        };
        if tx.send(action).is_err() {
            return;
        }
    }
    let _ = tx.send(Action::Quit);
}

/// SIGTERM, SIGHUP (the SSH link dropped) and SIGINT quit cleanly.
async fn forward_signals(tx: UnboundedSender<Action>) {
    let (Ok(mut term), Ok(mut hup), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!(
            "cannot listen for signals; SIGTERM and SIGHUP will not restore the terminal"
        );
        return;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: quitting"),
        _ = hup.recv() => tracing::info!("SIGHUP: quitting"),
        _ = int.recv() => tracing::info!("SIGINT: quitting"),
    }
    let _ = tx.send(Action::Quit);
}

/// One `Tick` a second.
async fn tick(tx: UnboundedSender<Action>) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    interval.tick().await;
    loop {
        interval.tick().await;
        if tx.send(Action::Tick).is_err() {
            return;
        }
    }
}

/// Performs effects; every result comes back as an action on `tx`.
struct Executor {
    client: Client,
    tx: UnboundedSender<Action>,
    refresh_timer: Option<JoinHandle<()>>,
    /// The task reading the event stream.
    follower: Option<JoinHandle<()>>,
    searches: Option<std_mpsc::Sender<SearchRequest>>,
    search_thread: Option<ThreadHandle<()>>,
    /// Saves views in order on their own thread (newest wins when several wait).
    saves: Option<std_mpsc::Sender<memory::ViewMemory>>,
    save_thread: Option<ThreadHandle<()>>,
}

impl Executor {
    fn new(client: Client, tx: UnboundedSender<Action>, memory: Option<PathBuf>) -> Self {
        let (saves, save_thread) = match memory {
            Some(path) => {
                let (save_tx, save_rx) = std_mpsc::channel();
                let thread = std::thread::Builder::new()
                    .name("jwctl-view".into())
                    .spawn(move || save_worker(&save_rx, &path))
                    .map_err(|error| tracing::error!(%error, "cannot start the view saver"))
                    .ok();
                (thread.is_some().then_some(save_tx), thread)
            }
            None => (None, None),
        };
        let (search_tx, search_rx) = std_mpsc::channel();
        let results = tx.clone();
        let search_thread = std::thread::Builder::new()
            .name("jwctl-search".into())
            .spawn(move || search_worker(&search_rx, &results))
            .map_err(|error| tracing::error!(%error, "cannot start the search thread"))
            .ok();
        Executor {
            client,
            tx,
            refresh_timer: None,
            follower: None,
            searches: search_thread.is_some().then_some(search_tx),
            search_thread,
            saves,
            save_thread,
        }
    }

    fn perform(&mut self, effect: Effect) {
        let client = self.client.clone();
        let tx = self.tx.clone();
        match effect {
            Effect::FetchIdentity => {
                tokio::spawn(async move {
                    let result = client.whoami().await;
                    let _ = tx.send(Action::IdentityLoaded(result));
                });
            }
            Effect::FetchDeployment => {
                tokio::spawn(async move {
                    let result = client.deployment().await;
                    let _ = tx.send(Action::DeploymentLoaded(result));
                });
            }
            Effect::FetchFleet => {
                tokio::spawn(async move {
                    let result = fetch_fleet(&client, &tx).await;
                    let _ = tx.send(Action::FleetLoaded(result));
                    // Decoding freed about as much as the fleet keeps; hand it back to the OS
                    // once the fleet is on its way to the screen.
                    tokio::task::spawn_blocking(crate::resources::release_free_memory);
                });
            }
            Effect::Follow { stream, since } => {
                if let Some(previous) = self.follower.take() {
                    previous.abort();
                }
                self.follower = Some(tokio::spawn(follow(client, stream, since, tx)));
            }
            Effect::FetchSince { since } => {
                tokio::spawn(async move {
                    let result = client.writers_since(since).await;
                    let _ = tx.send(Action::DeltaLoaded(result));
                });
            }
            Effect::Rebuild { fleet, deltas, now } => {
                tokio::task::spawn_blocking(move || {
                    let base = fleet.shape;
                    let mut rebuilt = fleet;
                    for delta in deltas {
                        rebuilt = rebuilt.rebuilt(delta, now);
                    }
                    // The fleet it was built from is dropped here, off the UI thread.
                    let _ = tx.send(Action::FleetRebuilt {
                        base,
                        fleet: rebuilt,
                    });
                });
            }
            Effect::FetchWriter { id } => {
                tokio::spawn(async move {
                    let result = client.writer(&id).await.map(Box::new);
                    let _ = tx.send(Action::WriterLoaded(result));
                });
            }
            Effect::ScheduleRefresh(after) => {
                if let Some(previous) = self.refresh_timer.take() {
                    previous.abort();
                }
                self.refresh_timer = Some(tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    let _ = tx.send(Action::RefreshDue);
                }));
            }
            Effect::Search(request) => {
                let sent = self
                    .searches
                    .as_ref()
                    .is_some_and(|searches| searches.send(request.clone()).is_ok());
                if !sent {
                    // No search thread: search here rather than not at all.
                    let _ = tx.send(run_search(request));
                }
            }
            Effect::Operate(operation) => {
                tokio::spawn(async move {
                    let result = match operation.kind {
                        OperationKind::Start { replay_from } => {
                            client
                                .start(&operation.id, replay_from, Some(operation.if_match))
                                .await
                        }
                        OperationKind::Pause => {
                            client.pause(&operation.id, Some(operation.if_match)).await
                        }
                    };
                    let result = result.map(Box::new);
                    let _ = tx.send(Action::OperationFinished { operation, result });
                });
            }
            Effect::Copy(text) => {
                let mut out = io::stdout();
                if let Err(error) = out
                    .write_all(osc52(&text).as_bytes())
                    .and_then(|()| out.flush())
                {
                    tracing::warn!(%error, "copying to the clipboard failed");
                }
            }
            Effect::SaveView(view) => {
                if let Some(saves) = &self.saves {
                    let _ = saves.send(view);
                }
            }
            Effect::FetchAudit { id } => {
                tokio::spawn(async move {
                    let result = client.audit(&id, AUDIT_ENTRIES).await;
                    let _ = tx.send(Action::AuditLoaded { id, result });
                });
            }
            Effect::FetchTrends { ids } => {
                tokio::spawn(async move {
                    let asked: Vec<&str> = ids.iter().map(String::as_str).collect();
                    let result = client.history(&asked, HistoryWindow::Minutes15).await;
                    let _ = tx.send(Action::TrendsLoaded { ids, result });
                });
            }
            Effect::FetchHistory { id, window } => {
                tokio::spawn(async move {
                    let result = client.writer_history(&id, window).await.map(Box::new);
                    let _ = tx.send(Action::HistoryLoaded { id, window, result });
                });
            }
            // `update` has set `state.quit`; the loop ends.
            Effect::Quit => {}
        }
    }

    /// Stops the refresh timer and the search thread, and waits for the last view to be saved.
    fn stop(&mut self) {
        self.saves = None;
        if let Some(thread) = self.save_thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the view saver panicked");
        }
        if let Some(timer) = self.refresh_timer.take() {
            timer.abort();
        }
        if let Some(follower) = self.follower.take() {
            follower.abort();
        }
        self.searches = None;
        if let Some(thread) = self.search_thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the search thread panicked");
        }
    }
}

/// Reads event stream `stream` from revision `since`, each event an action, until it ends.
async fn follow(client: Client, stream: u64, since: u64, tx: UnboundedSender<Action>) {
    let end = match client.events(Some(since)).await {
        Ok(mut events) => loop {
            match events.next().await {
                Ok(Some(StreamEvent::Delta(delta))) => {
                    if tx.send(Action::DeltaArrived { stream, delta }).is_err() {
                        return;
                    }
                }
                Ok(Some(StreamEvent::Reset(reset))) => break StreamEnd::Reset(reset),
                Ok(None) => break StreamEnd::Closed,
                Err(error) => break StreamEnd::Failed(error),
            }
        },
        Err(error) => StreamEnd::Failed(error),
    };
    let _ = tx.send(Action::StreamEnded { stream, end });
}

/// Loads the writers — saying how much has arrived, at most every 100 ms, while they are
/// decoded on a blocking thread — then builds their search index on one (CPU work).
async fn fetch_fleet(client: &Client, tx: &UnboundedSender<Action>) -> Result<Fleet, ClientError> {
    let mut told = std::time::Instant::now();
    let mut progress = |bytes: u64| {
        if told.elapsed() >= std::time::Duration::from_millis(100) {
            told = std::time::Instant::now();
            let _ = tx.send(Action::LoadProgress(bytes));
        }
    };
    let list = client.list_writers_with_progress(&mut progress).await?;
    tokio::task::spawn_blocking(move || Fleet::new(list.revision, list.writers))
        .await
        .map_err(|error| ClientError::Decode {
            url: client.base_url().to_string(),
            detail: format!("building the search index failed: {error}"),
        })
}

/// The view saver: writes the newest waiting view, skipping older ones, until the console
/// stops.
fn save_worker(views: &std_mpsc::Receiver<memory::ViewMemory>, path: &std::path::Path) {
    while let Ok(mut view) = views.recv() {
        while let Ok(newer) = views.try_recv() {
            view = newer;
        }
        if let Err(error) = memory::save(path, &view) {
            tracing::warn!(path = %path.display(), %error, "saving the view failed");
        }
    }
}

/// The search thread: always runs the newest waiting request, skipping older ones.
fn search_worker(requests: &std_mpsc::Receiver<SearchRequest>, results: &UnboundedSender<Action>) {
    while let Ok(mut request) = requests.recv() {
        while let Ok(newer) = requests.try_recv() {
            request = newer;
        }
        if results.send(run_search(request)).is_err() {
            return;
        }
    }
}

/// Runs `request` (narrowing within earlier hits when it can) and wraps the hits as the
/// answer `update` expects.
pub fn run_search(request: SearchRequest) -> Action {
    let hits = match &request.within {
        Some(within) => request.index.search_within(&request.query, within),
        None => request.index.search(&request.query),
    };
    Action::SearchDone {
        generation: request.generation,
        results: SearchResults {
            query: request.query,
            shape: request.shape,
            hits: Arc::new(hits),
        },
    }
}

/// What frames are written through: a whole frame is sent in one write (standard output
/// alone sends it in 1 KiB pieces, a packet each over SSH and a partly drawn screen between).
type Screen = BufWriter<Stdout>;

/// Room for a full 160x48 frame with colours, several times over.
const FRAME_BUFFER_BYTES: usize = 256 * 1024;

/// The terminal in raw mode on the alternate screen with mouse capture; restored on drop
/// and, through a panic hook, on panic.
struct TerminalGuard {
    terminal: Terminal<QuietBackend<CrosstermBackend<Screen>>>,
}

impl TerminalGuard {
    fn enter() -> io::Result<Self> {
        install_panic_hook();
        let setup = || -> io::Result<Terminal<QuietBackend<CrosstermBackend<Screen>>>> {
            enable_raw_mode()?;
            execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture, Hide)?;
            let screen = BufWriter::with_capacity(FRAME_BUFFER_BYTES, io::stdout());
            let mut terminal = Terminal::new(QuietBackend::new(CrosstermBackend::new(screen)))?;
            terminal.clear()?;
            Ok(terminal)
        };
        match setup() {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(error) => {
                restore_terminal();
                Err(error)
            }
        }
    }

    fn draw(&mut self, state: &State) -> io::Result<()> {
        self.terminal.draw(|frame| view(state, frame)).map(|_| ())
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // Whatever a failed draw left buffered goes out before the screen is left, not after.
        let _ = Backend::flush(self.terminal.backend_mut());
        restore_terminal();
    }
}

/// Leaves raw mode, the alternate screen and mouse capture, and shows the cursor. Errors are
/// ignored: the terminal may already be gone (SIGHUP).
pub fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        Show
    );
}

/// Restores the terminal when the UI thread panics, then reports the panic as before. Panics
/// of other threads (tasks, the search thread) do not end the console, so they leave the
/// terminal alone.
fn install_panic_hook() {
    static UI_THREAD: OnceLock<ThreadId> = OnceLock::new();
    let ui_thread = std::thread::current().id();
    if UI_THREAD.set(ui_thread).is_err() {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui_thread {
            restore_terminal();
        }
        previous(info);
    }));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::SearchIndex;

    fn request(generation: u64, query: &str, index: &Arc<SearchIndex>) -> SearchRequest {
        SearchRequest {
            generation,
            query: query.into(),
            shape: 1,
            index: Arc::clone(index),
            within: None,
        }
    }

    #[test]
    fn the_search_thread_runs_only_the_newest_waiting_request() {
        let index = Arc::new(SearchIndex::build(&[]));
        let (requests, waiting) = std_mpsc::channel();
        for (generation, query) in [(1, "o"), (2, "or"), (3, "ord")] {
            assert!(requests.send(request(generation, query, &index)).is_ok());
        }
        drop(requests);
        let (tx, mut rx) = unbounded_channel();
        search_worker(&waiting, &tx);
        let mut done = Vec::new();
        while let Ok(action) = rx.try_recv() {
            if let Action::SearchDone {
                generation,
                results,
            } = action
            {
                done.push((generation, results.query));
            }
        }
        assert_eq!(done, vec![(3, "ord".to_string())]);
    }
}
