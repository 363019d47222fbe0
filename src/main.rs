//! The `jwctl` binary.

use clap::Parser;

fn main() {
    let _cli = jwctl::cli::args::Cli::parse();
}
