//! Which controller to talk to and with which token: flags, then environment (via clap),
//! then the config file, then the defaults `jwctl serve` uses on this machine. The console
//! and the CLI resolve it the same way.

use std::path::{Path, PathBuf};

use crate::cli::args::ClientArgs;
use crate::config::{Config, default_data_dir};

/// Where `jwctl serve` listens by default, and where the CLI looks when nothing is configured.
pub const DEFAULT_CONTROLLER: &str = "http://127.0.0.1:7465";

/// A controller to connect to. Its `Debug` output hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Connection {
    pub url: String,
    pub token: Option<String>,
    /// Whether the URL was named (flag, environment, config) rather than the default.
    pub named: bool,
    /// PEM certificates to trust for `https://` (`--ca-cert`, else the config's `ca_cert`).
    pub ca_cert: Option<Vec<u8>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("named", &self.named)
            .field("ca_cert", &self.ca_cert.is_some())
            .finish()
    }
}

/// A token that was named but could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error(
        "cannot read token file {path}: {source}; check --token-file or token_file in the config"
    )]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("token file {path} is empty; put the controller's token in it")]
    EmptyTokenFile { path: PathBuf },
    #[error(
        "cannot read the CA certificate {path}: {source}; check --ca-cert or ca_cert in the config"
    )]
    CaCert {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The controller named by `--controller`/`JWCTL_CONTROLLER` or the config, else the local
/// default (`jwctl serve` on this machine, `named: false`).
pub fn resolve(args: &ClientArgs, config: &Config) -> Result<Connection, ConnectionError> {
    let named = args
        .controller
        .clone()
        .or_else(|| config.controller.clone());
    Ok(Connection {
        named: named.is_some(),
        url: named.unwrap_or_else(|| DEFAULT_CONTROLLER.to_string()),
        token: token(args, config)?,
        ca_cert: ca_cert(args, config)?,
    })
}

fn token(global: &ClientArgs, config: &Config) -> Result<Option<String>, ConnectionError> {
    if let Some(token) = &global.token {
        return Ok(Some(token.trim().to_string()));
    }
    if let Some(path) = &global.token_file {
        return read_token_file(path).map(Some);
    }
    if let Some(token) = &config.token {
        return Ok(Some(token.trim().to_string()));
    }
    if let Some(path) = &config.token_file {
        return read_token_file(path).map(Some);
    }
    // The token `jwctl serve` generates in its default data dir, when it is there.
    match default_data_dir().map(|dir| dir.join("token")) {
        Some(path) if path.is_file() => read_token_file(&path).map(Some),
        _ => Ok(None),
    }
}

fn ca_cert(args: &ClientArgs, config: &Config) -> Result<Option<Vec<u8>>, ConnectionError> {
    let Some(path) = args.ca_cert.as_ref().or(config.ca_cert.as_ref()) else {
        return Ok(None);
    };
    std::fs::read(path)
        .map(Some)
        .map_err(|source| ConnectionError::CaCert {
            path: path.clone(),
            source,
        })
}

/// Reads a token file, trimming surrounding white space.
pub fn read_token_file(path: &Path) -> Result<String, ConnectionError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConnectionError::TokenFile {
        path: path.to_path_buf(),
        source,
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(ConnectionError::EmptyTokenFile {
            path: path.to_path_buf(),
        });
    }
    Ok(token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ClientArgs {
        ClientArgs::default()
    }

    #[test]
    fn flags_win_over_config() {
        let config = Config {
            controller: Some("http://config:1".into()),
            token: Some("from-config".into()),
            ..Config::default()
        };
        let mut args = args();
        args.controller = Some("http://flag:2".into());
        args.token = Some(" from-flag \n".into());
        let connection = resolve(&args, &config).ok();
        assert_eq!(
            connection,
            Some(Connection {
                url: "http://flag:2".into(),
                token: Some("from-flag".into()),
                named: true,
                ca_cert: None,
            })
        );
        let from_config = resolve(&ClientArgs::default(), &config).ok();
        assert_eq!(
            from_config.map(|c| (c.url, c.named)),
            Some(("http://config:1".into(), true))
        );
    }

    #[test]
    fn nothing_configured_means_the_default() {
        let connection = resolve(&args(), &Config::default()).ok();
        assert_eq!(
            connection.map(|c| (c.url, c.named)),
            Some((DEFAULT_CONTROLLER.to_string(), false))
        );
    }

    #[test]
    fn unreadable_or_empty_token_files_are_errors() {
        let dir = std::env::temp_dir().join(format!("jwctl-conn-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let empty = dir.join("empty");
        let _ = std::fs::write(&empty, "\n");
        let mut args = args();
        args.token_file = Some(empty);
        let err = resolve(&args, &Config::default());
        assert!(matches!(err, Err(ConnectionError::EmptyTokenFile { .. })));
        args.token_file = Some(dir.join("missing"));
        let err = resolve(&args, &Config::default());
        assert!(matches!(err, Err(ConnectionError::TokenFile { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn debug_output_hides_the_token() {
        let connection = Connection {
            url: "http://x:1".into(),
            token: Some("s3cr3t".into()),
            named: true,
            ca_cert: None,
        };
        assert!(!format!("{connection:?}").contains("s3cr3t"));
    }
}
