//! Starting the console: configuration, the controller to talk to (a configured one, or an
//! embedded demo controller on a loopback port), logging to a file, then the runtime.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tracing_appender::non_blocking::WorkerGuard;

use crate::cli::args::{Cli, TuiArgs};
use crate::cli::connection::{ConnectionError, configured};
use crate::client::{Client, ClientError, ClientOptions};
use crate::config::{Config, ConfigError, ThemeChoice, TuiConfig, default_log_dir};
use crate::controller::{self, ControllerConfig, ControllerError, ControllerHandle};
use crate::domain::{SharedClock, SystemClock};

use super::runtime;
use super::state::{ControllerInfo, Settings, State};

/// How long the embedded controller's writers stay starting or pausing.
pub const DEMO_TRANSITION: Duration = Duration::from_secs(1);

/// Why the console could not start or ended with an error.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("the embedded demo controller could not start: {0}")]
    Controller(#[from] ControllerError),
    #[error(
        "cannot create a temporary dir for the embedded demo controller: {0}; give one with --data-dir"
    )]
    TempDir(std::io::Error),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("terminal error: {0}")]
    Terminal(std::io::Error),
}

impl TuiError {
    /// Exit code: 2 for a problem in what the operator gave (config, token, URL), else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            TuiError::Config(_) | TuiError::Connection(_) | TuiError::Client(_) => 2,
            _ => 1,
        }
    }
}

/// The console's settings from the flags, the config file and `NO_COLOR` (its value).
pub fn settings(args: &TuiArgs, config: &TuiConfig, no_color: Option<&str>) -> Settings {
    let mono = match args.theme.unwrap_or(config.theme) {
        ThemeChoice::Mono => true,
        ThemeChoice::Color => false,
        ThemeChoice::Auto => no_color.is_some_and(|value| !value.is_empty()),
    };
    Settings::from_config(config, mono)
}

/// Runs the console (`jwctl` with no subcommand) until the operator quits. Errors before
/// the terminal is taken over are returned for the caller to print; the terminal is always
/// restored.
pub fn run(cli: &Cli) -> Result<(), TuiError> {
    let config = Config::load(cli.global.config.as_deref())?;
    let zone = cli.global.tz.or_else(|| config.zone()).unwrap_or_default();
    let no_color = std::env::var("NO_COLOR").ok();
    let settings = settings(&cli.tui, &config.tui, no_color.as_deref());
    let connection = configured(&cli.global, &config)?;
    let _log = start_logging(&cli.tui);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(TuiError::Runtime)?;
    runtime.block_on(async move {
        let clock: SharedClock = Arc::new(SystemClock);
        let (url, token, embedded) = match connection {
            Some(connection) => (connection.url, connection.token, None),
            None => {
                let embedded = Embedded::start(&cli.tui, Arc::clone(&clock)).await?;
                (
                    embedded.handle.url(),
                    Some(embedded.token.clone()),
                    Some(embedded),
                )
            }
        };
        let client = Client::new(ClientOptions::new(url.clone(), token));
        let result = match client {
            Ok(client) => {
                let info = ControllerInfo {
                    url,
                    demo: embedded.is_some(),
                };
                let state = State::new(info, settings, zone, clock.now(), (80, 24));
                runtime::run(client, state, clock)
                    .await
                    .map_err(TuiError::Terminal)
            }
            Err(error) => Err(TuiError::Client(error)),
        };
        if let Some(embedded) = embedded {
            embedded.shutdown().await;
        }
        result
    })
}

/// Logs to `$XDG_STATE_HOME/jwctl/jwctl.log` (or the demo data dir, or the temp dir). A log
/// that cannot be opened is reported now, before the terminal is taken over.
fn start_logging(args: &TuiArgs) -> Option<WorkerGuard> {
    let dir: PathBuf = default_log_dir()
        .or_else(|| args.data_dir.clone())
        .unwrap_or_else(std::env::temp_dir);
    match crate::logging::to_file(&dir) {
        Ok((_, guard)) => Some(guard),
        Err(error) => {
            eprintln!(
                "jwctl: cannot write the log in {}: {error}; continuing without a log",
                dir.display()
            );
            None
        }
    }
}

/// The in-process demo controller, with its temporary data dir (removed after shutdown).
struct Embedded {
    handle: ControllerHandle,
    token: String,
    _temp_dir: Option<tempfile::TempDir>,
}

impl Embedded {
    async fn start(args: &TuiArgs, clock: SharedClock) -> Result<Self, TuiError> {
        let (data_dir, temp_dir) = match &args.data_dir {
            Some(dir) => (dir.clone(), None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("jwctl-demo-")
                    .tempdir()
                    .map_err(TuiError::TempDir)?;
                (temp.path().to_path_buf(), Some(temp))
            }
        };
        let token = controller::resolve_token(&data_dir, None)?.token;
        let handle = controller::start(ControllerConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            data_dir,
            token: token.clone(),
            demo_fleet: Some(args.demo_fleet),
            regions: args.regions,
            transition: DEMO_TRANSITION,
            clock,
        })
        .await?;
        tracing::info!(url = %handle.url(), "embedded demo controller started");
        Ok(Embedded {
            handle,
            token,
            _temp_dir: temp_dir,
        })
    }

    async fn shutdown(self) {
        self.handle.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(theme: Option<ThemeChoice>) -> TuiArgs {
        TuiArgs {
            demo_fleet: 10,
            regions: 3,
            data_dir: None,
            theme,
        }
    }

    #[test]
    fn no_color_makes_auto_mono_but_an_explicit_theme_wins() {
        let config = TuiConfig::default();
        assert!(settings(&args(None), &config, Some("1")).mono);
        assert!(!settings(&args(None), &config, Some("")).mono);
        assert!(!settings(&args(None), &config, None).mono);
        assert!(!settings(&args(Some(ThemeChoice::Color)), &config, Some("1")).mono);
        let mono_config = TuiConfig {
            theme: ThemeChoice::Mono,
            ..TuiConfig::default()
        };
        assert!(settings(&args(None), &mono_config, None).mono);
    }

    #[test]
    fn config_values_become_settings() {
        let config = TuiConfig {
            refresh_secs: 0.5,
            latency_warn_secs: 30,
            latency_critical_secs: 120,
            theme: ThemeChoice::Auto,
        };
        let settings = settings(&args(None), &config, None);
        assert_eq!(settings.refresh, Duration::from_millis(500));
        assert_eq!(settings.latency_warn_ms, 30_000);
        assert_eq!(settings.latency_critical_ms, 120_000);
    }
}
