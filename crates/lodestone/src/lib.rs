//! Lodestone: an embedded knowledge-graph database for critical-minerals supply chains.
//!
//! Open a database, run statements in the query language, read typed results:
//!
//! ```
//! use lodestone::{Database, Params, Value};
//!
//! let db = Database::in_memory();
//! db.execute_script(
//!     "CREATE (:Company {name: 'USA Rare Earth'})-[:DEVELOPS]->(:Deposit {name: 'Round Top'});",
//! )?;
//! let out = db.query(
//!     "MATCH (c:Company)-[:DEVELOPS]->(d {name: $site}) RETURN c.name AS developer",
//!     &Params::from([("site".to_string(), Value::from("Round Top"))]),
//! )?;
//! assert_eq!(out.columns, ["developer"]);
//! assert_eq!(out.rows, [[Value::from("USA Rare Earth")]]);
//! # Ok::<(), lodestone::Error>(())
//! ```
//!
//! A [`Database`] is `Send + Sync`: share it between threads behind an `Arc`. Many
//! threads may read at once; writes are serialized, and each statement commits whole
//! or not at all. On disk, a commit returns only after the data is flushed, unless
//! [`Durability::Deferred`] is chosen for a bulk load.

mod json;
pub mod literal;
pub mod spark;

/// A measured amount with a unit, part of the public value model.
pub use lodestone_model::Quantity;
/// The key under which names and aliases are looked up.
pub use lodestone_model::normalize_name;

pub use json::{output_to_json, value_to_json};
pub use lodestone_model::{
    Citation, Decimal, Direction, EdgeId, EdgeRecord, EdgeValue, Family, Money, NodeId, NodeRecord, NodeValue,
    PartialDate, PathValue, Props, Schema, Value, ValueKind,
};
pub use lodestone_query::{CancelToken, Counters, ExecOptions, Limits, Output, Params, QueryError};
pub use lodestone_store::{
    CheckReport, Durability, GraphRead, GraphWrite, Stats, Storage, StoreError, StoreInfo, WriteTxn,
};

use lodestone_query::ast::{Span, Statement};
use lodestone_store::{MemStore, SledStore};
use std::path::Path;
use std::sync::{Arc, Mutex};
use thiserror::Error;

/// Errors from the library.
#[derive(Debug, Error)]
pub enum Error {
    /// A statement failed to parse, plan or run; nothing of it was applied.
    #[error("{error}")]
    Query {
        /// The failure (boxed: errors are rare and results stay small).
        error: Box<QueryError>,
        /// The text the error's span points into.
        text: String,
        /// 1-based number of the failing statement in its script.
        statement: usize,
        /// How many statements before it committed.
        committed: usize,
    },
    /// Opening, reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    /// The message with line, column and a caret under the offending text, when known.
    pub fn render(&self) -> String {
        match self {
            Error::Query { error, text, .. } => error.render(text),
            Error::Store(e) => e.to_string(),
        }
    }

    /// The query error, if this is one.
    pub fn query_error(&self) -> Option<&QueryError> {
        match self {
            Error::Query { error, .. } => Some(error.as_ref()),
            Error::Store(_) => None,
        }
    }
}

/// Result of a library call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How many parsed statements a database keeps for reuse.
const STATEMENT_CACHE_SIZE: usize = 64;
/// Longest statement text (bytes) worth keeping parsed.
const STATEMENT_CACHE_MAX_TEXT: usize = 16 * 1024;

/// A small least-recently-used cache of parsed statements keyed by their text.
///
/// Parsing depends on the text alone (parameters are bound when the statement is
/// compiled), so a statement parsed once can be run again with other parameters.
#[derive(Default)]
struct StatementCache {
    /// Entries with the tick of their last use.
    entries: Vec<(Arc<str>, Arc<Statement>, u64)>,
    tick: u64,
}

impl StatementCache {
    fn get(&mut self, text: &str) -> Option<Arc<Statement>> {
        self.tick += 1;
        let tick = self.tick;
        let entry = self.entries.iter_mut().find(|(t, _, _)| &**t == text)?;
        entry.2 = tick;
        Some(entry.1.clone())
    }

    fn put(&mut self, text: &str, statement: Arc<Statement>) {
        self.tick += 1;
        if self.entries.len() >= STATEMENT_CACHE_SIZE
            && let Some(oldest) = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, (_, _, used))| *used)
                .map(|(i, _)| i)
        {
            self.entries.swap_remove(oldest);
        }
        self.entries.push((Arc::from(text), statement, self.tick));
    }
}

