//! The command line (clap derive). Each command takes only the options it uses: the console's
//! own options, `serve`'s, and the connection, zone, theme and selection options shared by
//! `list`, `start` and `pause`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::api::Role;
use crate::config::ThemeChoice;
use crate::domain::{STATUS_WORDS, StatusSet, Zone};

const EXAMPLES: &str = "\
Examples:
  jwctl                                        the console (the embedded demo when no controller answers)
  jwctl --controller http://10.0.0.5:7465      the console against a controller
  jwctl serve --demo-fleet 300                 a controller with a demo fleet on 127.0.0.1:7465
  jwctl list --region cn-hangzhou --status failed,stopped
  jwctl pause np_98if0ch6-incr_trans-1-0
  jwctl pause --region cn-hangzhou --status running --search orders --yes
  jwctl start np_98if0ch6-incr_trans-2-0 --replay-from -2h
  jwctl start --region cn-hangzhou --status stopped --yes";

/// jwctl: find, pause and start the JDBCWriters of OceanBase Migration Service.
///
/// With no subcommand, opens the terminal console on the configured controller, else on
/// `jwctl serve` at http://127.0.0.1:7465 when it answers, else on an embedded demo
/// controller so the console works on a fresh machine.
#[derive(Debug, Parser)]
#[command(
    name = "jwctl",
    version,
    about,
    long_about,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(flatten)]
    pub console: ConsoleArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Which controller to talk to, with which token, and the config file naming them.
#[derive(Debug, Clone, Default, Args)]
pub struct ClientArgs {
    /// Controller URL (default: the config's, else http://127.0.0.1:7465).
    #[arg(long, env = "JWCTL_CONTROLLER", value_name = "URL")]
    pub controller: Option<String>,
    /// Bearer token for the controller.
    #[arg(
        long,
        env = "JWCTL_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: Option<String>,
    /// File holding the bearer token.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// PEM certificate of the CA that signed an https:// controller's certificate (when the
    /// system does not trust it).
    #[arg(long, value_name = "PATH")]
    pub ca_cert: Option<PathBuf>,
    /// Config file (default: $XDG_CONFIG_HOME/jwctl/config.toml).
    #[arg(long, env = "JWCTL_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
}

/// The time zone wall times are read and shown in.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct ZoneArg {
    /// Time zone for wall times: local, UTC, +08:00, Asia/Shanghai (default: the config's
    /// tz, else local).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<Zone>,
}

/// Colour in what is printed.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct ThemeArg {
    /// Colour theme: auto (colour when stdout is a terminal and NO_COLOR is unset), color
    /// (always, even with NO_COLOR), mono (never). Default: the config's [tui] theme, else
    /// auto.
    #[arg(long, value_enum, value_name = "THEME")]
    pub theme: Option<ThemeChoice>,
}

/// Refuse every mutation.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct ReadOnlyArg {
    /// Offer and send no start or pause (also `read_only = true` in the config).
    #[arg(long)]
    pub read_only: bool,
}

