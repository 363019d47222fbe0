//! The controller processes serving the state, for `GET /v1/deployment`. A SQLite database
//! is one process's alone: that process is the only replica, and it leads from its start.

use std::net::SocketAddr;

use chrono::{DateTime, Utc};

use super::store::LeaseHolder;
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

    /// The replicas now: this one, leading.
    pub fn replicas(&self) -> Vec<Replica> {
        vec![Replica {
            id: self.id.clone(),
            host: self.host.clone(),
            listen: self.listen.to_string(),
            pid: self.pid,
            leader: true,
            started: self.started,
            leader_since: Some(self.started),
            last_seen: self.clock.now(),
        }]
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