/// An open database: on disk (sled) or in memory.
#[derive(Clone)]
pub struct Database {
    store: Arc<dyn Storage>,
    statements: Arc<Mutex<StatementCache>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("info", &self.store.info().ok())
            .finish()
    }
}

impl Database {
    /// Opens the database at `path`, creating it when missing.
    ///
    /// Fails with [`StoreError::Locked`] when another process has it open.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Ok(Database {
            store: Arc::new(SledStore::open(path.as_ref())?),
            statements: Arc::default(),
        })
    }

    /// Opens and closes the database at `path` once. The storage engine folds the log
    /// written since its last snapshot into a new snapshot when it opens, so after a
    /// bulk load this moves that replay into the load instead of the next open.
    pub fn settle(path: impl AsRef<Path>) -> Result<()> {
        drop(Database::open(path)?);
        Ok(())
    }

    /// Opens an existing database for reading only; writes fail with [`StoreError::ReadOnly`].
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Database> {
        Ok(Database {
            store: Arc::new(SledStore::open_read_only(path.as_ref())?),
            statements: Arc::default(),
        })
    }

    /// A new empty database that lives in memory only.
    pub fn in_memory() -> Database {
        Database {
            store: Arc::new(MemStore::new()),
            statements: Arc::default(),
        }
    }

    /// Wraps any storage implementation (for tests and custom backends).
    pub fn from_storage(store: Arc<dyn Storage>) -> Database {
        Database {
            store,
            statements: Arc::default(),
        }
    }

    /// The storage behind this database.
    pub fn storage(&self) -> &dyn Storage {
        self.store.as_ref()
    }

    /// Runs one statement with parameters and default limits.
    pub fn query(&self, text: &str, params: &Params) -> Result<Output> {
        let options = ExecOptions {
            params: params.clone(),
            ..ExecOptions::default()
        };
        self.query_with(text, &options)
    }

    /// Runs one statement with explicit options (parameters, limits, cancellation).
    pub fn query_with(&self, text: &str, options: &ExecOptions) -> Result<Output> {
        let fail = |error| Error::Query {
            error: Box::new(error),
            text: text.to_string(),
            statement: 1,
            committed: 0,
        };
        let started = std::time::Instant::now();
        let statement = self.parsed(text).map_err(fail)?;
        let parse_time = started.elapsed();
        let mut out = lodestone_query::run(self.store.as_ref(), &statement, options).map_err(fail)?;
        out.compile_time += parse_time;
        Ok(out)
    }

    /// The parsed statement for `text`, from the cache when it was parsed before.
    fn parsed(&self, text: &str) -> std::result::Result<Arc<Statement>, QueryError> {
        // A poisoned lock only means another thread panicked mid-update; the cache
        // holds no invariant beyond its entries, so it is used as is.
        if let Some(hit) = self.statements.lock().unwrap_or_else(|e| e.into_inner()).get(text) {
            return Ok(hit);
        }
        let statement = Arc::new(lodestone_query::parse::parse_statement(text)?);
        if text.len() <= STATEMENT_CACHE_MAX_TEXT {
            self.statements
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .put(text, statement.clone());
        }
        Ok(statement)
    }

    /// Runs every statement of a script in order, each in its own transaction, and
    /// stops at the first failure (the statements before it stay committed).
    pub fn execute_script(&self, text: &str) -> Result<Vec<Output>> {
        self.execute_script_with(text, &ExecOptions::default())
    }

    /// [`Database::execute_script`] with explicit options.
    pub fn execute_script_with(&self, text: &str, options: &ExecOptions) -> Result<Vec<Output>> {
        let mut outputs = Vec::new();
        self.run_script(text, options, |_, result| {
            outputs.push(result?);
            Ok(())
        })?;
        Ok(outputs)
    }

    /// Runs a script and hands each statement's span and result to `each` as it
    /// completes; `each` decides whether to go on (return `Ok`) or stop (return the error).
    pub fn run_script(
        &self,
        text: &str,
        options: &ExecOptions,
        mut each: impl FnMut(Span, Result<Output>) -> Result<()>,
    ) -> Result<()> {
        let statements = lodestone_query::parse::parse_script(text).map_err(|error| Error::Query {
            error: Box::new(error),
            text: text.to_string(),
            statement: 1,
            committed: 0,
        })?;
        let mut committed = 0;
        for (index, (statement, span)) in statements.iter().enumerate() {
            let result = lodestone_query::run(self.store.as_ref(), statement, options).map_err(|error| Error::Query {
                error: Box::new(error),
                text: text.to_string(),
                statement: index + 1,
                committed,
            });
            let ok = result.is_ok();
            each(*span, result)?;
            if ok {
                committed += 1;
            }
        }
        Ok(())
    }

    /// A consistent read-only view of the last committed state, for typed access.
    pub fn read(&self) -> Result<Box<dyn GraphRead + '_>> {
        Ok(self.store.read()?)
    }

    /// Runs `f` in one write transaction: committed when it returns `Ok`, rolled back
    /// when it returns `Err`.
    pub fn write<T>(&self, f: impl FnOnce(&mut dyn WriteTxn) -> Result<T>) -> Result<T> {
        let mut txn = self.store.write()?;
        match f(txn.as_mut()) {
            Ok(value) => {
                txn.commit()?;
                Ok(value)
            }
            Err(e) => {
                txn.rollback();
                Err(e)
            }
        }
    }

    /// Counts of nodes and edges per label and type.
    pub fn stats(&self) -> Result<Stats> {
        Ok(self.store.read()?.stats()?)
    }

    /// Path, format version, size on disk.
    pub fn info(&self) -> Result<StoreInfo> {
        Ok(self.store.info()?)
    }

    /// Checks every index against the records.
    pub fn check(&self) -> Result<CheckReport> {
        Ok(self.store.check()?)
    }

    /// Sets when commits reach the disk.
    pub fn set_durability(&self, durability: Durability) {
        self.store.set_durability(durability);
    }

    /// Writes every committed change to disk.
    pub fn flush(&self) -> Result<()> {
        Ok(self.store.flush()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn database_is_send_and_sync() {
        assert_send_sync::<Database>();
    }

    #[test]
    fn a_cached_statement_binds_new_parameters() {
        let db = Database::in_memory();
        db.execute_script("CREATE (:Company {name: 'A'}), (:Company {name: 'B'});")
            .unwrap();
        let text = "MATCH (c:Company {name: $n}) RETURN c.name AS name";
        for name in ["A", "B", "A", "C"] {
            let params = Params::from([("n".to_string(), Value::from(name))]);
            let out = db.query(text, &params).unwrap();
            let want: Vec<Vec<Value>> = if name == "C" {
                vec![]
            } else {
                vec![vec![Value::from(name)]]
            };
            assert_eq!(out.rows, want, "parameter {name}");
        }
        // A cached statement still sees writes made after it was first parsed.
        db.query("CREATE (:Company {name: 'C'})", &Params::new()).unwrap();
        let params = Params::from([("n".to_string(), Value::from("C"))]);
        assert_eq!(db.query(text, &params).unwrap().rows, [[Value::from("C")]]);
    }

    #[test]
    fn the_statement_cache_stays_bounded_and_keeps_recent_entries() {
        let mut cache = StatementCache::default();
        let statement = Arc::new(lodestone_query::parse::parse_statement("RETURN 1").unwrap());
        cache.put("keep", statement.clone());
        for i in 0..STATEMENT_CACHE_SIZE * 2 {
            assert!(cache.get("keep").is_some(), "entry used before insert {i} was evicted");
            cache.put(&format!("RETURN {i}"), statement.clone());
            assert!(cache.entries.len() <= STATEMENT_CACHE_SIZE);
        }
        assert!(cache.get("RETURN 0").is_none());
        assert!(cache.get(&format!("RETURN {}", STATEMENT_CACHE_SIZE * 2 - 1)).is_some());
    }

    #[test]
    fn a_syntax_error_is_reported_every_time() {
        let db = Database::in_memory();
        for _ in 0..2 {
            let err = db.query("MATCH (n RETURN n", &Params::new()).unwrap_err();
            assert!(err.query_error().is_some());
        }
    }

    #[test]
    fn settling_keeps_the_data_and_needs_the_database_closed() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("g.db");
        {
            let db = Database::open(&path).unwrap();
            for i in 0..200 {
                db.query(&format!("CREATE (:Company {{name: 'C{i}'}})"), &Params::new())
                    .unwrap();
            }
            assert!(Database::settle(&path).is_err(), "an open database is locked");
        }
        let snapshots = || {
            std::fs::read_dir(path.join("sled"))
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.starts_with("snap."))
                .collect::<Vec<_>>()
        };
        let before = snapshots();
        Database::settle(&path).unwrap();
        let after = snapshots();
        assert!(
            !after.is_empty() && after != before,
            "the storage engine wrote a new snapshot of its log: {before:?} -> {after:?}"
        );
        let db = Database::open(&path).unwrap();
        let out = db
            .query("MATCH (c:Company) RETURN count(c) AS n", &Params::new())
            .unwrap();
        assert_eq!(out.rows[0][0], Value::Int(200));
    }
}
