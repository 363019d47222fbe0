//! The controller (`jwctl serve`): the HTTP/JSON service that owns the writers, runs their
//! state machine and simulated dynamics, and persists them in SQLite.
//!
//! [`start`] runs a controller in the current tokio runtime (the TUI embeds one, tests start
//! them on `127.0.0.1:0`); [`serve`] is the `jwctl serve` command around it.

mod audit_routes;
mod auth;
mod auth_limit;
mod backend;
mod demo;
mod engine;
#[cfg(test)]
mod engine_tests;
mod error;
mod feed;
mod fleet;
mod health;
mod history;
mod history_routes;
mod http;
mod idempotency;
mod identities;
mod lease;
mod list_body;
mod replicas;
mod serve;
mod store;
mod tls;
mod token;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::serve::ListenerExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use demo::demo_writers;
pub use http::{BODY_LIMIT, Endpoint};
pub use serve::serve;
pub use store::{DB_FILE_NAME, MysqlTarget, StoreError};
pub use tls::TlsFiles;
pub use token::{ResolvedToken, TOKEN_FILE_NAME, resolve_token};

use crate::domain::SharedClock;
use crate::oms::{OmsConfig, OmsError};
use backend::{Backend, Oms, Simulated};
use engine::{DemoSeed, Engine};
use feed::Feed;
use fleet::Fleet;
use http::AppState;
use idempotency::IdempotencyStore;
use identities::Identities;
use replicas::ThisReplica;
use store::{MysqlStore, SqliteStore, StateStore};

/// Who may call a controller's API. `Debug` hides the token.
#[derive(Clone)]
pub enum Access {
    /// One token, the identity `default` with the operator role.
    Token(String),
    /// The identities of a tokens file (see [`crate::tokens_file`]), read again when it
    /// changes.
    TokensFile(PathBuf),
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Access::Token(_) => f.write_str("Token(<redacted>)"),
            Access::TokensFile(path) => f.debug_tuple("TokensFile").field(path).finish(),
        }
    }
}

/// Everything a controller needs to run. Its `Debug` output hides the token.
#[derive(Clone)]
pub struct ControllerConfig {
    /// Address to listen on (`127.0.0.1:0` in tests).
    pub listen: SocketAddr,
    /// Holds `jwctl.db` (and the token file when generated).
    pub data_dir: PathBuf,
    /// Who may call the API.
    pub access: Access,
    /// Seed this many demo writers if the database is empty.
    pub demo_fleet: Option<usize>,
    /// Demo regions; 1 makes a single-region deployment.
    pub regions: u8,
    /// How long starting and pausing last.
    pub transition: Duration,
    /// `SystemClock` in production, `ManualClock` in tests.
    pub clock: SharedClock,
    /// An OMS to drive instead of the simulated fleet (`demo_fleet`, `regions` and
    /// `transition` are then unused).
    pub oms: Option<OmsConfig>,
    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    pub tls: Option<TlsFiles>,
    /// Where the state is kept.
    pub state: StateLocation,
}

/// Where the controller keeps its state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StateLocation {
    /// A SQLite file in the data dir, this process's alone.
    #[default]
    DataDir,
    /// A MySQL-protocol database.
    Mysql(MysqlTarget),
}

impl std::fmt::Debug for ControllerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControllerConfig")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("access", &self.access)
            .field("demo_fleet", &self.demo_fleet)
            .field("regions", &self.regions)
            .field("transition", &self.transition)
            .field("clock", &self.clock)
            .field("oms", &self.oms)
            .field("tls", &self.tls)
            .finish()
    }
}

/// Why a controller could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the token file {} is empty; put a token in it or remove it so one is generated", path.display())]
    EmptyToken { path: PathBuf },
    #[error("cannot generate a token: the operating system's random source failed ({0})")]
    Random(String),
    #[error("the database {place} cannot be used: {source}{}", source.advice())]
    Database {
        /// Its file, or its URL (without the password).
        place: String,
        source: StoreError,
    },
    #[error("cannot listen on {addr}: {source}; choose another address with --listen")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("no data dir: $HOME is not set; give one with --data-dir")]
    NoDataDir,
    #[error("the controller stopped unexpectedly: {0}")]
    Runtime(String),
    #[error("cannot use the OMS: {0}")]
    Oms(OmsError),
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    TokensFile(#[from] crate::tokens_file::TokensFileError),
    #[error("cannot serve HTTPS with {0}")]
    Tls(String),
    #[error(
        "refusing to listen on {0} on plain HTTP: beyond loopback, tokens and all traffic could \
         be read on the network; give --tls-cert and --tls-key, listen on 127.0.0.1 (behind an \
         SSH tunnel), or pass --insecure-listen if the network is trusted"
    )]
    PlainBeyondLoopback(SocketAddr),
}

