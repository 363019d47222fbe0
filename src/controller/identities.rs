//! Who a request's bearer token belongs to: the identities of a tokens file (read again
//! whenever it changes, so additions and revocations take effect without a restart), or the
//! single token of `--token-file` as one operator named `default`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use subtle::ConstantTimeEq;
use tokio::sync::watch;

use super::backend::lock;
use crate::api::{DEFAULT_IDENTITY, Identity, Role};
use crate::tokens_file::{self, TokensFileError};

/// How often the tokens file is checked for changes.
pub(crate) const RELOAD_EVERY: Duration = Duration::from_secs(1);

struct Accepted {
    identity: Identity,
    sha256: [u8; 32],
}

/// The identities a controller accepts. `Debug` names the source, never a hash.
pub(crate) struct Identities {
    accepted: RwLock<Arc<[Accepted]>>,
    file: Option<WatchedFile>,
}

struct WatchedFile {
    path: PathBuf,
    /// Modification time and length when last read.
    seen: Mutex<Option<(SystemTime, u64)>>,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identities")
            .field("file", &self.file.as_ref().map(|file| &file.path))
            .finish_non_exhaustive()
    }
}

impl Identities {
    /// One operator, `default`, with `token`.
    pub fn single(token: &str) -> Identities {
        let accepted = Accepted {
            identity: Identity {
                name: DEFAULT_IDENTITY.to_string(),
                role: Role::Operator,
            },
            sha256: tokens_file::token_digest(token.as_bytes()),
        };
        Identities {
            accepted: RwLock::new(Arc::new([accepted])),
            file: None,
        }
    }

    /// The identities of the tokens file at `path`, which must exist and be valid.
    pub fn from_file(path: &Path) -> Result<Identities, TokensFileError> {
        let identities = Identities {
            accepted: RwLock::new(Arc::new([])),
            file: Some(WatchedFile {
                path: path.to_path_buf(),
                seen: Mutex::new(None),
            }),
        };
        identities.reload()?;
        Ok(identities)
    }

    /// How many identities are accepted.
    pub fn len(&self) -> usize {
        self.current().len()
    }

    fn current(&self) -> Arc<[Accepted]> {
        self.accepted
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The identity `token` authenticates, if any. Every accepted hash is compared, in
    /// constant time.
    pub fn identify(&self, token: &[u8]) -> Option<Identity> {
        let presented = tokens_file::token_digest(token);
        let mut found = None;
        for accepted in self.current().iter() {
            if bool::from(accepted.sha256.ct_eq(&presented)) {
                found = Some(accepted.identity.clone());
            }
        }
        found
    }

    /// Reads the tokens file again if it changed since it was last read (or appeared, or
    /// went). A file that became invalid or went keeps the identities read before, and is
    /// logged once.
    pub fn reload_if_changed(&self) {
        let Some(file) = &self.file else { return };
        if *lock(&file.seen) == stamp(&file.path) {
            return;
        }
        match self.reload() {
            Ok(count) => {
                tracing::info!(path = %file.path.display(), identities = count, "tokens file read")
            }
            Err(error) => tracing::error!(
                "{error}; the identities read before stay in force until it is fixed"
            ),
        }
    }

    fn reload(&self) -> Result<usize, TokensFileError> {
        let Some(file) = &self.file else {
            return Ok(self.len());
        };
        let seen = stamp(&file.path);
        let stored = tokens_file::load(&file.path);
        *lock(&file.seen) = seen;
        let accepted: Arc<[Accepted]> = stored?
            .into_iter()
            .filter_map(|stored| {
                Some(Accepted {
                    sha256: crate::hex::decode(&stored.token_sha256)?,
                    identity: Identity {
                        name: stored.name,
                        role: stored.role,
                    },
                })
            })
            .collect();
        let count = accepted.len();
        *self
            .accepted
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = accepted;
        Ok(count)
    }
}

/// The modification time and length of the file at `path`, if it is there.
fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()))
}

/// Checks the tokens file every [`RELOAD_EVERY`] until the controller stops.
pub(crate) async fn watch_file(identities: Arc<Identities>, mut stopping: watch::Receiver<bool>) {
    if identities.file.is_none() {
        return;
    }
    let mut tick = tokio::time::interval(RELOAD_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.wait_for(|stopping| *stopping) => return,
        }
        let checking = identities.clone();
        if tokio::task::spawn_blocking(move || checking.reload_if_changed())
            .await
            .is_err()
        {
            tracing::error!("checking the tokens file failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_known_by_its_hash_and_a_revocation_is_picked_up() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("tokens.toml");
        let now = chrono::Utc::now();
        let alice =
            tokens_file::add(&path, "alice", Role::Viewer, now).unwrap_or_else(|e| panic!("{e}"));
        let identities = Identities::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let who = identities.identify(alice.as_bytes());
        assert_eq!(
            who.map(|i| (i.name, i.role)),
            Some(("alice".into(), Role::Viewer))
        );
        assert_eq!(identities.identify(b"not a token"), None);
        let bob =
            tokens_file::add(&path, "bob", Role::Operator, now).unwrap_or_else(|e| panic!("{e}"));
        tokens_file::revoke(&path, "alice").unwrap_or_else(|e| panic!("{e}"));
        identities.reload_if_changed();
        assert_eq!(identities.identify(alice.as_bytes()), None);
        assert!(identities.identify(bob.as_bytes()).is_some());
        // A file broken meanwhile keeps the identities read before it.
        std::fs::write(&path, "[[identity]]\nname = 1\n").unwrap_or_else(|e| panic!("{e}"));
        identities.reload_if_changed();
        assert!(identities.identify(bob.as_bytes()).is_some());
        // And one removed (it is read again once it is back).
        std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{e}"));
        identities.reload_if_changed();
        assert!(identities.identify(bob.as_bytes()).is_some());
        let single = Identities::single("secret");
        assert_eq!(
            single.identify(b"secret").map(|i| i.role),
            Some(Role::Operator)
        );
        assert!(!format!("{single:?}").contains("secret"));
    }
}
