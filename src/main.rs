//! The `jwctl` binary.

use std::process::ExitCode;

use clap::Parser;
use jwctl::cli::Script;
use jwctl::cli::args::{Cli, Command, ServeArgs};

fn main() -> ExitCode {
    jwctl::resources::one_arena_per_core();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Serve(ref args)) => serve(args),
        Some(Command::List(args)) => jwctl::cli::run(Script::List(args)),
        Some(Command::Start(args)) => jwctl::cli::run(Script::Start(args)),
        Some(Command::Pause(args)) => jwctl::cli::run(Script::Pause(args)),
        Some(Command::Audit(args)) => jwctl::cli::run(Script::Audit(args)),
        Some(Command::Health(args)) => jwctl::cli::run(Script::Health(args)),
        Some(Command::Token(args)) => jwctl::cli::token::run(&args),
        None => tui(&cli),
    }
}

fn tui(cli: &Cli) -> ExitCode {
    match jwctl::tui::app::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jwctl: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn serve(args: &ServeArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("jwctl serve: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(jwctl::controller::serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jwctl serve: {e}");
            ExitCode::FAILURE
        }
    }
}