/// The console (no subcommand).
#[derive(Debug, Clone, Default, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub zone: ZoneArg,
    #[command(flatten)]
    pub theme: ThemeArg,
    #[command(flatten)]
    pub read_only: ReadOnlyArg,
    /// Start clean: do not restore the last regions, status filter, sort and search.
    #[arg(long)]
    pub fresh: bool,
    /// Use the embedded demo controller even when a controller is named or answers.
    #[arg(long)]
    pub demo: bool,
    /// Writers in the embedded demo controller's fleet.
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub demo_fleet: usize,
    /// Regions of the embedded demo controller (1: single-region deployment).
    #[arg(long, value_name = "K", default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=26))]
    pub regions: u8,
    /// Data dir of the embedded demo controller (default: a temporary dir).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Run the controller: the HTTP/JSON service that owns the writers.
    Serve(ServeArgs),
    /// List writers.
    List(ListArgs),
    /// Start stopped or failed writers, optionally replaying data from a timestamp.
    ///
    /// Name the writers (ids or unique names), or select them with --region, --status and
    /// --search as `jwctl list` does. One WRITER prints one line; several writers or a
    /// selection print a table (NAME, RESULT, STATUS, DETAIL) and a summary on stderr.
    /// Nothing the start rules refuse is sent. Exit status: 0 done (no-ops included), 1 any
    /// writer refused or failed, or a selection that matches nothing, 2 usage error.
    Start(StartArgs),
    /// Pause running writers; their checkpoints are kept.
    ///
    /// Name the writers (ids or unique names), or select them with --region, --status and
    /// --search as `jwctl list` does. One WRITER prints one line; several writers or a
    /// selection print a table (NAME, RESULT, STATUS, DETAIL) and a summary on stderr.
    /// Exit status: 0 done (no-ops included), 1 any writer failed, or a selection that
    /// matches nothing, 2 usage error.
    Pause(PauseArgs),
    /// Who started or paused which writer, when, and how it ended: the controller's audit
    /// log, newest first, across writers or for one (--writer), by identity (--actor), from a
    /// time on (--since).
    Audit(AuditArgs),
    /// The fleet's health: per region, writers by status and running writers by latency
    /// (under 1 s, 1–10 s, 10–60 s, 60 s and more).
    Health(HealthArgs),
    /// Manage the identities of a tokens file (`jwctl serve --tokens-file`).
    ///
    /// The file holds each identity's name, role and the SHA-256 of its token, never the
    /// token: `add` prints the new token once, alone on stdout. A running controller picks
    /// up an addition or a revocation within seconds.
    Token(TokenArgs),
}

/// `jwctl audit`.
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub zone: ZoneArg,
    #[command(flatten)]
    pub theme: ThemeArg,
    /// Only this writer's entries (its id or unique name).
    #[arg(long, value_name = "WRITER")]
    pub writer: Option<String>,
    /// Only the entries of this identity (as `jwctl token list` names it).
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// Only entries at or after this time: RFC 3339, a wall time in --tz, or relative (-2h).
    #[arg(long, value_name = "TS")]
    pub since: Option<String>,
    /// At most this many entries, the newest (0 to 500).
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u32).range(0..=500))]
    pub limit: u32,
    /// Output format. table: aligned columns on stdout, a count on stderr. json: stdout is
    /// one JSON document shaped like GET /v1/audit, {"entries":[…]}.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// `jwctl health`.
#[derive(Debug, Clone, Args)]
pub struct HealthArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub theme: ThemeArg,
    /// Output format. table: a line per region on stdout. json: stdout is one JSON document
    /// shaped like GET /v1/fleet/health, {"regions":[…]}.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// `jwctl token`.
#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The tokens file.
    #[arg(long, env = "JWCTL_TOKENS_FILE", value_name = "PATH", global = true)]
    pub tokens_file: Option<PathBuf>,
    #[command(subcommand)]
    pub action: TokenAction,
}

/// What `jwctl token` does.
#[derive(Debug, Clone, Subcommand)]
pub enum TokenAction {
    /// Add an identity with a new random token, printed once on stdout.
    Add {
        /// Its name, as the audit will record it (letters, digits, '.', '_', '-', '@').
        name: String,
        /// What it may do: viewer (read) or operator (also start and pause).
        #[arg(long, value_parser = PossibleValuesParser::new(["viewer", "operator"]).try_map(|role| role.parse::<Role>()))]
        role: Role,
    },
    /// List the identities: name, role, when added.
    List,
    /// Remove an identity: its token stops working.
    Revoke {
        /// Its name.
        name: String,
    },
}

