//! A storage wrapper that fails chosen calls: the test double for a failing disk.
//!
//! [`FaultyStore`] implements [`Storage`] around another store and hands out read
//! views and write transactions that are wrapped too, so every fallible call the
//! engine makes (opening a snapshot, starting a transaction, reading a record,
//! walking adjacency, writing a record, committing) passes through [`Faults`],
//! which decides whether it fails with an injected I/O error or "disk full".
//! A failed call never reaches the wrapped store; a failed commit drops the
//! wrapped transaction, which rolls it back.

use lodestone::{CheckReport, Durability, GraphRead, GraphWrite, Stats, StoreError, StoreInfo, WriteTxn};
use lodestone_model::{Direction, EdgeId, EdgeRecord, NodeId, NodeRecord, Schema, Value};
use lodestone_store::{Adjacent, Storage, StoreResult};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Which kind of call a fault may hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// `Storage::read`: opening a snapshot.
    Snapshot,
    /// `Storage::write`: starting a transaction.
    Begin,
    /// A read through a snapshot or a transaction (records, indexes, adjacency).
    Read,
    /// A change inside a transaction (create, update, delete, schema, index).
    Write,
    /// `WriteTxn::commit`.
    Commit,
    /// `Storage::flush`, `info`, `check`.
    Admin,
}

impl Site {
    /// Every site.
    pub const ALL: [Site; 6] = [
        Site::Snapshot,
        Site::Begin,
        Site::Read,
        Site::Write,
        Site::Commit,
        Site::Admin,
    ];

    fn bit(self) -> u32 {
        1 << self as u32
    }
}

/// What an injected failure looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A failing device.
    Io,
    /// No space left.
    DiskFull,
}

impl Fault {
    /// The error the failing call returns.
    pub fn error(self) -> StoreError {
        match self {
            Fault::Io => StoreError::Io("injected: input/output error".into()),
            Fault::DiskFull => StoreError::Io("injected: no space left on device (disk full)".into()),
        }
    }
}

/// When calls fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Never.
    Off,
    /// The `n`th matching call (counting from 0 since the plan was set) fails;
    /// with `sticky`, every matching call after it fails too (a full disk stays full).
    Nth {
        /// Which call.
        n: u64,
        /// Keep failing afterwards.
        sticky: bool,
    },
    /// Each matching call fails with probability `per_mille`/1000, from a seeded generator.
    Random {
        /// Failure probability in thousandths.
        per_mille: u64,
    },
}

#[derive(Debug)]
struct Plan {
    policy: Policy,
    sites: u32,
    fault: Fault,
    rng: u64,
}

/// The shared switchboard: which calls fail, and how many matching calls and
/// failures there have been.
#[derive(Debug)]
pub struct Faults {
    plan: Mutex<Plan>,
    calls: AtomicU64,
    injected: AtomicU64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            plan: Mutex::new(Plan {
                policy: Policy::Off,
                sites: 0,
                fault: Fault::Io,
                rng: 1,
            }),
            calls: AtomicU64::new(0),
            injected: AtomicU64::new(0),
        }
    }
}

impl Faults {
    /// Sets the plan: calls at `sites` fail by `policy` with `fault`. Resets the counters.
    pub fn set(&self, policy: Policy, sites: &[Site], fault: Fault, seed: u64) {
        let mut plan = self.plan.lock().unwrap();
        *plan = Plan {
            policy,
            sites: sites.iter().map(|s| s.bit()).fold(0, |a, b| a | b),
            fault,
            rng: seed.max(1),
        };
        self.calls.store(0, Ordering::SeqCst);
        self.injected.store(0, Ordering::SeqCst);
    }

    /// Stops injecting failures (the counters keep counting matching calls).
    pub fn off(&self) {
        self.plan.lock().unwrap().policy = Policy::Off;
    }

    /// Calls at the planned sites since the plan was set.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Failures injected since the plan was set.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    /// Called at every fallible call: `Err` when this one is to fail.
    fn hit(&self, site: Site) -> StoreResult<()> {
        let mut plan = self.plan.lock().unwrap();
        if plan.sites & site.bit() == 0 {
            return Ok(());
        }
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let fail = match plan.policy {
            Policy::Off => false,
            Policy::Nth { n: at, sticky } => n == at || (sticky && n > at),
            Policy::Random { per_mille } => {
                plan.rng ^= plan.rng << 13;
                plan.rng ^= plan.rng >> 7;
                plan.rng ^= plan.rng << 17;
                plan.rng % 1000 < per_mille
            }
        };
        if fail {
            self.injected.fetch_add(1, Ordering::SeqCst);
            Err(plan.fault.error())
        } else {
            Ok(())
        }
    }
}

/// A [`Storage`] whose calls fail as [`Faults`] says.
pub struct FaultyStore {
    inner: Arc<dyn Storage>,
    faults: Arc<Faults>,
}

impl FaultyStore {
    /// Wraps `inner`; `faults` controls it.
    pub fn new(inner: Arc<dyn Storage>, faults: Arc<Faults>) -> FaultyStore {
        FaultyStore { inner, faults }
    }
}

impl Storage for FaultyStore {
    fn read(&self) -> StoreResult<Box<dyn GraphRead + '_>> {
        self.faults.hit(Site::Snapshot)?;
        Ok(Box::new(FaultyRead {
            inner: self.inner.read()?,
            faults: &self.faults,
        }))
    }

    fn write(&self) -> StoreResult<Box<dyn WriteTxn + '_>> {
        self.faults.hit(Site::Begin)?;
        Ok(Box::new(FaultyTxn {
            inner: self.inner.write()?,
            faults: &self.faults,
        }))
    }

    fn set_durability(&self, durability: Durability) {
        self.inner.set_durability(durability);
    }

    fn flush(&self) -> StoreResult<()> {
        self.faults.hit(Site::Admin)?;
        self.inner.flush()
    }

    fn info(&self) -> StoreResult<StoreInfo> {
        self.faults.hit(Site::Admin)?;
        self.inner.info()
    }

    fn check(&self) -> StoreResult<CheckReport> {
        self.faults.hit(Site::Admin)?;
        self.inner.check()
    }
}

