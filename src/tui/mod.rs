//! The terminal console: Elm-shaped. `state` is plain data, `update` turns actions into state
//! changes and effects without I/O, the runtime performs effects and feeds results back as
//! actions, and `view` only draws.

pub mod action;
pub mod app;
pub mod dialogs;
pub mod effect;
pub mod keys;
pub mod layout;
pub mod quiet_backend;
pub mod runtime;
pub mod start_check;
pub mod state;
pub mod table;
pub mod text_input;
pub mod theme;
pub mod update;
pub mod view;
