//! The operator's configuration file (`~/.config/jwctl/config.toml`) and the XDG paths jwctl
//! uses.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::Zone;

/// Contents of `config.toml`. Every key is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Controller URL, e.g. `http://10.0.0.5:7465`.
    pub controller: Option<String>,
    /// Bearer token (prefer `token_file`).
    pub token: Option<String>,
    /// File holding the bearer token.
    pub token_file: Option<PathBuf>,
    /// PEM certificate of the CA of an `https://` controller.
    pub ca_cert: Option<PathBuf>,
    /// Zone for wall times: `local`, `UTC`, `+08:00`, `Asia/Shanghai`.
    pub tz: Option<String>,
    /// Offer and send no start or pause, in the console and the CLI.
    #[serde(default)]
    pub read_only: bool,
    /// TUI settings.
    #[serde(default)]
    pub tui: TuiConfig,
    /// The OMS `jwctl serve --backend oms` drives.
    #[serde(default)]
    pub oms: OmsSection,
    /// Where `jwctl serve` keeps its state when its flags do not say.
    #[serde(default)]
    pub state: StateSection,
}

/// The `[oms]` table: what `jwctl serve --backend oms` takes when its flags do not say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OmsSection {
    /// OMS's URL, e.g. `http://10.0.0.5:8089`.
    pub url: Option<String>,
    /// The OMS user.
    pub user: Option<String>,
    /// File holding the OMS password (mode 0600).
    pub password_file: Option<PathBuf>,
    /// The CM of each region, `REGION=URL`, or `URL` alone for a single-region deployment.
    pub cm_urls: Vec<String>,
    /// Seconds between polls.
    pub poll_secs: Option<u64>,
    /// The zone of OMS's zone-less timestamps.
    pub tz: Option<String>,
}

/// The `[state]` table: the MySQL-protocol database `jwctl serve` keeps its state in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StateSection {
    /// `mysql://USER@HOST[:PORT]/DATABASE`.
    pub url: Option<String>,
    /// File holding the database password (mode 0600).
    pub password_file: Option<PathBuf>,
    /// CA (PEM) the database's certificate is checked against: the connection uses TLS.
    pub ca_file: Option<PathBuf>,
    /// Connect to a database beyond loopback unencrypted anyway.
    #[serde(default)]
    pub insecure: bool,
}

/// Latency at or above which a writer is lagging by default (the console's warning colour;
/// the controller's change feed publishes a crossing at once), in seconds.
pub const DEFAULT_LATENCY_WARN_SECS: u64 = 60;

/// Latency at or above which a writer is critical by default, in seconds.
pub const DEFAULT_LATENCY_CRITICAL_SECS: u64 = 600;

/// The `[tui]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TuiConfig {
    /// Seconds between table refreshes.
    pub refresh_secs: f64,
    /// Latency at or above which a writer is shown as lagging (warning colour), in seconds.
    pub latency_warn_secs: u64,
    /// Latency at or above which a writer is shown as critical, in seconds.
    pub latency_critical_secs: u64,
    /// `auto` (colour unless NO_COLOR is set), `color` or `mono`.
    pub theme: ThemeChoice,
}

impl Default for TuiConfig {
    fn default() -> Self {
        TuiConfig {
            refresh_secs: 2.0,
            latency_warn_secs: DEFAULT_LATENCY_WARN_SECS,
            latency_critical_secs: DEFAULT_LATENCY_CRITICAL_SECS,
            theme: ThemeChoice::Auto,
        }
    }
}

/// Colour theme selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ThemeChoice {
    /// Colour, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Always colour.
    Color,
    /// Monochrome: bold, reverse and underline only.
    Mono,
}

/// A config file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Loads `explicit` (which must exist), else the default file if it exists, else defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let (path, required) = match explicit {
            Some(path) => (path.to_path_buf(), true),
            None => match default_config_path() {
                Some(path) => (path, false),
                None => return Ok(Config::default()),
            },
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config::default());
            }
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        Config::parse(&text).map_err(|message| ConfigError::Invalid { path, message })
    }

    /// Parses config text; the error says what is wrong and where.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(tz) = &config.tz {
            tz.parse::<Zone>().map_err(|e| format!("tz: {e}"))?;
        }
        if let Some(tz) = &config.oms.tz {
            tz.parse::<Zone>().map_err(|e| format!("oms.tz: {e}"))?;
        }
        let tui = &config.tui;
        if !(tui.refresh_secs.is_finite() && (0.1..=3600.0).contains(&tui.refresh_secs)) {
            return Err("tui.refresh_secs must be between 0.1 and 3600".into());
        }
        if tui.latency_warn_secs > tui.latency_critical_secs {
            return Err(
                "tui.latency_warn_secs must not be larger than tui.latency_critical_secs".into(),
            );
        }
        Ok(config)
    }

    /// The configured zone, if any (validated by [`Config::parse`]).
    pub fn zone(&self) -> Option<Zone> {
        self.tz.as_deref().and_then(|tz| tz.parse().ok())
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "jwctl")
}

/// `$XDG_CONFIG_HOME/jwctl/config.toml`.
pub fn default_config_path() -> Option<PathBuf> {
    project_dirs().map(|dirs| dirs.config_dir().join("config.toml"))
}

/// `$XDG_DATA_HOME/jwctl`: the controller's default data dir.
pub fn default_data_dir() -> Option<PathBuf> {
    project_dirs().map(|dirs| dirs.data_dir().to_path_buf())
}

/// `$XDG_STATE_HOME/jwctl` (falls back to the data dir): where logs go.
pub fn default_log_dir() -> Option<PathBuf> {
    project_dirs().map(|dirs| {
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_dir())
            .to_path_buf()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_config_parses() {
        let text = r#"
            controller = "http://10.0.0.5:7465"
            token_file = "/etc/jwctl/token"
            tz = "Asia/Shanghai"
            [tui]
            refresh_secs = 5
            latency_warn_secs = 30
            latency_critical_secs = 120
            theme = "mono"
        "#;
        let config = Config::parse(text);
        let Ok(config) = config else {
            panic!("{config:?}");
        };
        assert_eq!(config.controller.as_deref(), Some("http://10.0.0.5:7465"));
        assert_eq!(config.tui.theme, ThemeChoice::Mono);
        assert_eq!(config.tui.refresh_secs, 5.0);
        assert!(config.zone().is_some());
    }

    #[test]
    fn mistakes_are_named() {
        let typo = Config::parse("controler = \"x\"").err().unwrap_or_default();
        assert!(typo.contains("controler"), "{typo}");
        let zone = Config::parse("tz = \"Mars/Base\"")
            .err()
            .unwrap_or_default();
        assert!(zone.contains("Mars/Base"), "{zone}");
        let refresh = Config::parse("[tui]\nrefresh_secs = 0")
            .err()
            .unwrap_or_default();
        assert!(refresh.contains("refresh_secs"), "{refresh}");
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        let err = Config::load(Some(Path::new("/nonexistent/jwctl.toml")));
        assert!(matches!(err, Err(ConfigError::Read { .. })));
    }
}
