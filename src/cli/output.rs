//! Writing results: stdout for what scripts read, stderr for everything meant for people.

use std::ffi::OsStr;
use std::io::{IsTerminal, Write};

use crate::cli::error::CliError;
use crate::config::ThemeChoice;

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

/// Whether what goes to this process's stdout gets colour under `theme`.
pub fn stdout_colour(theme: ThemeChoice) -> bool {
    colour(
        theme,
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// The theme rule: `color` always colours (even with `NO_COLOR`), `mono` never, `auto` only
/// on a terminal and when `NO_COLOR` is unset or empty.
pub fn colour(theme: ThemeChoice, terminal: bool, no_color: Option<&OsStr>) -> bool {
    match theme {
        ThemeChoice::Color => true,
        ThemeChoice::Mono => false,
        ThemeChoice::Auto => terminal && no_color.is_none_or(OsStr::is_empty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_theme_decides_and_auto_asks_the_terminal_and_no_color() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        for (theme, terminal, no_color, expected) in [
            (ThemeChoice::Color, false, set, true),
            (ThemeChoice::Mono, true, None, false),
            (ThemeChoice::Auto, true, None, true),
            (ThemeChoice::Auto, true, empty, true),
            (ThemeChoice::Auto, true, set, false),
            (ThemeChoice::Auto, false, None, false),
        ] {
            assert_eq!(
                colour(theme, terminal, no_color),
                expected,
                "{theme:?} terminal={terminal} NO_COLOR={no_color:?}"
            );
        }
    }
}
