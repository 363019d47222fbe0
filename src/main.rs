//! The `jwctl` binary.

use std::process::ExitCode;

use clap::Parser;
use jwctl::cli::Script;
use jwctl::cli::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::List(args)) => jwctl::cli::run(Script::List(args), &cli.global),
        Some(Command::Start(args)) => jwctl::cli::run(Script::Start(args), &cli.global),
        Some(Command::Pause(args)) => jwctl::cli::run(Script::Pause(args), &cli.global),
        Some(Command::Serve(_)) | None => ExitCode::SUCCESS,
    }
}
