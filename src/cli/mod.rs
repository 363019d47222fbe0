//! The non-interactive command line: argument definitions and the `list`, `start` and `pause`
//! commands for scripts.

pub mod args;
pub mod connection;
