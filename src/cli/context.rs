//! What every scripting command needs: a client for the configured controller, the zone
//! wall times are read and shown in, whether stdout gets colour, and whether mutations are
//! allowed.

use std::path::PathBuf;

use crate::cli::args::{ClientArgs, ReadOnlyArg, ThemeArg};
use crate::cli::connection::resolve;
use crate::cli::error::CliError;
use crate::cli::output;
use crate::client::{Client, ClientError, ClientOptions};
use crate::config::{Config, default_config_path};
use crate::domain::{Zone, localize_times};

/// Where read-only mode was turned on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOnly {
    /// `--read-only` on the command line.
    Flag,
    /// `read_only = true` in this config file.
    Config(Option<PathBuf>),
}

/// The controller connection and display settings of one command. (No `Debug`: the client's
/// options hold the token.)
pub struct Context {
    /// Client of the configured controller.
    pub client: Client,
    /// Zone for wall times: `--tz`, else the config's `tz`, else local.
    pub zone: Zone,
    /// Whether stdout gets colour: `--theme`, else the config's `[tui] theme`, by the rule of
    /// [`output::colour`].
    pub colour: bool,
    /// Set when no start or pause may be sent.
    pub read_only: Option<ReadOnly>,
    has_token: bool,
}

impl Context {
    /// Reads the config file and resolves controller, token, zone, theme and read-only mode.
    /// Every problem here is a usage error: nothing has been sent yet.
    pub fn load(
        args: &ClientArgs,
        tz: Option<Zone>,
        theme: ThemeArg,
        read_only: ReadOnlyArg,
    ) -> Result<Context, CliError> {
        let config = Config::load(args.config.as_deref())?;
        let connection = resolve(args, &config)?;
        let zone = tz.or_else(|| config.zone()).unwrap_or_default();
        let has_token = connection.token.is_some();
        let mut options = ClientOptions::new(connection.url, connection.token);
        options.ca_cert = connection.ca_cert;
        let client = Client::new(options)?;
        let read_only = if read_only.read_only {
            Some(ReadOnly::Flag)
        } else if config.read_only {
            Some(ReadOnly::Config(
                args.config.clone().or_else(default_config_path),
            ))
        } else {
            None
        };
        Ok(Context {
            client,
            zone,
            colour: output::stdout_colour(theme.theme.unwrap_or(config.tui.theme)),
            read_only,
            has_token,
        })
    }

    /// Refuses `jwctl <command>` in read-only mode, naming where the mode comes from.
    pub fn check_writable(&self, command: &str) -> Result<(), CliError> {
        let Some(read_only) = &self.read_only else {
            return Ok(());
        };
        Err(CliError::Usage(read_only_message(read_only, command)))
    }

    /// Turns a client error into a CLI error, explaining a refused token; instants in the
    /// controller's messages are shown in the operator's zone.
    pub fn error(&self, error: ClientError) -> CliError {
        match &error {
            ClientError::Api {
                status: 401,
                message,
                ..
            } => {
                let advice = if self.has_token {
                    "check the token given by --token, JWCTL_TOKEN, --token-file or the config file"
                } else {
                    "no token was given: pass --token, set JWCTL_TOKEN, or pass --token-file \
                     (jwctl serve writes one to <data-dir>/token)"
                };
                CliError::Failed(format!(
                    "the controller at {} refused the request as unauthorized ({message}); {advice}",
                    self.client.base_url()
                ))
            }
            ClientError::Api { message, .. } => {
                CliError::Failed(localize_times(message, &self.zone))
            }
            _ => CliError::from(error),
        }
    }
}

/// `read-only is on (--read-only): jwctl start sends nothing; …`.
fn read_only_message(read_only: &ReadOnly, command: &str) -> String {
    match read_only {
        ReadOnly::Flag => format!(
            "read-only is on (--read-only): jwctl {command} sends nothing; run it without \
             --read-only to change writers"
        ),
        ReadOnly::Config(path) => {
            let file = path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "the config file".into());
            format!(
                "read-only is on (read_only = true in {file}): jwctl {command} sends nothing; \
                 remove that setting to change writers"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_says_where_it_comes_from() {
        assert_eq!(
            read_only_message(&ReadOnly::Flag, "pause"),
            "read-only is on (--read-only): jwctl pause sends nothing; run it without \
             --read-only to change writers"
        );
        let config = ReadOnly::Config(Some(PathBuf::from("/etc/jwctl.toml")));
        assert!(
            read_only_message(&config, "start")
                .starts_with("read-only is on (read_only = true in /etc/jwctl.toml): jwctl start")
        );
    }
}
