//! Errors of the scripting commands and the exit code each one ends the process with.

use std::process::ExitCode;

use crate::cli::connection::ConnectionError;
use crate::client::ClientError;
use crate::config::ConfigError;
use crate::domain::TimestampError;

/// Exit code when the operation was refused or failed (controller error, unreachable
/// controller, declined confirmation, a refusal by the start/pause rules, a selection that
/// matches no writer, any writer of a batch refused or failed).
pub const EXIT_FAILED: u8 = 1;
/// Exit code of a usage error (bad timestamp, unknown or ambiguous writer, missing `--yes`,
/// bad config, WRITERs mixed with filters, read-only mode).
pub const EXIT_USAGE: u8 = 2;

/// Why a scripting command did not succeed. The message says what was wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CliError {
    /// The command line, the config or the input was wrong; nothing was sent.
    #[error("{0}")]
    Usage(String),
    /// The controller refused or could not be asked, or the operator declined.
    #[error("{0}")]
    Failed(String),
    /// A batch ran, and some of its writers were refused or failed; the result table told
    /// which, and the message is the summary line.
    #[error("{0}")]
    Incomplete(String),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Failed(_) | CliError::Incomplete(_) => EXIT_FAILED,
        })
    }
}

impl From<ClientError> for CliError {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::InvalidUrl { .. } | ClientError::BadCaCert { .. } => {
                CliError::Usage(error.to_string())
            }
            other => CliError::Failed(other.to_string()),
        }
    }
}

impl From<ConfigError> for CliError {
    fn from(error: ConfigError) -> Self {
        CliError::Usage(error.to_string())
    }
}

impl From<ConnectionError> for CliError {
    fn from(error: ConnectionError) -> Self {
        CliError::Usage(error.to_string())
    }
}

impl From<TimestampError> for CliError {
    fn from(error: TimestampError) -> Self {
        CliError::Usage(format!("--replay-from: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controller_errors_fail_and_bad_urls_are_usage_errors() {
        let api = ClientError::Api {
            status: 422,
            code: "replay_out_of_range".into(),
            message: "out of range".into(),
            current: None,
        };
        assert_eq!(CliError::from(api), CliError::Failed("out of range".into()));
        let url = ClientError::InvalidUrl {
            url: "x".into(),
            reason: "relative URL without a base".into(),
        };
        assert!(matches!(CliError::from(url), CliError::Usage(_)));
        assert_eq!(
            CliError::Usage(String::new()).exit_code(),
            ExitCode::from(EXIT_USAGE)
        );
    }
}
