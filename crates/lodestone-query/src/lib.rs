//! The Lodestone query language: grammar binding, parser, planner and executor.
//!
//! Pipeline: [`parse`] text → [`ast`] → `plan` (logical plan) → `execute` (streams rows
//! against the storage traits). The engine never names a storage backend: it sees
//! only [`lodestone_store::Storage`], [`lodestone_store::GraphRead`] and
//! [`lodestone_store::WriteTxn`].

pub mod api;
pub mod ast;
pub mod error;
pub mod parse;

pub use api::{CancelToken, Counters, ExecOptions, Limits, Output, Params};
pub use error::{QueryError, QueryResult, line_col};

use lodestone_store::Storage;

/// Runs one parsed statement against a store: reads on a snapshot, writes in one
/// transaction that commits whole or not at all.
pub fn run(storage: &dyn Storage, statement: &ast::Statement, options: &ExecOptions) -> QueryResult<Output> {
    let _ = (storage, statement, options);
    Err(QueryError::Unsupported {
        what: "statement execution".into(),
        span: None,
    })
}
