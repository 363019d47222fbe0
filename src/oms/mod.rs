//! A client for a real OceanBase Migration Service (OMS) and the mapping of its data to jwctl's
//! domain: the groundwork of an OMS backend for the controller.
//!
//! Wire formats follow OMS's public documentation (page ids in each module); where the docs
//! are silent a doc comment says so.

pub mod client;
pub mod config;
pub mod wire;

pub use client::{OmsClient, OmsError, ProjectPage};
pub use config::{OmsConfig, PasswordError, Secret, read_password_file};
