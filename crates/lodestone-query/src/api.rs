//! What the engine offers its callers: options, limits, cancellation and output.

use lodestone_model::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Parameters by name (without the `$`).
pub type Params = BTreeMap<String, Value>;

/// Budgets that stop a runaway statement with a clear error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock budget per statement; `None` for no limit.
    pub timeout: Option<Duration>,
    /// Most rows any one operator may produce in a statement; `None` for no limit.
    pub max_rows: Option<u64>,
    /// Upper bound used for variable-length patterns written without one (`*`, `*2..`).
    pub max_hops: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Some(Duration::from_secs(60)),
            max_rows: Some(50_000_000),
            max_hops: 15,
        }
    }
}

/// A flag another thread sets to cancel a running statement.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the statement to stop; it ends with [`crate::QueryError::Cancelled`].
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether cancellation was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Clears the flag so the token can be reused.
    pub fn reset(&self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// How to run a statement.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// Parameter values.
    pub params: Params,
    /// Budgets.
    pub limits: Limits,
    /// Cancellation flag, checked often while running.
    pub cancel: CancelToken,
}

/// What a statement changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Nodes created.
    pub nodes_created: u64,
    /// Nodes deleted.
    pub nodes_deleted: u64,
    /// Relationships created.
    pub relationships_created: u64,
    /// Relationships deleted.
    pub relationships_deleted: u64,
    /// Properties set (including set to null to remove).
    pub properties_set: u64,
    /// Labels added.
    pub labels_added: u64,
    /// Labels removed.
    pub labels_removed: u64,
}

impl Counters {
    /// Whether the statement changed anything.
    pub fn is_empty(&self) -> bool {
        *self == Counters::default()
    }
}

/// The result of one statement.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows; each has one value per column.
    pub rows: Vec<Vec<Value>>,
    /// What the statement changed.
    pub counters: Counters,
    /// For EXPLAIN and PROFILE (and questions under EXPLAIN): the plan as text.
    pub plan: Option<String>,
    /// Time spent parsing and planning.
    pub compile_time: Duration,
    /// Time spent executing.
    pub exec_time: Duration,
}
