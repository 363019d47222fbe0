//! Starting the console: configuration, the controller to talk to (resolved as the CLI does:
//! flag, environment, config, then `jwctl serve` on the default address if it answers, else
//! an embedded demo controller on a loopback port), logging to a file, then the runtime.

use std::io::IsTerminal;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tracing_appender::non_blocking::WorkerGuard;

use crate::cli::args::{Cli, ConsoleArgs};
use crate::cli::connection::{Connection, ConnectionError, resolve};
use crate::client::{Client, ClientError, ClientOptions};
use crate::config::{Config, ConfigError, ThemeChoice, default_log_dir};
use crate::controller::{self, ControllerConfig, ControllerError, ControllerHandle};
use crate::domain::{SharedClock, SystemClock};

use super::memory::{self, ViewMemory};
use super::runtime;
use super::state::{ControllerInfo, Notice, NoticeLevel, Settings, State};

/// How long the embedded controller's writers stay starting or pausing.
pub const DEMO_TRANSITION: Duration = Duration::from_secs(1);
/// How long the console waits for `jwctl serve` on the default address before it starts the
/// embedded demo instead.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);
/// The whole budget of one call of the console to its controller, retries included.
pub const CALL_BUDGET: Duration = Duration::from_secs(10);

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
    #[error(
        "the console needs a terminal, and {0} is not one; for scripts use `jwctl list`, \
         `jwctl start` and `jwctl pause` (see jwctl --help)"
    )]
    NoTerminal(&'static str),
}

impl TuiError {
    /// Exit code: 2 for a problem in what the operator gave (config, token, URL), else 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            TuiError::Config(_)
            | TuiError::Connection(_)
            | TuiError::Client(_)
            | TuiError::NoTerminal(_) => 2,
            _ => 1,
        }
    }
}

/// The console's settings from the flags, the config file and `NO_COLOR` (its value).
pub fn settings(args: &ConsoleArgs, config: &Config, no_color: Option<&str>) -> Settings {
    let mono = match args.theme.theme.unwrap_or(config.tui.theme) {
        ThemeChoice::Mono => true,
        ThemeChoice::Color => false,
        ThemeChoice::Auto => no_color.is_some_and(|value| !value.is_empty()),
    };
    let mut settings = Settings::from_config(&config.tui, mono);
    settings.read_only = args.read_only.read_only || config.read_only;
    settings
}

