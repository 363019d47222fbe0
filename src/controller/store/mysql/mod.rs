//! The state in a MySQL-protocol database (OceanBase in MySQL mode, MySQL 8; tested on
//! MariaDB), shared by every replica that points at it. Each purpose has its own connection,
//! opened when first needed; a connection that saw any error is dropped, never used again (the
//! driver can otherwise hand a later query the answer of one that timed out), and the next
//! call opens a fresh one. Every call is bounded: connecting and each read or write time out.

mod fleet;
mod oms;
mod queries;
mod schema;

use std::borrow::Cow;
use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mysql::prelude::{FromValue, Queryable};
use mysql::{Conn, OptsBuilder, Row, SslOpts};

use super::{
    Claim, Decision, HeldLock, KeptAnswer, LeaseHolder, LoggedChange, NewAudit, OmsProject,
    OmsProjects, SavedCheckpoint, SeenReplica, Shared, StateStore, StoreError,
};
use crate::api::AuditEntry;
use crate::controller::backend::{AuditFilter, lock};
use crate::controller::fleet::{Slot, StoreModel, WriterState};
use crate::domain::SharedClock;
use crate::oms::Secret;

/// Longest wait for a TCP connection to the database.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest wait for one read or write on a connection (the handshake included): a call that
/// meets a database that stopped answering fails within this, so a request within 5 s.
const IO_TIMEOUT: Duration = Duration::from_secs(3);

/// Where the shared state is: `mysql://USER@HOST[:PORT]/DATABASE`, the password, and how the
/// connection is protected.
#[derive(Clone, PartialEq, Eq)]
pub struct MysqlTarget {
    pub user: String,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub password: Option<Secret>,
    /// Connect over TLS, the server's certificate checked against this CA file (PEM) and the
    /// URL's host; unencrypted without one.
    pub ca_file: Option<PathBuf>,
}

impl fmt::Debug for MysqlTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// The URL without the password, as logs and messages show it.
impl fmt::Display for MysqlTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(
            f,
            "mysql://{}@{host}:{}/{}",
            self.user, self.port, self.database
        )
    }
}

impl MysqlTarget {
    /// Reads `mysql://USER@HOST[:PORT]/DATABASE` (port 3306 when left out); a password in
    /// the URL is refused: it belongs in a password file.
    pub fn parse(url: &str) -> Result<MysqlTarget, String> {
        let usage = "give it as mysql://USER@HOST[:PORT]/DATABASE";
        let rest = url
            .strip_prefix("mysql://")
            .ok_or_else(|| format!("the state URL {url:?} is not a mysql:// URL; {usage}"))?;
        let (user, rest) = rest
            .split_once('@')
            .ok_or_else(|| format!("the state URL names no user; {usage}"))?;
        if user.contains(':') {
            return Err(
                "the state URL holds a password; put it in a file given with \
                 --state-password-file (readable by its owner only) instead"
                    .to_string(),
            );
        }
        let (address, database) = rest
            .split_once('/')
            .ok_or_else(|| format!("the state URL names no database; {usage}"))?;
        let (host, port) = match address.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed
                    .split_once(']')
                    .ok_or_else(|| format!("the state URL's host is not closed by ']'; {usage}"))?;
                (host, after.strip_prefix(':'))
            }
            None => match address.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (address, None),
            },
        };
        let port = match port {
            Some(port) => port
                .parse::<u16>()
                .map_err(|_| format!("the state URL's port {port:?} is not a port number"))?,
            None => 3306,
        };
        let valid = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.$".contains(c))
        };
        if !valid(user) || host.is_empty() || !valid(database) {
            return Err(format!(
                "the state URL needs a user, a host and a database (letters, digits, _ - . $); \
                 {usage}"
            ));
        }
        Ok(MysqlTarget {
            user: user.to_string(),
            host: host.to_string(),
            port,
            database: database.to_string(),
            password: None,
            ca_file: None,
        })
    }

    /// Whether the host is this machine (a loopback address, or `localhost`).
    pub fn is_loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// A connection whose reads and writes each give up after `io_timeout`.
    fn connect(&self, io_timeout: Duration) -> Result<Conn, StoreError> {
        let options =
            OptsBuilder::new()
                .ip_or_hostname(Some(self.host.clone()))
                .tcp_port(self.port)
                .user(Some(self.user.clone()))
                .pass(self.password.as_ref().map(|p| p.expose().to_string()))
                .db_name(Some(self.database.clone()))
                .prefer_socket(false)
                .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
                .read_timeout(Some(io_timeout))
                .write_timeout(Some(io_timeout))
                .ssl_opts(self.ca_file.as_ref().map(|ca| {
                    SslOpts::default().with_root_cert_path(Some(Cow::Owned(ca.clone())))
                }));
        Ok(Conn::new(options)?)
    }
}

