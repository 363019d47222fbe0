//! The controller processes serving the state, for `GET /v1/deployment`. A SQLite database
//! is one process's alone: that process is the only replica, and it leads from its start. A
//! shared database lists the replicas that told it lately that they are alive.

use std::net::SocketAddr;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::backend::lock;
use super::store::{LeaseHolder, StateStore};
use crate::api::Replica;
use crate::domain::SharedClock;

/// This process, as a replica.
#[derive(Debug)]
pub(crate) struct ThisReplica {
    id: String,
    host: String,
    listen: SocketAddr,
    pid: u32,
    started: DateTime<Utc>,
    /// Since when it leads, while it does.
    leader_since: Mutex<Option<DateTime<Utc>>>,
    clock: SharedClock,
}

impl ThisReplica {
    /// This process, listening on `listen`, starting now; `id` distinguishes it from the
    /// processes before and after it.
    pub fn new(id: String, listen: SocketAddr, clock: SharedClock) -> ThisReplica {
        ThisReplica {
            id,
            host: host_name(),
            listen,
            pid: std::process::id(),
            started: clock.now(),
            leader_since: Mutex::new(None),
            clock,
        }
    }

    /// This replica as the lease on the lead records it.
    pub fn holder(&self) -> LeaseHolder {
        LeaseHolder {
            replica: self.id.clone(),
            host: self.host.clone(),
            pid: self.pid,
            listen: self.listen.to_string(),
        }
    }

    /// When it started.
    pub fn started(&self) -> DateTime<Utc> {
        self.started
    }

    /// Since when it leads, while it does.
    pub fn leader_since(&self) -> Option<DateTime<Utc>> {
        *lock(&self.leader_since)
    }

    /// Records whether it leads now.
    pub fn set_leading(&self, leading: bool) {
        let mut since = lock(&self.leader_since);
        match (leading, *since) {
            (true, None) => *since = Some(self.clock.now()),
            (false, Some(_)) => *since = None,
            _ => {}
        }
    }

    /// This one alone, as it knows itself.
    fn alone(&self) -> Replica {
        let leader_since = self.leader_since();
        Replica {
            id: self.id.clone(),
            host: self.host.clone(),
            listen: self.listen.to_string(),
            pid: self.pid,
            leader: leader_since.is_some(),
            started: self.started,
            leader_since,
            last_seen: self.clock.now(),
        }
    }

    /// The replicas now: those `store` heard from lately when it is shared (this one alone
    /// when it does not answer), else this one. Blocks.
    pub fn replicas(&self, store: &dyn StateStore) -> Vec<Replica> {
        let Some(shared) = store.shared() else {
            return vec![self.alone()];
        };
        let seen = match shared.replicas() {
            Ok(seen) => seen,
            Err(error) => {
                tracing::warn!("listing the replicas failed: {error}");
                return vec![self.alone()];
            }
        };
        let mut replicas: Vec<Replica> = seen
            .into_iter()
            .map(|seen| Replica {
                id: seen.holder.replica,
                host: seen.holder.host,
                listen: seen.holder.listen,
                pid: seen.holder.pid,
                leader: seen.leader,
                started: seen.started,
                leader_since: seen.leader_since,
                last_seen: seen.last_seen,
            })
            .collect();
        // Before its first heartbeat is in, this replica still answers.
        if !replicas.iter().any(|r| r.id == self.id) {
            replicas.push(self.alone());
        }
        replicas
    }
}

/// The machine's host name, or `unknown` when the system does not say.
fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: gethostname writes at most `buffer.len()` bytes into the buffer it is given,
    // which lives for the call.
    let result = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    match std::str::from_utf8(buffer.get(..end).unwrap_or_default()) {
        Ok(name) if result == 0 && !name.is_empty() => name.to_string(),
        _ => "unknown".to_string(),
    }
}