/// `jwctl serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. Beyond loopback it needs --tls-cert and --tls-key (or
    /// --insecure-listen).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7465")]
    pub listen: SocketAddr,
    /// PEM certificate chain to serve HTTPS with (with --tls-key).
    #[arg(long, value_name = "PATH", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "PATH", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Listen beyond loopback on plain HTTP anyway: tokens and all traffic can then be read
    /// on the network.
    #[arg(long)]
    pub insecure_listen: bool,
    /// Where the SQLite database and the generated token live
    /// (default: $XDG_DATA_HOME/jwctl).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Keep the state in this MySQL-protocol database instead of SQLite in the data dir:
    /// mysql://USER@HOST[:PORT]/DATABASE (OceanBase in MySQL mode, MySQL 8).
    #[arg(long, value_name = "URL")]
    pub state_url: Option<String>,
    /// File holding the state database's password; refused when group or others may read it.
    #[arg(long, value_name = "PATH")]
    pub state_password_file: Option<PathBuf>,
    /// Connect to the state database over TLS, checking its certificate against this CA
    /// (PEM) and the URL's host.
    #[arg(long, value_name = "PATH")]
    pub state_ca_file: Option<PathBuf>,
    /// Connect to a state database beyond loopback unencrypted anyway: everything sent to it
    /// can then be read on the network.
    #[arg(long)]
    pub state_insecure: bool,
    /// File holding the bearer token the controller requires (default: <data-dir>/token,
    /// generated when missing); it authenticates one operator named `default`.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Accept the identities of this tokens file instead (made with `jwctl token add`), each
    /// with its role; changes to it take effect within seconds, without a restart.
    #[arg(long, value_name = "PATH", conflicts_with = "token_file")]
    pub tokens_file: Option<PathBuf>,
    /// Seed a deterministic demo fleet of N writers when the database is empty.
    #[arg(long, value_name = "N")]
    pub demo_fleet: Option<usize>,
    /// Regions of the demo fleet (1: single-region deployment).
    #[arg(long, value_name = "K", default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=26))]
    pub regions: u8,
    /// How long the transitional states starting and pausing last, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    pub transition_ms: u64,
    /// Who owns the writers: the simulated fleet, or an OMS (with --oms-url, --oms-user,
    /// --oms-password-file and --cm-url, or the [oms] table of the config file).
    #[arg(long, value_enum, default_value_t = BackendChoice::Simulated)]
    pub backend: BackendChoice,
    /// OMS's URL, e.g. http://10.0.0.5:8089.
    #[arg(long, value_name = "URL")]
    pub oms_url: Option<String>,
    /// The OMS user.
    #[arg(long, value_name = "NAME")]
    pub oms_user: Option<String>,
    /// File holding the OMS password; refused when group or others may read it.
    #[arg(long, value_name = "PATH")]
    pub oms_password_file: Option<PathBuf>,
    /// A region's CM, REGION=URL, or URL alone for a single-region deployment (repeat per
    /// region).
    #[arg(long = "cm-url", value_name = "[REGION=]URL")]
    pub cm_urls: Vec<String>,
    /// Seconds between polls of the OMS (default 5).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub oms_poll_secs: Option<u64>,
    /// The zone of OMS's timestamps without a zone (default UTC).
    #[arg(long, value_name = "ZONE")]
    pub oms_tz: Option<Zone>,
    /// Config file with an [oms] table (default: $XDG_CONFIG_HOME/jwctl/config.toml).
    #[arg(long, env = "JWCTL_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
}

/// Who owns the writers behind `jwctl serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendChoice {
    /// The controller's own simulated fleet (a demo with --demo-fleet).
    Simulated,
    /// A real OMS.
    Oms,
}

/// Output format of `jwctl list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

/// The statuses `sets` select together; every status when there are none.
pub fn status_set(sets: &[StatusSet]) -> StatusSet {
    if sets.is_empty() {
        return StatusSet::ALL;
    }
    StatusSet::of(sets.iter().flat_map(|set| set.statuses()))
}

/// One word of `--status`, read as the console's `:status` reads it.
fn status_word() -> impl TypedValueParser<Value = StatusSet> {
    let words = STATUS_WORDS.map(|word| {
        let value = PossibleValue::new(word);
        match word {
            "unknown" => value.help("a status jwctl does not know, as an OMS reports it"),
            "not-running" => value.help("every status but running"),
            "all" => value.help("every status"),
            _ => value,
        }
    });
    PossibleValuesParser::new(words).try_map(|word| word.parse::<StatusSet>())
}