/// After the database did not answer, calls fail at once for this long instead of each
/// waiting out its own timeout (a request would otherwise wait for the calls before it).
const ASK_AGAIN_AFTER: Duration = Duration::from_secs(1);

/// A connection for one purpose: opened when needed (each read or write then giving up after
/// its `io_timeout`), dropped after any error.
struct Connection {
    conn: Mutex<Option<Conn>>,
    io_timeout: Duration,
}

impl Connection {
    fn new(io_timeout: Duration) -> Connection {
        Connection {
            conn: Mutex::new(None),
            io_timeout,
        }
    }
}

/// How long one read or write may take while a replica starts: creating or migrating the
/// schema (an `ALTER TABLE` of a large table) and storing a demo fleet (its commit) take
/// longer than a request's calls may, and nothing is served meanwhile.
const SETUP_IO_TIMEOUT: Duration = Duration::from_secs(120);

/// The name of the database lock `what` for the database `database`: such locks are the whole
/// server's, so two deployments on one server must not share them. At most 64 characters.
fn lock_name(database: &str, what: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(database.as_bytes());
    let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("jwctl.{short}.{what}")
}

/// Takes the database lock `name` on `conn`, trying for a second at a time (each try answers
/// well within the connection's read timeout) until `wait` has passed; whether it was taken.
fn take_lock(conn: &mut Conn, name: &str, wait: Duration) -> Result<bool, StoreError> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        let taken: Option<Option<i64>> = conn.exec_first("SELECT GET_LOCK(?, 1)", (name,))?;
        if taken.flatten() == Some(1) {
            return Ok(true);
        }
        if std::time::Instant::now() >= deadline {
            return Ok(false);
        }
    }
}

/// Gives the database lock `name` held on `conn` back.
fn release_lock(conn: &mut Conn, name: &str) -> Result<(), StoreError> {
    conn.exec_drop("SELECT RELEASE_LOCK(?)", (name,))?;
    Ok(())
}

/// The database not answering.
struct Silence {
    /// Since when, by the controller's clock.
    since: DateTime<Utc>,
    /// The last call it did not answer, and how that showed.
    last: std::time::Instant,
    detail: String,
}

/// The state in a MySQL-protocol database.
pub struct MysqlStore {
    target: MysqlTarget,
    /// Storing a demo fleet: patient, as while the schema is prepared.
    setup: Connection,
    writes: Connection,
    reads: Connection,
    revisions: Connection,
    answers: Connection,
    /// The lease and the heartbeats.
    lease: Connection,
    /// The revision log, read by every replica every few hundred milliseconds.
    log: Connection,
    /// While the database does not answer: cleared by the next call it answers.
    silence: Mutex<Option<Silence>>,
    clock: SharedClock,
}

