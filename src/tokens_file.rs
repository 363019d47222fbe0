//! The tokens file: the identities a controller accepts, each a name, a role and the SHA-256
//! of its token. It never holds a token: `jwctl token add` prints the new token once and
//! records only its hash. `jwctl serve --tokens-file` reads it, and again whenever it changes.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::api::Role;

/// The longest identity name.
pub const NAME_MAX_CHARS: usize = 64;

/// An identity as the file records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredIdentity {
    pub name: String,
    pub role: Role,
    /// Hex SHA-256 of the token.
    pub token_sha256: String,
    #[serde(with = "crate::domain::rfc3339")]
    pub created: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFormat {
    #[serde(default, rename = "identity")]
    identities: Vec<StoredIdentity>,
}

/// Why the tokens file could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum TokensFileError {
    #[error(
        "the tokens file {} does not exist; create it with `jwctl token add NAME --role ROLE --tokens-file {}`",
        path.display(), path.display()
    )]
    Missing { path: PathBuf },
    #[error("cannot read the tokens file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the tokens file {} is not valid: {detail}; fix it, or revoke and add the identity again", path.display())]
    Invalid { path: PathBuf, detail: String },
    #[error("cannot write the tokens file {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{name:?} is not a valid identity name: use 1 to {NAME_MAX_CHARS} letters, digits, '.', '_', '-' or '@'"
    )]
    BadName { name: String },
    #[error("an identity named {name} is already in {}; revoke it first or choose another name", path.display())]
    NameTaken { name: String, path: PathBuf },
    #[error("no identity named {name} in {}; `jwctl token list` shows them", path.display())]
    UnknownName { name: String, path: PathBuf },
    #[error("cannot generate a token: the operating system's random source failed ({0})")]
    Random(String),
}

/// The SHA-256 of `token`.
pub fn token_digest(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}

/// The hex SHA-256 of `token`, as the file records it.
pub fn token_sha256(token: &[u8]) -> String {
    crate::hex::encode(&token_digest(token))
}

