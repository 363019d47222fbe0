//! The command line (clap derive): global connection options, the TUI's options, and the
//! `serve`, `list`, `start` and `pause` subcommands.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::ThemeChoice;
use crate::domain::{WriterStatus, Zone};

/// jwctl: find, pause and start the JDBCWriters of OceanBase Migration Service.
///
/// With no subcommand, opens the terminal console. Without a configured controller it starts
/// an embedded demo controller so the console works on a fresh machine.
#[derive(Debug, Parser)]
#[command(name = "jwctl", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub tui: TuiArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every command understands.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Controller URL (default for list/start/pause: http://127.0.0.1:7465).
    #[arg(long, global = true, env = "JWCTL_CONTROLLER", value_name = "URL")]
    pub controller: Option<String>,
    /// Bearer token for the controller.
    #[arg(
        long,
        global = true,
        env = "JWCTL_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// File holding the bearer token (for `serve`: the token the controller accepts).
    #[arg(long, global = true, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Config file (default: $XDG_CONFIG_HOME/jwctl/config.toml).
    #[arg(long, global = true, env = "JWCTL_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Time zone for wall times: local, UTC, +08:00, Asia/Shanghai.
    #[arg(long, global = true, value_name = "ZONE")]
    pub tz: Option<Zone>,
}

/// Options of the terminal console (no subcommand).
#[derive(Debug, Clone, Args)]
pub struct TuiArgs {
    /// Writers in the embedded demo controller's fleet.
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub demo_fleet: usize,
    /// Regions of the embedded demo controller (1: single-region deployment).
    #[arg(long, value_name = "K", default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=26))]
    pub regions: u8,
    /// Data dir of the embedded demo controller (default: a temporary dir).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Colour theme (overrides the config file).
    #[arg(long, value_enum, value_name = "THEME")]
    pub theme: Option<ThemeChoice>,
}

/// Subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the controller: the HTTP/JSON service that owns the writers.
    Serve(ServeArgs),
    /// List writers.
    List(ListArgs),
    /// Start a stopped or failed writer, optionally replaying data from a timestamp.
    Start(StartArgs),
    /// Pause a running writer; its checkpoint is kept.
    Pause(PauseArgs),
}

/// `jwctl serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. Keep it on loopback unless the network is trusted.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7465")]
    pub listen: SocketAddr,
    /// Where the SQLite database and the generated token live
    /// (default: $XDG_DATA_HOME/jwctl).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Seed a deterministic demo fleet of N writers when the database is empty.
    #[arg(long, value_name = "N")]
    pub demo_fleet: Option<usize>,
    /// Regions of the demo fleet (1: single-region deployment).
    #[arg(long, value_name = "K", default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=26))]
    pub regions: u8,
    /// How long the transitional states starting and pausing last, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub transition_ms: u64,
}

/// Output format of `jwctl list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

/// `jwctl list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only writers of this region.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Name or server IP (substring), or migration project name or ID (fuzzy).
    #[arg(long, value_name = "QUERY")]
    pub search: Option<String>,
    /// Only writers in these statuses (comma-separated).
    #[arg(long, value_name = "STATUS", value_delimiter = ',')]
    pub status: Vec<WriterStatus>,
    /// Output format. table: aligned columns on stdout, a count on stderr. json: stdout is
    /// one JSON document shaped like GET /v1/writers, {"revision":N,"writers":[…]}, with only
    /// the selected writers.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// `jwctl start`.
#[derive(Debug, Clone, Args)]
pub struct StartArgs {
    /// Writer id or unique name.
    pub writer: String,
    /// Replay data from this timestamp: 'YYYY-MM-DD HH:MM:SS', RFC 3339, epoch seconds, -2h,
    /// '30m ago'.
    #[arg(long, value_name = "TS", allow_hyphen_values = true)]
    pub replay_from: Option<String>,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `jwctl pause`.
#[derive(Debug, Clone, Args)]
pub struct PauseArgs {
    /// Writer id or unique name.
    pub writer: String,
    /// Do not ask for confirmation (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn relative_replay_timestamps_are_not_taken_for_flags() {
        let cli = Cli::try_parse_from(["jwctl", "start", "w1", "--replay-from", "-2h", "--yes"]);
        let Ok(Cli {
            command: Some(Command::Start(start)),
            ..
        }) = cli
        else {
            panic!("{cli:?}");
        };
        assert_eq!(start.replay_from.as_deref(), Some("-2h"));
        assert!(start.yes);
    }
}