impl fmt::Debug for MysqlStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MysqlStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl MysqlStore {
    /// Connects to `target` and creates the schema or brings it up to date; `clock` times how
    /// long the database has not answered.
    pub fn open(target: MysqlTarget, clock: SharedClock) -> Result<MysqlStore, StoreError> {
        let mut conn = target.connect(SETUP_IO_TIMEOUT)?;
        schema::prepare(&mut conn, &target.database)?;
        let store = MysqlStore {
            target,
            setup: Connection::new(SETUP_IO_TIMEOUT),
            writes: Connection::new(IO_TIMEOUT),
            reads: Connection::new(IO_TIMEOUT),
            revisions: Connection::new(IO_TIMEOUT),
            answers: Connection::new(IO_TIMEOUT),
            lease: Connection::new(IO_TIMEOUT),
            log: Connection::new(IO_TIMEOUT),
            silence: Mutex::new(None),
            clock,
        };
        *lock(&store.setup.conn) = Some(conn);
        Ok(store)
    }

    /// Runs `work` on `slot`'s connection (opened if needed); after an error the connection
    /// is dropped.
    fn with<T>(
        &self,
        slot: &Connection,
        work: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if let Some(silence) = lock(&self.silence).as_ref()
            && silence.last.elapsed() < ASK_AGAIN_AFTER
        {
            return Err(self.unanswered(silence.detail.clone()));
        }
        let mut held = lock(&slot.conn);
        let mut conn = match held.take() {
            Some(conn) => conn,
            None => self
                .target
                .connect(slot.io_timeout)
                .map_err(|e| self.unavailable(e))?,
        };
        let result = work(&mut conn).map_err(|e| self.unavailable(e));
        if result.is_ok() {
            *held = Some(conn);
            *lock(&self.silence) = None;
        }
        result
    }

    fn unanswered(&self, detail: String) -> StoreError {
        StoreError::Unavailable {
            place: self.target.to_string(),
            secs: IO_TIMEOUT.as_secs(),
            detail,
        }
    }

    /// `error`, or, when the database could not be reached or did not answer,
    /// [`StoreError::Unavailable`].
    fn unavailable(&self, error: StoreError) -> StoreError {
        let StoreError::Mysql(driver) = &error else {
            return error;
        };
        match **driver {
            mysql::Error::IoError(_)
            | mysql::Error::CodecError(_)
            | mysql::Error::DriverError(_) => {
                let detail = driver.to_string();
                let mut silence = lock(&self.silence);
                let since = silence
                    .as_ref()
                    .map_or_else(|| self.clock.now(), |s| s.since);
                *silence = Some(Silence {
                    since,
                    last: std::time::Instant::now(),
                    detail: detail.clone(),
                });
                self.unanswered(detail)
            }
            _ => error,
        }
    }
}

impl Shared for MysqlStore {
    fn claim_lead(
        &self,
        me: &LeaseHolder,
    ) -> Result<Option<(LeaseHolder, DateTime<Utc>)>, StoreError> {
        self.with(&self.lease, |conn| queries::claim_lead(conn, me))
    }

    fn release_lead(&self, me: &LeaseHolder) -> Result<(), StoreError> {
        self.with(&self.lease, |conn| queries::release_lead(conn, me))
    }

    fn heartbeat(
        &self,
        me: &LeaseHolder,
        started: DateTime<Utc>,
        leader_since: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.with(&self.lease, |conn| {
            queries::heartbeat(conn, me, started, leader_since)
        })
    }

    fn depart(&self, me: &LeaseHolder) -> Result<(), StoreError> {
        self.with(&self.lease, |conn| queries::depart(conn, me))
    }

    fn replicas(&self) -> Result<Vec<SeenReplica>, StoreError> {
        self.with(&self.reads, queries::replicas)
    }

    fn changes_since(&self, after: u64, limit: usize) -> Result<Vec<LoggedChange>, StoreError> {
        self.with(&self.log, |conn| fleet::changes_since(conn, after, limit))
    }

    fn save_oms_projects(
        &self,
        projects: &[OmsProject],
        polled: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        self.with(&self.writes, |conn| {
            oms::save_projects(conn, projects, polled)
        })
    }

    fn oms_projects_since(&self, after: u64) -> Result<OmsProjects, StoreError> {
        self.with(&self.log, |conn| oms::projects_since(conn, after))
    }