impl ControllerError {
    /// What a failure of the database at `place` is reported as.
    fn database<E: Into<StoreError>>(place: &str) -> impl Fn(E) -> ControllerError + '_ {
        move |source| ControllerError::Database {
            place: place.to_string(),
            source: source.into(),
        }
    }
}

/// A running controller.
#[derive(Debug)]
pub struct ControllerHandle {
    addr: SocketAddr,
    scheme: &'static str,
    backend: Arc<dyn Backend>,
    feed: Arc<Feed>,
    seeded: Option<DemoSeeded>,
    /// Where its state is: the SQLite file, or the database's URL (no password).
    place: String,
    /// Renews its lead until the shutdown, then gives it up (a shared store only).
    lead: Option<JoinHandle<()>>,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
}

impl ControllerHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, e.g. `http://127.0.0.1:7465`.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Where its state is: the SQLite file, or the database's URL (without the password).
    pub fn state_place(&self) -> &str {
        &self.place
    }

    /// How many writers it owns.
    pub fn fleet_size(&self) -> usize {
        self.backend.fleet_size()
    }

    /// How this start seeded a demo fleet into an empty database, if it did.
    pub fn seeded_demo_fleet(&self) -> Option<DemoSeeded> {
        self.seeded
    }

    /// Graceful stop: stops accepting, finishes requests in flight, persists checkpoints and
    /// closes the database.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        match self.server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!("the HTTP server failed: {e}"),
            Err(e) => tracing::error!("the HTTP server task failed: {e}"),
        }
        self.feed.close().await;
        self.backend.close().await;
        if let Some(lead) = self.lead {
            let _ = lead.await;
        }
    }
}

/// Opens (and if asked, seeds) the database in `config.data_dir`, binds `config.listen` and
/// serves the API until [`ControllerHandle::shutdown`].
pub async fn start(config: ControllerConfig) -> Result<ControllerHandle, ControllerError> {
    let ControllerConfig {
        listen,
        data_dir,
        access,
        demo_fleet,
        regions,
        transition,
        clock,
        oms,
        tls,
        state,
    } = config;
    // A certificate that cannot be used is reported before anything else starts.
    let acceptor = tls.as_ref().map(tls::acceptor).transpose()?;
    let identities = Arc::new(match access {
        Access::Token(token) => Identities::single(&token),
        Access::TokensFile(path) => {
            let identities = Identities::from_file(&path)?;
            if identities.len() == 0 {
                tracing::warn!(
                    path = %path.display(),
                    "the tokens file has no identities: every request but health is refused"
                );
            }
            identities
        }
    });
    token::create_private_dir(&data_dir)?;
    let (store, place) = open_store(&data_dir, state, clock.clone()).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| ControllerError::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ControllerError::Bind {
            addr: listen,
            source,
        })?;
    let replica_id =
        crate::hex::random::<8>().map_err(|e| ControllerError::Random(e.to_string()))?;
    let replica = Arc::new(ThisReplica::new(replica_id, addr, clock.clone()));
    let (shutdown, shutdown_rx) = watch::channel(false);
    // Only the replica that leads drives the backend.
    let lead = lease::follow(store.clone(), replica.clone(), &place, shutdown_rx.clone()).await?;
    let (backend, seed): (Arc<dyn Backend>, _) = match oms {
        Some(oms) => {
            let backend = Oms::start(
                oms,
                clock.clone(),
                store.clone(),
                lead.leading.clone(),
                shutdown_rx.clone(),
            )
            .await
            .map_err(ControllerError::Oms)?;
            (backend, None)
        }
        None => {
            let load_clock = clock.clone();
            let (place, opened) = (place.clone(), store.clone());
            let (engine, seeding) = tokio::task::spawn_blocking(move || {
                open_fleet(opened, &place, demo_fleet, regions, &load_clock, transition)
            })
            .await
            .map_err(|e| ControllerError::Runtime(e.to_string()))??;
            let engine = Arc::new(engine);
            let backend = Simulated::start(
                engine.clone(),
                lead.leading.clone(),
                store.shared().is_some(),
                shutdown_rx.clone(),
            );
            (backend, Some((engine, seeding)))
        }
    };
    // The feed reserves its revisions before a demo fleet's long transaction begins.
    let feed = Feed::start(
        backend.clone(),
        clock.clone(),
        store.clone(),
        place.clone(),
        shutdown_rx.clone(),
    )
    .await?;
    let state_place = place;
    let seeded = match seed {
        Some((_, Seeding::Stored)) => Some(DemoSeeded::Stored),
        Some((engine, Seeding::Later(seed))) => {
            // A thread of its own: a shutdown abandons it rather than waiting for it.
            std::thread::spawn(move || {
                crate::resources::yield_cpu_to_others();
                engine.seed(seed)
            });
            Some(DemoSeeded::Writing)
        }
        Some((_, Seeding::Not)) | None => None,
    };
    let idempotency = IdempotencyStore::new(store.clone(), clock.clone());
    let app = http::router(
        AppState {
            backend: backend.clone(),
            feed: feed.clone(),
            replica: replica.clone(),
            store: store.clone(),
        },
        identities.clone(),
        Arc::new(idempotency),
    );
    tokio::spawn(identities::watch_file(identities, shutdown_rx.clone()));
    let mut server_stop = shutdown_rx.clone();
    let stopping = async move {
        let _ = server_stop.wait_for(|stopping| *stopping).await;
    };
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    let server = match acceptor {
        None => tokio::spawn(
            axum::serve(listener, app)
                .with_graceful_shutdown(stopping)
                .into_future(),
        ),
        Some(acceptor) => {
            // `tap_io` only to get the peer address through as the connection's info.
            let listener = tls::TlsListener::new(listener, addr, acceptor).tap_io(|_| {});
            tokio::spawn(
                axum::serve(listener, app)
                    .with_graceful_shutdown(stopping)
                    .into_future(),
            )
        }
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(%addr, writers = backend.fleet_size(), "controller started");
    Ok(ControllerHandle {
        addr,
        scheme,
        backend,
        feed,
        seeded,
        place: state_place,
        lead: lead.task,
        shutdown,
        server,
    })
}

