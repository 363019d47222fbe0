//! `jwctl token add|list|revoke`: the identities of a tokens file, edited in place (no
//! controller is asked; a running one reads the file again within seconds).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::args::{TokenAction, TokenArgs};
use crate::cli::error::CliError;
use crate::cli::output;
use crate::domain::format_utc;
use crate::tokens_file::{self, TokensFileError};

/// Runs `jwctl token …` and returns the exit code: 0 done, 1 the file could not be read or
/// written (or the name is taken or unknown), 2 usage error.
pub fn run(args: &TokenArgs) -> ExitCode {
    match execute(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            output::stderr(&format!("error: {error}"));
            error.exit_code()
        }
    }
}

fn execute(args: &TokenArgs) -> Result<(), CliError> {
    let path: PathBuf = args.tokens_file.clone().ok_or_else(|| {
        CliError::Usage(
            "no tokens file: give --tokens-file PATH (or set JWCTL_TOKENS_FILE), the file \
             `jwctl serve --tokens-file` reads"
                .into(),
        )
    })?;
    match &args.action {
        TokenAction::Add { name, role } => {
            let token = tokens_file::add(&path, name, *role, chrono::Utc::now()).map_err(failed)?;
            output::stdout(&format!("{token}\n"))?;
            output::stderr(&format!(
                "added {name} ({role}) to {}; the token above is shown only this once",
                path.display()
            ));
            Ok(())
        }
        TokenAction::List => {
            let identities = tokens_file::load(&path).map_err(failed)?;
            let width = identities
                .iter()
                .map(|i| i.name.chars().count())
                .max()
                .unwrap_or(0)
                .max("NAME".len());
            let mut text = format!("{:<width$}  {:<8}  ADDED (UTC)\n", "NAME", "ROLE");
            for identity in &identities {
                text.push_str(&format!(
                    "{:<width$}  {:<8}  {}\n",
                    identity.name,
                    identity.role.as_str(),
                    format_utc(identity.created)
                ));
            }
            output::stdout(&text)
        }
        TokenAction::Revoke { name } => {
            tokens_file::revoke(&path, name).map_err(failed)?;
            output::stderr(&format!(
                "revoked {name} in {}; a controller reading it refuses its token within seconds",
                path.display()
            ));
            Ok(())
        }
    }
}

fn failed(error: TokensFileError) -> CliError {
    match error {
        TokensFileError::BadName { .. } => CliError::Usage(error.to_string()),
        other => CliError::Failed(other.to_string()),
    }
}
