//! tracing setup: the controller logs to stderr, the TUI to a file (never the screen).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use tracing::level_filters::LevelFilter;
use tracing_appender::non_blocking::WorkerGuard;

/// Environment variable with the log level (`error`, `warn`, `info`, `debug`, `trace`).
pub const LOG_ENV: &str = "JWCTL_LOG";

fn level(default: LevelFilter) -> LevelFilter {
    std::env::var(LOG_ENV)
        .ok()
        .and_then(|value| LevelFilter::from_str(value.trim()).ok())
        .unwrap_or(default)
}

/// Logs to stderr at `default` level (or `JWCTL_LOG`), with colours only when stderr is a
/// terminal. Does nothing if a subscriber is set.
pub fn to_stderr(default: LevelFilter) {
    let _ = tracing_subscriber::fmt()
        .with_max_level(level(default))
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// Logs to `dir/jwctl.log`; keep the guard alive until exit so the last lines are written.
pub fn to_file(dir: &Path) -> std::io::Result<(PathBuf, WorkerGuard)> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("jwctl.log");
    // Open once here so an unwritable location is reported, not silently dropped.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)?;
    let appender = tracing_appender::rolling::never(dir, "jwctl.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let _ = tracing_subscriber::fmt()
        .with_max_level(level(LevelFilter::INFO))
        .with_ansi(false)
        .with_writer(writer)
        .try_init();
    Ok((path, guard))
}
