//! jwctl: a terminal console, scripting CLI and controller for the JDBCWriters of
//! OceanBase Migration Service.

pub mod api;
pub mod cli;
pub mod client;
pub mod config;
pub mod controller;
pub mod domain;
pub mod hex;
pub mod http_errors;
pub mod logging;
pub mod oms;
pub mod resources;
pub mod search;
pub mod tokens_file;
pub mod tui;
