//! A client for a real OceanBase Migration Service (OMS) and the mapping of its data to jwctl's
//! domain: the groundwork of an OMS backend for the controller.
//!
//! Wire formats follow OMS's public documentation (page ids in each module); where the docs
//! are silent a doc comment says so.

pub mod client;
pub mod config;
pub mod mapping;
pub mod poll;
pub mod wire;

pub use client::{OmsClient, OmsError, ProjectPage};
pub use config::{OmsConfig, PasswordError, Secret, read_password_file};
pub use mapping::{MappedWriter, OmsStatus, map_status, subtask_name, writers_of};
pub use poll::{PollResult, poll_fleet};
