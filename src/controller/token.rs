//! The bearer token the controller requires: read from a file, or generated once into the
//! data dir with owner-only permissions.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ControllerError;

/// File name of the generated token inside the data dir.
pub const TOKEN_FILE_NAME: &str = "token";

/// The token `serve` requires and where it lives. Its `Debug` output hides the token.
#[derive(Clone)]
pub struct ResolvedToken {
    /// The token itself; never log it.
    pub token: String,
    /// The file it was read from or written to.
    pub path: PathBuf,
    /// Whether it was generated just now.
    pub generated: bool,
}

impl std::fmt::Debug for ResolvedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResolvedToken")
            .field("token", &"<redacted>")
            .field("path", &self.path)
            .field("generated", &self.generated)
            .finish()
    }
}

/// Token for `serve`: read `token_file` if given (error if missing/empty), else
/// `<data_dir>/token`, generating a random one there (mode 0600) if it does not exist.
pub fn resolve_token(
    data_dir: &Path,
    token_file: Option<&Path>,
) -> Result<ResolvedToken, ControllerError> {
    if let Some(path) = token_file {
        return read_token(path).map(|token| ResolvedToken {
            token,
            path: path.to_path_buf(),
            generated: false,
        });
    }
    let path = data_dir.join(TOKEN_FILE_NAME);
    if path.exists() {
        return read_token(&path).map(|token| ResolvedToken {
            token,
            path,
            generated: false,
        });
    }
    create_private_dir(data_dir)?;
    let token = generate_token()?;
    write_private(&path, &token).map_err(|source| ControllerError::Io {
        what: "write the token file",
        path: path.clone(),
        source,
    })?;
    Ok(ResolvedToken {
        token,
        path,
        generated: true,
    })
}

/// Creates `dir` (and missing parents) readable by the owner only; an existing dir is left as
/// it is.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), ControllerError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| ControllerError::Io {
        what: "create the data dir",
        path: dir.to_path_buf(),
        source,
    })
}

fn read_token(path: &Path) -> Result<String, ControllerError> {
    let text = fs::read_to_string(path).map_err(|source| ControllerError::Io {
        what: "read the token file",
        path: path.to_path_buf(),
        source,
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(ControllerError::EmptyToken {
            path: path.to_path_buf(),
        });
    }
    Ok(token.to_string())
}

/// 32 random bytes from the operating system, hex-encoded.
fn generate_token() -> Result<String, ControllerError> {
    crate::hex::random::<32>().map_err(|e| ControllerError::Random(e.to_string()))
}

fn write_private(path: &Path, token: &str) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(token.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_generated_once_then_reused() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else { panic!("{dir:?}") };
        let data_dir = dir.path().join("new").join("jwctl");
        let first = resolve_token(&data_dir, None);
        let Ok(first) = first else {
            panic!("{first:?}")
        };
        assert!(first.generated);
        assert_eq!(first.token.len(), 64);
        assert!(first.token.bytes().all(|b| b.is_ascii_hexdigit()));
        let again = resolve_token(&data_dir, None);
        let Ok(again) = again else {
            panic!("{again:?}")
        };
        assert!(!again.generated);
        assert_eq!(again.token, first.token);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).map(|m| m.permissions().mode() & 0o777).ok();
            assert_eq!(mode(&first.path), Some(0o600));
            assert_eq!(
                mode(&data_dir),
                Some(0o700),
                "a created data dir is private"
            );
        }
    }

    #[test]
    fn a_given_token_file_must_exist_and_hold_a_token() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else { panic!("{dir:?}") };
        let missing = dir.path().join("nope");
        assert!(matches!(
            resolve_token(dir.path(), Some(&missing)),
            Err(ControllerError::Io { .. })
        ));
        let empty = dir.path().join("empty");
        assert!(fs::write(&empty, "  \n").is_ok());
        assert!(matches!(
            resolve_token(dir.path(), Some(&empty)),
            Err(ControllerError::EmptyToken { .. })
        ));
        let given = dir.path().join("given");
        assert!(fs::write(&given, "s3cret\n").is_ok());
        let token = resolve_token(dir.path(), Some(&given)).map(|t| t.token);
        assert_eq!(token.ok().as_deref(), Some("s3cret"));
        let resolved = resolve_token(dir.path(), Some(&given)).map(|t| format!("{t:?}"));
        assert!(
            resolved.is_ok_and(|debug| !debug.contains("s3cret")),
            "Debug hides the token"
        );
    }
}