/// The identities in `path`; a missing file is [`TokensFileError::Missing`].
pub fn load(path: &Path) -> Result<Vec<StoredIdentity>, TokensFileError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(source) if source.kind() == ErrorKind::NotFound => {
            return Err(TokensFileError::Missing {
                path: path.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(TokensFileError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let invalid = |detail: String| TokensFileError::Invalid {
        path: path.to_path_buf(),
        detail,
    };
    let file: FileFormat = toml::from_str(&text).map_err(|e| invalid(e.message().to_string()))?;
    let mut names = std::collections::HashSet::new();
    for identity in &file.identities {
        check_name(&identity.name).map_err(|e| invalid(e.to_string()))?;
        if !names.insert(identity.name.as_str()) {
            return Err(invalid(format!("the name {} appears twice", identity.name)));
        }
        let hash = &identity.token_sha256;
        if crate::hex::decode::<32>(hash).is_none() {
            return Err(invalid(format!(
                "the token_sha256 of {} is not 64 hex digits",
                identity.name
            )));
        }
    }
    Ok(file.identities)
}

/// Adds identity `name` with `role` and a new random token, which is returned (to be shown
/// once); the file is created when missing.
pub fn add(
    path: &Path,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<String, TokensFileError> {
    check_name(name)?;
    let mut identities = match load(path) {
        Err(TokensFileError::Missing { .. }) => Vec::new(),
        other => other?,
    };
    if identities.iter().any(|i| i.name == name) {
        return Err(TokensFileError::NameTaken {
            name: name.to_string(),
            path: path.to_path_buf(),
        });
    }
    let token = crate::hex::random::<32>().map_err(|e| TokensFileError::Random(e.to_string()))?;
    identities.push(StoredIdentity {
        name: name.to_string(),
        role,
        token_sha256: token_sha256(token.as_bytes()),
        created: DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now),
    });
    save(path, identities)?;
    Ok(token)
}

/// Removes identity `name`: its token stops working.
pub fn revoke(path: &Path, name: &str) -> Result<(), TokensFileError> {
    let mut identities = load(path)?;
    let before = identities.len();
    identities.retain(|i| i.name != name);
    if identities.len() == before {
        return Err(TokensFileError::UnknownName {
            name: name.to_string(),
            path: path.to_path_buf(),
        });
    }
    save(path, identities)
}

fn check_name(name: &str) -> Result<(), TokensFileError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if name.is_empty() || name.chars().count() > NAME_MAX_CHARS || !name.chars().all(allowed) {
        return Err(TokensFileError::BadName {
            name: name.to_string(),
        });
    }
    Ok(())
}

/// Writes the file whole, owner-only, through a temporary file renamed over it: a controller
/// reading it meanwhile sees the old file or the new one.
fn save(path: &Path, identities: Vec<StoredIdentity>) -> Result<(), TokensFileError> {
    let write = |source| TokensFileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let body = toml::to_string(&FileFormat { identities })
        .map_err(|e| write(std::io::Error::other(e.to_string())))?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // tempfile creates it readable by the owner only.
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(write)?;
    temp.write_all(
        b"# jwctl identities: written by `jwctl token add` and `jwctl token revoke`.\n\
          # Each holds the SHA-256 of its token, never the token.\n\n",
    )
    .and_then(|()| temp.write_all(body.as_bytes()))
    .and_then(|()| temp.as_file().sync_all())
    .map_err(write)?;
    temp.persist(path).map_err(|e| write(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_identities_are_listed_revoked_and_never_stored_with_their_token() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("tokens.toml");
        let now = Utc::now();
        let alice = add(&path, "alice", Role::Operator, now).unwrap_or_else(|e| panic!("{e}"));
        let bob = add(&path, "bob", Role::Viewer, now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(alice.len(), 64);
        let text = fs::read_to_string(&path).unwrap_or_default();
        assert!(!text.contains(&alice) && !text.contains(&bob));
        let names: Vec<(String, Role)> = load(&path)
            .unwrap_or_default()
            .into_iter()
            .map(|i| (i.name, i.role))
            .collect();
        assert_eq!(
            names,
            [
                ("alice".into(), Role::Operator),
                ("bob".into(), Role::Viewer)
            ]
        );
        assert!(matches!(
            add(&path, "alice", Role::Viewer, now),
            Err(TokensFileError::NameTaken { .. })
        ));
        assert!(matches!(
            add(&path, "no spaces", Role::Viewer, now),
            Err(TokensFileError::BadName { .. })
        ));
        revoke(&path, "alice").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(load(&path).unwrap_or_default().len(), 1);
        assert!(matches!(
            revoke(&path, "alice"),
            Err(TokensFileError::UnknownName { .. })
        ));
    }

    #[test]
    fn a_broken_file_is_refused_with_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("tokens.toml");
        assert!(matches!(load(&path), Err(TokensFileError::Missing { .. })));
        let entry = |name: &str, hash: &str| {
            format!(
                "[[identity]]\nname = \"{name}\"\nrole = \"viewer\"\ntoken_sha256 = \"{hash}\"\n\
                 created = \"2026-12-02T07:00:00Z\"\n"
            )
        };
        let good = "ab".repeat(32);
        for (text, expected) in [
            (entry("a", "short"), "64 hex digits"),
            (entry("a", &good) + &entry("a", &good), "appears twice"),
            (entry("a b", &good), "not a valid identity name"),
            (
                entry("a", &good).replace("viewer", "admin"),
                "unknown variant",
            ),
        ] {
            fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
            let error = load(&path).map(|_| ()).err().map(|e| e.to_string());
            assert!(
                error.as_deref().is_some_and(|e| e.contains(expected)),
                "{error:?} should say {expected}"
            );
        }
    }
}