/// Which writers: a region, statuses and a search, as `jwctl list` filters them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct SelectionArgs {
    /// Only writers of this region.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Name or server IP (substring), or migration project name or ID (fuzzy).
    #[arg(long, value_name = "QUERY")]
    pub search: Option<String>,
    /// Only writers in these statuses (comma-separated).
    #[arg(long, value_name = "STATUS", value_delimiter = ',', value_parser = status_word())]
    pub status: Vec<StatusSet>,
}

impl SelectionArgs {
    /// Whether any filter is given.
    pub fn is_given(&self) -> bool {
        self.region.is_some() || self.search.is_some() || !self.status.is_empty()
    }
}

/// `jwctl list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub zone: ZoneArg,
    #[command(flatten)]
    pub theme: ThemeArg,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Output format. table: aligned columns on stdout, a count on stderr. json: stdout is
    /// one JSON document shaped like GET /v1/writers, {"revision":N,"writers":[…]}, with only
    /// the selected writers.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
}

/// `jwctl start`.
#[derive(Debug, Clone, Args)]
pub struct StartArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub zone: ZoneArg,
    #[command(flatten)]
    pub theme: ThemeArg,
    #[command(flatten)]
    pub read_only: ReadOnlyArg,
    /// Writer ids or unique names (or select writers with --region, --status, --search).
    #[arg(value_name = "WRITER")]
    pub writers: Vec<String>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Replay data from this timestamp: 'YYYY-MM-DD HH:MM:SS', RFC 3339, epoch seconds, -2h,
    /// '30m ago'. A timestamp after a writer's checkpoint skips the change data in between
    /// for good: jwctl says how much and asks a second time.
    #[arg(long, value_name = "TS", allow_hyphen_values = true)]
    pub replay_from: Option<String>,
    /// Answer every confirmation with yes (required when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// `jwctl pause`.
#[derive(Debug, Clone, Args)]
pub struct PauseArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    #[command(flatten)]
    pub theme: ThemeArg,
    #[command(flatten)]
    pub read_only: ReadOnlyArg,
    /// Writer ids or unique names (or select writers with --region, --status, --search).
    #[arg(value_name = "WRITER")]
    pub writers: Vec<String>,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Answer the confirmation with yes (required when stdin is not a terminal).
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
        assert_eq!(start.writers, ["w1"]);
        assert!(start.yes);
    }

    #[test]
    fn each_command_takes_only_its_options() {
        for args in [
            &["jwctl", "serve", "--controller", "http://x:1"][..],
            &["jwctl", "pause", "w", "--tz", "UTC"],
            &["jwctl", "serve", "--tz", "UTC"],
            &["jwctl", "list", "--demo"],
            &["jwctl", "--controller", "http://x:1", "list"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }

    #[test]
    fn status_words_combine() {
        use crate::domain::WriterStatus;

        let cli = Cli::try_parse_from(["jwctl", "list", "--status", "stopped,failed"]);
        let Ok(Cli {
            command: Some(Command::List(list)),
            ..
        }) = cli
        else {
            panic!("{cli:?}");
        };
        assert_eq!(
            status_set(&list.selection.status),
            StatusSet::of([WriterStatus::Stopped, WriterStatus::Failed])
        );
        assert_eq!(status_set(&[]), StatusSet::ALL);
        // Every word of the console's `:status`, `unknown` (an OMS's) included.
        let cli = Cli::try_parse_from(["jwctl", "list", "--status", "unknown,failed"]);
        let Ok(Cli {
            command: Some(Command::List(list)),
            ..
        }) = cli
        else {
            panic!("{cli:?}");
        };
        assert_eq!(
            status_set(&list.selection.status),
            StatusSet::of([WriterStatus::Unknown, WriterStatus::Failed])
        );
        assert_eq!(
            status_set(&[StatusSet::NOT_RUNNING]),
            StatusSet::NOT_RUNNING
        );
    }
}
