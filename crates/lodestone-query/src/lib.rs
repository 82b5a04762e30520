//! The Lodestone query language: grammar binding, parser, planner and executor.
//!
//! Pipeline: [`parse`] text → [`ast`] → `plan` (logical plan) → `execute` (streams rows
//! against a [`lodestone_store::GraphRead`] / [`lodestone_store::WriteTxn`]). The
//! engine never names a storage backend: it sees only the storage traits.

pub mod ast;
pub mod error;
pub mod parse;

pub use error::{QueryError, QueryResult, line_col};
