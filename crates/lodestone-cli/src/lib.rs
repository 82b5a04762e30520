//! The `lode` command line: the shell, scripts, import, export and pictures.
//!
//! The binary is a thin wrapper over [`app::main_with`]; the modules are public so
//! that tests can reach the pieces (formats, import parsing, statement splitting).

pub mod app;
pub mod cli;
pub mod export;
pub mod format;
pub mod home;
pub mod import;
pub mod repl;
pub mod report;
pub mod script;
pub mod spark;
pub mod split;
pub mod style;
pub mod viz;
