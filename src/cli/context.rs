//! What every scripting command needs: a client for the configured controller and the zone
//! wall times are read and shown in.

use crate::cli::args::ClientArgs;
use crate::cli::connection::resolve;
use crate::cli::error::CliError;
use crate::client::{Client, ClientError, ClientOptions};
use crate::config::Config;
use crate::domain::Zone;

/// The controller connection and display settings of one command. (No `Debug`: the client's
/// options hold the token.)
pub struct Context {
    /// Client of the configured controller.
    pub client: Client,
    /// Zone for wall times: `--tz`, else the config's `tz`, else local.
    pub zone: Zone,
    has_token: bool,
}

impl Context {
    /// Reads the config file and resolves controller, token and zone. Every problem here is a
    /// usage error: nothing has been sent yet.
    pub fn load(args: &ClientArgs, tz: Option<Zone>) -> Result<Context, CliError> {
        let config = Config::load(args.config.as_deref())?;
        let connection = resolve(args, &config)?;
        let zone = tz.or_else(|| config.zone()).unwrap_or_default();
        let has_token = connection.token.is_some();
        let client = Client::new(ClientOptions::new(connection.url, connection.token))?;
        Ok(Context {
            client,
            zone,
            has_token,
        })
    }

    /// Turns a client error into a CLI error, explaining a refused token.
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
            _ => CliError::from(error),
        }
    }
}
