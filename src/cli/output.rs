//! Writing results: stdout for what scripts read, stderr for everything meant for people.

use std::io::{IsTerminal, Write};

use crate::cli::error::CliError;

/// Writes `text` to stdout. A closed pipe (`jwctl list | head`) is not an error.
pub fn stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::Failed(format!("cannot write to stdout: {e}"))),
    }
}

/// Writes one line to stderr; a failure to do so is ignored (there is nowhere left to say it).
pub fn stderr(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Whether stdout is a terminal that should get colour (`NO_COLOR` turns it off).
pub fn stdout_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
