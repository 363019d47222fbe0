//! The non-interactive command line: argument definitions and the `list`, `start` and `pause`
//! commands for scripts.

pub mod args;
pub mod audit;
pub mod batch;
pub mod confirm;
pub mod connection;
pub mod context;
pub mod error;
pub mod health;
pub mod list;
pub mod mutate;
pub mod output;
pub mod plan;
pub mod report;
pub mod resolve;
pub mod suggest;
pub mod table;
pub mod targets;
pub mod token;

use std::process::ExitCode;

use crate::cli::args::{
    AuditArgs, ClientArgs, HealthArgs, ListArgs, PauseArgs, ReadOnlyArg, StartArgs, ThemeArg,
};
use crate::cli::context::Context;
use crate::cli::error::CliError;
use crate::domain::Zone;

/// A scripting command: one request-and-answer exchange with a controller, then exit.
#[derive(Debug, Clone)]
pub enum Script {
    List(ListArgs),
    Start(StartArgs),
    Pause(PauseArgs),
    Audit(AuditArgs),
    Health(HealthArgs),
}

/// Runs `script` on its own tokio runtime and returns the process exit code: 0 done,
/// 1 refused or failed (for a batch: any writer refused or failed), 2 usage error. Errors are
/// printed to stderr.
pub fn run(script: Script) -> ExitCode {
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))
        .and_then(|runtime| runtime.block_on(execute(script)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            match &error {
                CliError::Incomplete(summary) => output::stderr(summary),
                other => output::stderr(&format!("error: {other}")),
            }
            error.exit_code()
        }
    }
}

async fn execute(script: Script) -> Result<(), CliError> {
    match script {
        Script::List(args) => {
            let ctx = reading(&args.client, args.zone.tz, args.theme)?;
            list::run(&ctx, &args).await
        }
        Script::Start(args) => {
            let ctx = Context::load(&args.client, args.zone.tz, args.theme, args.read_only)?;
            mutate::start(&ctx, &args).await
        }
        // `pause` reads no wall times, so it has no --tz: it shows them in the config's zone.
        Script::Pause(args) => {
            let ctx = Context::load(&args.client, None, args.theme, args.read_only)?;
            mutate::pause(&ctx, &args).await
        }
        Script::Audit(args) => {
            let ctx = reading(&args.client, args.zone.tz, args.theme)?;
            audit::run(&ctx, &args).await
        }
        Script::Health(args) => {
            let ctx = reading(&args.client, None, args.theme)?;
            health::run(&ctx, &args).await
        }
    }
}

/// The context of a command that only reads (read-only settings do not concern it).
fn reading(client: &ClientArgs, tz: Option<Zone>, theme: ThemeArg) -> Result<Context, CliError> {
    Context::load(client, tz, theme, ReadOnlyArg::default())
}
