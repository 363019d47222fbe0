//! How to reach OMS: its URL and credentials, the cluster managers (CM) per region, and the
//! polling limits; plus reading the password from a private file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{Offset, Utc};

use crate::domain::Zone;

/// A password. Its `Debug` prints `<redacted>` and it has no `Display`, so it cannot end up
/// in logs or error messages by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where and how jwctl talks to OMS.
#[derive(Debug, Clone)]
pub struct OmsConfig {
    /// OMS console/OpenAPI base URL, e.g. `http://10.0.0.5:8089`.
    pub url: String,
    /// OMS user for HTTP Basic auth.
    pub user: String,
    /// OMS password (redacted in `Debug`).
    pub password: Secret,
    /// Cluster manager URLs, one per region (`None`: a single-region deployment).
    pub cm: Vec<(Option<String>, String)>,
    /// How often the fleet is polled.
    pub poll: Duration,
    /// The zone OMS writes zone-less timestamps in (`2023-07-13T09:19:53`).
    pub zone: Zone,
    /// How many `DescribeProjectComponents` calls run at once.
    pub concurrency: usize,
    /// Budget of one whole call (all attempts and the answer's body).
    pub timeout: Duration,
}

impl OmsConfig {
    /// A configuration with the defaults: poll every 5 s, zone UTC, 8 describes at once,
    /// 10 s per call, no CM.
    pub fn new(url: impl Into<String>, user: impl Into<String>, password: Secret) -> Self {
        OmsConfig {
            url: url.into(),
            user: user.into(),
            password,
            cm: Vec::new(),
            poll: Duration::from_secs(5),
            zone: Zone::Fixed(Utc.fix()),
            concurrency: 8,
            timeout: Duration::from_secs(10),
        }
    }

    /// The CM URL of `region`: the one named so, else the one without a region.
    pub fn cm_url(&self, region: &str) -> Option<&str> {
        let named = self.cm.iter().find(|(r, _)| r.as_deref() == Some(region));
        named
            .or_else(|| self.cm.iter().find(|(r, _)| r.is_none()))
            .map(|(_, url)| url.as_str())
    }
}

/// Why the password file cannot be used. Never contains the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("cannot read the password file {path}: {detail}")]
    Read { path: PathBuf, detail: String },
    #[error(
        "the password file {path} is readable by others (mode {mode:04o}); run chmod 600 {path}"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("the password file {path} is empty; write the password on its first line")]
    Empty { path: PathBuf },
}

/// Reads a password (OMS's, the state database's) from `path`: the file must not be readable by group or others,
/// exactly one trailing `\n` (and a `\r` before it) is removed, and it must not be empty.
pub fn read_password_file(path: &Path) -> Result<Secret, PasswordError> {
    let read_error = |e: std::io::Error| PasswordError::Read {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let metadata = std::fs::metadata(path).map_err(read_error)?;
    check_mode(path, &metadata)?;
    let mut text = std::fs::read_to_string(path).map_err(read_error)?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        return Err(PasswordError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(Secret(text))
}

#[cfg(unix)]
fn check_mode(path: &Path, metadata: &std::fs::Metadata) -> Result<(), PasswordError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(PasswordError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_: &Path, _: &std::fs::Metadata) -> Result<(), PasswordError> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn file_with(content: &str, mode: u32) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("oms.pw");
        std::fs::write(&path, content).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        (dir, path)
    }

    #[test]
    fn one_trailing_newline_is_stripped() {
        for (content, expected) in [
            ("s3cret\n", "s3cret"),
            ("s3cret\r\n", "s3cret"),
            ("s3cret", "s3cret"),
            ("s3cret\n\n", "s3cret\n"),
            (" spaced \n", " spaced "),
        ] {
            let (_dir, path) = file_with(content, 0o600);
            let secret = read_password_file(&path).map(|s| s.expose().to_string());
            assert_eq!(secret.as_deref(), Ok(expected), "{content:?}");
        }
    }

    #[test]
    fn a_file_others_can_read_is_refused_with_the_fix() {
        for mode in [0o640, 0o604, 0o644, 0o660] {
            let (_dir, path) = file_with("s3cret\n", mode);
            let err = read_password_file(&path).err().map(|e| e.to_string());
            let text = err.unwrap_or_default();
            assert!(text.contains(&format!("{mode:04o}")), "{text}");
            assert!(
                text.contains(&format!("chmod 600 {}", path.display())),
                "{text}"
            );
            assert!(!text.contains("s3cret"));
        }
        let (_dir, path) = file_with("s3cret\n", 0o400);
        assert!(read_password_file(&path).is_ok());
    }

    #[test]
    fn empty_and_missing_files_are_refused() {
        for content in ["", "\n", "\r\n"] {
            let (_dir, path) = file_with(content, 0o600);
            assert!(matches!(
                read_password_file(&path),
                Err(PasswordError::Empty { .. })
            ));
        }
        let missing = Path::new("/nonexistent/oms.pw");
        assert!(matches!(
            read_password_file(missing),
            Err(PasswordError::Read { .. })
        ));
    }

    #[test]
    fn debug_never_shows_the_password() {
        let config = OmsConfig::new("http://oms", "admin", Secret::new("s3cret"));
        let text = format!("{config:?}");
        assert!(
            text.contains("<redacted>") && !text.contains("s3cret"),
            "{text}"
        );
        assert_eq!(config.timeout, Duration::from_secs(10));
        assert_eq!(config.concurrency, 8);
        assert_eq!(config.zone.to_string(), "UTC");
    }

    #[test]
    fn cm_urls_are_found_by_region_or_fall_back_to_the_unnamed_one() {
        let mut config = OmsConfig::new("http://oms", "admin", Secret::new("x"));
        config.cm = vec![
            (Some("hz".into()), "http://cm-hz".into()),
            (None, "http://cm".into()),
        ];
        assert_eq!(config.cm_url("hz"), Some("http://cm-hz"));
        assert_eq!(config.cm_url("sh"), Some("http://cm"));
    }
}