/// Opens the state `state` says (with SQLite, in `data_dir`); answers it with where it is,
/// as messages name it.
async fn open_store(
    data_dir: &Path,
    state: StateLocation,
    clock: SharedClock,
) -> Result<(Arc<dyn StateStore>, String), ControllerError> {
    let sqlite = data_dir.join(DB_FILE_NAME);
    let place = match &state {
        StateLocation::DataDir => sqlite.display().to_string(),
        StateLocation::Mysql(target) => target.to_string(),
    };
    let opened = tokio::task::spawn_blocking(move || -> Result<Arc<dyn StateStore>, StoreError> {
        Ok(match state {
            StateLocation::DataDir => Arc::new(SqliteStore::open(&sqlite)?),
            StateLocation::Mysql(target) => Arc::new(MysqlStore::open(target, clock)?),
        })
    })
    .await;
    let store = opened
        .map_err(|e| ControllerError::Runtime(e.to_string()))?
        .map_err(ControllerError::database(&place))?;
    Ok((store, place))
}

/// The simulated fleet's engine, and how a demo fleet was seeded.
type Opened = (Engine, Seeding);

/// How this start seeds a demo fleet into an empty database.
enum Seeding {
    /// It does not: the database holds a fleet, or none was asked for.
    Not,
    /// Stored before anything was served (a shared database).
    Stored,
    /// Served at once, and to be written to the store off the start's path.
    Later(DemoSeed),
}

/// How a demo fleet was seeded into an empty database at the controller's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoSeeded {
    /// Stored before the controller served anything (a database replicas share).
    Stored,
    /// Served at once and being written; starts and pauses wait until it is.
    Writing,
}

/// Loads the fleet from `store` (at `path`). Asked for a demo fleet, an empty store gets one
/// generated in memory: the engine serves it at once, and it is written to the store
/// (returned with it) off the start's path — except in a store other replicas share, where it
/// is written before anything is served.
fn open_fleet(
    store: Arc<dyn StateStore>,
    place: &str,
    demo_fleet: Option<usize>,
    regions: u8,
    clock: &SharedClock,
    transition: Duration,
) -> Result<Opened, ControllerError> {
    if let Some(count) = demo_fleet.filter(|&n| n > 0)
        && store.is_empty().map_err(ControllerError::database(place))?
    {
        let seed = demo::demo_seed(count, regions, fleet::now_ms(clock));
        if store.shared().is_some() {
            // Other replicas serve what the store has: the fleet goes in before it is served
            // (the first replica to get there stores its own, the others take it).
            let never = std::sync::atomic::AtomicBool::new(false);
            let stored = store
                .seed(&seed.stores, &seed.slots, &never)
                .map_err(ControllerError::database(place))?;
            let (engine, _) = load(store, place, clock, transition)?;
            return Ok((
                engine,
                if stored {
                    Seeding::Stored
                } else {
                    Seeding::Not
                },
            ));
        }
        let fleet = Fleet::new(seed.slots.clone());
        let engine = Engine::seeding(store, fleet, clock.clone(), transition);
        return Ok((engine, Seeding::Later(seed)));
    }
    load(store, place, clock, transition)
}

/// The engine of the fleet `store` (at `place`) holds.
fn load(
    store: Arc<dyn StateStore>,
    place: &str,
    clock: &SharedClock,
    transition: Duration,
) -> Result<Opened, ControllerError> {
    let (slots, revision) = store
        .load(fleet::now_ms(clock))
        .map_err(ControllerError::database(place))?;
    let engine = Engine::new(
        store,
        Fleet::new(slots),
        revision,
        clock.clone(),
        transition,
    );
    Ok((engine, Seeding::Not))
}
