//! Which controller to talk to and with which token: flags, then environment (via clap),
//! then the config file, then the defaults `jwctl serve` uses on this machine.

use std::path::{Path, PathBuf};

use crate::cli::args::GlobalArgs;
use crate::config::{Config, default_data_dir};

/// Where `jwctl serve` listens by default, and where the CLI looks when nothing is configured.
pub const DEFAULT_CONTROLLER: &str = "http://127.0.0.1:7465";

/// A controller to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub url: String,
    pub token: Option<String>,
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
}

/// The configured controller, or `None` when neither flags, environment nor config name one
/// (the TUI then starts its embedded demo controller).
pub fn configured(
    global: &GlobalArgs,
    config: &Config,
) -> Result<Option<Connection>, ConnectionError> {
    let Some(url) = global
        .controller
        .clone()
        .or_else(|| config.controller.clone())
    else {
        return Ok(None);
    };
    Ok(Some(Connection {
        url,
        token: token(global, config)?,
    }))
}

/// The configured controller, else the local default (`jwctl serve` on this machine).
pub fn configured_or_default(
    global: &GlobalArgs,
    config: &Config,
) -> Result<Connection, ConnectionError> {
    Ok(configured(global, config)?.unwrap_or(Connection {
        url: DEFAULT_CONTROLLER.to_string(),
        token: token(global, config)?,
    }))
}

fn token(global: &GlobalArgs, config: &Config) -> Result<Option<String>, ConnectionError> {
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

    fn global() -> GlobalArgs {
        GlobalArgs {
            controller: None,
            token: None,
            token_file: None,
            config: None,
            tz: None,
        }
    }

    #[test]
    fn flags_win_over_config() {
        let config = Config {
            controller: Some("http://config:1".into()),
            token: Some("from-config".into()),
            ..Config::default()
        };
        let mut args = global();
        args.controller = Some("http://flag:2".into());
        args.token = Some(" from-flag \n".into());
        let connection = configured(&args, &config).ok().flatten();
        assert_eq!(
            connection,
            Some(Connection {
                url: "http://flag:2".into(),
                token: Some("from-flag".into()),
            })
        );
    }

    #[test]
    fn nothing_configured_means_none() {
        let connection = configured(&global(), &Config::default());
        assert!(matches!(connection, Ok(None)));
    }

    #[test]
    fn unreadable_or_empty_token_files_are_errors() {
        let dir = std::env::temp_dir().join(format!("jwctl-conn-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let empty = dir.join("empty");
        let _ = std::fs::write(&empty, "\n");
        let mut args = global();
        args.token_file = Some(empty);
        let err = configured_or_default(&args, &Config::default());
        assert!(matches!(err, Err(ConnectionError::EmptyTokenFile { .. })));
        args.token_file = Some(dir.join("missing"));
        let err = configured_or_default(&args, &Config::default());
        assert!(matches!(err, Err(ConnectionError::TokenFile { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