    fn hold_lock(&self, name: &str, wait: Duration) -> Result<Option<HeldLock>, StoreError> {
        // A connection of its own, which holds the lock until it closes.
        let held = Connection::new(IO_TIMEOUT);
        let name = lock_name(&self.target.database, name);
        let taken = self.with(&held, |conn| take_lock(conn, &name, wait))?;
        Ok(lock(&held.conn)
            .take()
            .filter(|_| taken)
            .map(|conn| HeldLock {
                _connection: Box::new(conn),
            }))
    }
}

impl StateStore for MysqlStore {
    fn shared(&self) -> Option<&dyn Shared> {
        Some(self)
    }

    fn unreachable_since(&self) -> Option<DateTime<Utc>> {
        lock(&self.silence).as_ref().map(|silence| silence.since)
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        self.with(&self.writes, fleet::is_empty)
    }

    fn seed(
        &self,
        stores: &[StoreModel],
        writers: &[Slot],
        abandon: &AtomicBool,
    ) -> Result<bool, StoreError> {
        let name = lock_name(&self.target.database, "seed");
        self.with(&self.setup, |conn| {
            fleet::seed(conn, &name, stores, writers, abandon)
        })
    }

    fn load(&self, _now: DateTime<Utc>) -> Result<(Vec<Slot>, u64), StoreError> {
        self.with(&self.reads, fleet::load)
    }

    fn change_writer(
        &self,
        id: &str,
        decide: &mut dyn FnMut(&WriterState) -> Decision,
    ) -> Result<Option<WriterState>, StoreError> {
        self.with(&self.writes, |conn| fleet::change_writer(conn, id, decide))
    }

    fn save_checkpoints(&self, checkpoints: &[SavedCheckpoint]) -> Result<(), StoreError> {
        self.with(&self.writes, |conn| {
            fleet::save_checkpoints(conn, checkpoints)
        })
    }

    fn record_audit(&self, entry: &NewAudit) -> Result<u64, StoreError> {
        self.with(&self.writes, |conn| {
            queries::insert_audit(conn, entry)?;
            Ok(conn.last_insert_id())
        })
    }

    fn answer_audit(&self, id: u64, result: &str, message: Option<&str>) -> Result<(), StoreError> {
        self.with(&self.writes, |conn| {
            queries::answer_audit(conn, id, result, message)
        })
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        self.with(&self.reads, |conn| queries::read_audit(conn, filter))
    }

    fn take_revisions(&self, span: u64) -> Result<u64, StoreError> {
        self.with(&self.revisions, |conn| queries::take_revisions(conn, span))
    }

    fn history_chunks(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        self.with(&self.writes, queries::history_chunks)
    }

    fn replace_history_chunks(
        &self,
        chunks: &mut dyn Iterator<Item = Vec<u8>>,
    ) -> Result<(), StoreError> {
        self.with(&self.writes, |conn| {
            queries::replace_history_chunks(conn, chunks)
        })
    }

    fn claim_key(
        &self,
        identity: &str,
        key: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        oldest: DateTime<Utc>,
        abandoned_before: DateTime<Utc>,
    ) -> Result<Claim, StoreError> {
        self.with(&self.answers, |conn| {
            queries::claim_key(
                conn,
                identity,
                key,
                fingerprint,
                now,
                oldest,
                abandoned_before,
            )
        })
    }

    fn keep_answer(
        &self,
        identity: &str,
        key: &str,
        answer: &KeptAnswer,
        at: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with(&self.answers, |conn| {
            queries::keep_answer(conn, identity, key, answer, at, forget_before)
        })
    }
}

/// Column `index` of `row` as a `T`, or why it is not one.
fn col<T: FromValue>(row: &Row, index: usize) -> Result<T, StoreError> {
    match row.get_opt::<T, usize>(index) {
        Some(Ok(value)) => Ok(value),
        Some(Err(error)) => Err(StoreError::Invalid(format!("column {index}: {error}"))),
        None => Err(StoreError::Invalid(format!("column {index} is missing"))),
    }
}

/// The instant `ms` milliseconds after the epoch.
fn from_ms(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Invalid(format!("timestamp {ms} ms is out of range")))
}