struct FaultyRead<'a> {
    inner: Box<dyn GraphRead + 'a>,
    faults: &'a Faults,
}

struct FaultyTxn<'a> {
    inner: Box<dyn WriteTxn + 'a>,
    faults: &'a Faults,
}

/// Implements every fallible `GraphRead` method as "maybe fail, then delegate".
macro_rules! faulty_reads {
    ($ty:ident) => {
        impl GraphRead for $ty<'_> {
            fn node(&self, id: NodeId) -> StoreResult<Option<NodeRecord>> {
                self.faults.hit(Site::Read)?;
                self.inner.node(id)
            }
            fn edge(&self, id: EdgeId) -> StoreResult<Option<EdgeRecord>> {
                self.faults.hit(Site::Read)?;
                self.inner.edge(id)
            }
            fn has_node(&self, id: NodeId) -> bool {
                self.inner.has_node(id)
            }
            fn labels(&self, id: NodeId) -> StoreResult<Vec<String>> {
                self.faults.hit(Site::Read)?;
                self.inner.labels(id)
            }
            fn edge_ends(&self, id: EdgeId) -> StoreResult<Option<(String, NodeId, NodeId)>> {
                self.faults.hit(Site::Read)?;
                self.inner.edge_ends(id)
            }
            fn expand(
                &self,
                node: NodeId,
                dir: Direction,
                types: &[&str],
                visit: &mut dyn FnMut(Adjacent) -> ControlFlow<()>,
            ) -> StoreResult<()> {
                self.faults.hit(Site::Read)?;
                self.inner.expand(node, dir, types, visit)
            }
            fn degree(&self, node: NodeId, dir: Direction, types: &[&str]) -> StoreResult<u64> {
                self.faults.hit(Site::Read)?;
                self.inner.degree(node, dir, types)
            }
            fn all_nodes(&self) -> StoreResult<Vec<NodeId>> {
                self.faults.hit(Site::Read)?;
                self.inner.all_nodes()
            }
            fn nodes_with_label(&self, label: &str) -> StoreResult<Vec<NodeId>> {
                self.faults.hit(Site::Read)?;
                self.inner.nodes_with_label(label)
            }
            fn all_edges(&self) -> StoreResult<Vec<EdgeId>> {
                self.faults.hit(Site::Read)?;
                self.inner.all_edges()
            }
            fn lookup_name(&self, key: &str) -> StoreResult<Vec<NodeId>> {
                self.faults.hit(Site::Read)?;
                self.inner.lookup_name(key)
            }
            fn name_keys(&self) -> StoreResult<Vec<(String, NodeId)>> {
                self.faults.hit(Site::Read)?;
                self.inner.name_keys()
            }
            fn find_by_property(&self, label: &str, key: &str, value: &Value) -> StoreResult<Option<Vec<NodeId>>> {
                self.faults.hit(Site::Read)?;
                self.inner.find_by_property(label, key, value)
            }
            fn indexes(&self) -> StoreResult<Vec<(String, String)>> {
                self.faults.hit(Site::Read)?;
                self.inner.indexes()
            }
            fn schema(&self) -> StoreResult<Schema> {
                self.faults.hit(Site::Read)?;
                self.inner.schema()
            }
            fn stats(&self) -> StoreResult<Stats> {
                self.faults.hit(Site::Read)?;
                self.inner.stats()
            }
        }
    };
}

faulty_reads!(FaultyRead);
faulty_reads!(FaultyTxn);

impl GraphWrite for FaultyTxn<'_> {
    fn create_node(&mut self, record: NodeRecord) -> StoreResult<NodeId> {
        self.faults.hit(Site::Write)?;
        self.inner.create_node(record)
    }
    fn create_edge(&mut self, record: EdgeRecord) -> StoreResult<EdgeId> {
        self.faults.hit(Site::Write)?;
        self.inner.create_edge(record)
    }
    fn update_node(&mut self, id: NodeId, record: NodeRecord) -> StoreResult<()> {
        self.faults.hit(Site::Write)?;
        self.inner.update_node(id, record)
    }
    fn update_edge(&mut self, id: EdgeId, record: EdgeRecord) -> StoreResult<()> {
        self.faults.hit(Site::Write)?;
        self.inner.update_edge(id, record)
    }
    fn delete_node(&mut self, id: NodeId, detach: bool) -> StoreResult<()> {
        self.faults.hit(Site::Write)?;
        self.inner.delete_node(id, detach)
    }
    fn delete_edge(&mut self, id: EdgeId) -> StoreResult<()> {
        self.faults.hit(Site::Write)?;
        self.inner.delete_edge(id)
    }
    fn set_schema(&mut self, schema: Schema) -> StoreResult<()> {
        self.faults.hit(Site::Write)?;
        self.inner.set_schema(schema)
    }
    fn create_index(&mut self, label: &str, key: &str) -> StoreResult<()> {
        self.faults.hit(Site::Write)?;
        self.inner.create_index(label, key)
    }
}

impl WriteTxn for FaultyTxn<'_> {
    fn commit(self: Box<Self>) -> StoreResult<()> {
        // On failure `self.inner` is dropped here, which rolls it back.
        self.faults.hit(Site::Commit)?;
        self.inner.commit()
    }

    fn rollback(self: Box<Self>) {
        self.inner.rollback();
    }
}
