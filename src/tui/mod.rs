//! The terminal console: Elm-shaped. `state` is plain data, `update` turns actions into state
//! changes and effects without I/O, the runtime performs effects and feeds results back as
//! actions, and `view` only draws. Keys are data (`keymap`): the same tables dispatch keys
//! and generate the help.

pub mod action;
pub mod app;
pub mod backend;
pub mod batch;
pub mod changes;
pub mod clipboard;
pub mod columns;
pub mod command;
pub mod dialogs;
pub mod effect;
pub mod fleet;
pub mod health;
pub mod help;
pub mod keymap;
pub mod layout;
pub mod memory;
pub mod quiet_backend;
pub mod runtime;
pub mod start_check;
pub mod start_form;
pub mod state;
pub mod table;
pub mod text_input;
pub mod theme;
pub mod trend;
pub mod update;
pub mod view;