/// Runs the console (`jwctl` with no subcommand) until the operator quits. Errors before
/// the terminal is taken over are returned for the caller to print; the terminal is always
/// restored.
pub fn run(cli: &Cli) -> Result<(), TuiError> {
    let args = &cli.console;
    if !std::io::stdin().is_terminal() {
        return Err(TuiError::NoTerminal("standard input"));
    }
    if !std::io::stdout().is_terminal() {
        return Err(TuiError::NoTerminal("standard output"));
    }
    let config = Config::load(args.client.config.as_deref())?;
    let zone = args.zone.tz.or_else(|| config.zone()).unwrap_or_default();
    let no_color = std::env::var("NO_COLOR").ok();
    let settings = settings(args, &config, no_color.as_deref());
    if args.theme.theme.unwrap_or(config.tui.theme) == ThemeChoice::Color {
        // An explicit colour theme wins over NO_COLOR, which crossterm honours by itself.
        crossterm::style::force_color_output(true);
    }
    let connection = resolve(&args.client, &config)?;
    let _log = start_logging(args);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(TuiError::Runtime)?;
    runtime.block_on(async move {
        let clock: SharedClock = Arc::new(SystemClock);
        let target = choose_controller(args, connection).await;
        let (url, token, ca_cert, embedded, fallback) = match target {
            Target::Controller(connection) => (
                connection.url,
                connection.token,
                connection.ca_cert,
                None,
                None,
            ),
            Target::Demo { instead_of } => {
                let embedded = Embedded::start(args, Arc::clone(&clock)).await?;
                (
                    embedded.handle.url(),
                    Some(embedded.token.clone()),
                    None,
                    Some(embedded),
                    instead_of,
                )
            }
        };
        let mut options = ClientOptions::new(url.clone(), token);
        options.ca_cert = ca_cert;
        options.request_timeout = CALL_BUDGET;
        let client = Client::new(options);
        let result = match client {
            Ok(client) => {
                let info = ControllerInfo {
                    url,
                    demo: embedded.is_some(),
                    budget: CALL_BUDGET,
                };
                let mut state = State::new(info, settings, zone, clock.now(), (80, 24));
                let memory = default_log_dir().map(|dir| memory::path_in(&dir));
                if let Some(path) = &memory {
                    let key = ViewMemory::of(&state).controller;
                    match memory::load(path, &key) {
                        Some(view) if !args.fresh => view.restore(&mut state),
                        _ => state.history = memory::history(path),
                    }
                }
                if let Some(default) = fallback {
                    state.notice = Some(Notice {
                        text: format!(
                            "No controller answered at {default}: this is the embedded demo \
                             (--controller URL names a controller)"
                        ),
                        level: NoticeLevel::Warning,
                        at: state.now,
                    });
                }
                runtime::run(client, state, clock, memory)
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

/// The controller the console talks to.
enum Target {
    Controller(Connection),
    /// The embedded demo; `instead_of` is the default controller that did not answer.
    Demo {
        instead_of: Option<String>,
    },
}

/// A named controller is used as it is (the banner says so if it does not answer); the
/// default one only if it answers, else the embedded demo. `--demo` forces the demo.
async fn choose_controller(args: &ConsoleArgs, connection: Connection) -> Target {
    if args.demo {
        return Target::Demo { instead_of: None };
    }
    if connection.named || answers(&connection).await {
        return Target::Controller(connection);
    }
    tracing::info!(url = %connection.url, "no controller answered; starting the embedded demo");
    Target::Demo {
        instead_of: Some(connection.url),
    }
}

/// Whether a controller answers its health check at `connection.url` within [`PROBE_TIMEOUT`].
async fn answers(connection: &Connection) -> bool {
    let mut options = ClientOptions::new(connection.url.clone(), None);
    options.ca_cert = connection.ca_cert.clone();
    options.connect_timeout = PROBE_TIMEOUT;
    options.request_timeout = PROBE_TIMEOUT;
    options.get_retries = 0;
    match Client::new(options) {
        Ok(client) => client.health().await.is_ok(),
        Err(_) => false,
    }
}

/// Logs to `$XDG_STATE_HOME/jwctl/jwctl.log` (or the demo data dir, or the temp dir). A log
/// that cannot be opened is reported now, before the terminal is taken over.
fn start_logging(args: &ConsoleArgs) -> Option<WorkerGuard> {
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
    async fn start(args: &ConsoleArgs, clock: SharedClock) -> Result<Self, TuiError> {
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
            access: controller::Access::Token(token.clone()),
            demo_fleet: Some(args.demo_fleet),
            regions: args.regions,
            transition: DEMO_TRANSITION,
            clock,
            oms: None,
            tls: None,
            state: controller::StateLocation::DataDir,
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
    use crate::config::TuiConfig;

    fn args(theme: Option<ThemeChoice>) -> ConsoleArgs {
        let mut args = ConsoleArgs::default();
        args.theme.theme = theme;
        args
    }

    #[test]
    fn no_color_makes_auto_mono_but_an_explicit_theme_wins() {
        let config = Config::default();
        assert!(settings(&args(None), &config, Some("1")).mono);
        assert!(!settings(&args(None), &config, Some("")).mono);
        assert!(!settings(&args(None), &config, None).mono);
        assert!(!settings(&args(Some(ThemeChoice::Color)), &config, Some("1")).mono);
        let mono_config = Config {
            tui: TuiConfig {
                theme: ThemeChoice::Mono,
                ..TuiConfig::default()
            },
            ..Config::default()
        };
        assert!(settings(&args(None), &mono_config, None).mono);
    }

    #[test]
    fn config_values_become_settings() {
        let config = Config {
            read_only: true,
            tui: TuiConfig {
                refresh_secs: 0.5,
                latency_warn_secs: 30,
                latency_critical_secs: 120,
                theme: ThemeChoice::Auto,
            },
            ..Config::default()
        };
        let settings = settings(&args(None), &config, None);
        assert_eq!(settings.refresh, Duration::from_millis(500));
        assert_eq!(settings.latency_warn_ms, 30_000);
        assert_eq!(settings.latency_critical_ms, 120_000);
        assert!(settings.read_only);
    }
}
