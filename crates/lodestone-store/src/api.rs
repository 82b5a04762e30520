//! The narrow storage boundary the query engine is written against.

use crate::StoreResult;
use lodestone_model::{Direction, EdgeId, EdgeRecord, NodeId, NodeRecord, Schema, Value};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::Arc;

/// One adjacent edge seen from a node: the edge and the node at its other end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Adjacent {
    /// The edge.
    pub edge: EdgeId,
    /// The node at the other end (the node itself for a self-loop).
    pub other: NodeId,
    /// Whether the edge starts at the node it was reached from.
    pub outgoing: bool,
}

/// Counts for `lode info` and for the planner's cost estimates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Number of nodes.
    pub nodes: u64,
    /// Number of edges.
    pub edges: u64,
    /// Nodes per label.
    pub labels: BTreeMap<String, u64>,
    /// Edges per type.
    pub types: BTreeMap<String, u64>,
}

/// Read access to one committed state of the graph (or a write transaction's own view).
///
/// Every method sees the same state for the lifetime of the value: a reader never
/// observes a half-applied write.
pub trait GraphRead {
    /// The node's record, or `None` if it does not exist.
    fn node(&self, id: NodeId) -> StoreResult<Option<NodeRecord>>;
    /// The edge's record, or `None` if it does not exist.
    fn edge(&self, id: EdgeId) -> StoreResult<Option<EdgeRecord>>;
    /// Whether the node exists (no record decode).
    fn has_node(&self, id: NodeId) -> bool;
    /// The node's labels (from the in-memory index, no record decode).
    fn labels(&self, id: NodeId) -> StoreResult<Vec<String>>;
    /// The edge's type and endpoints (from the in-memory index, no record decode).
    fn edge_ends(&self, id: EdgeId) -> StoreResult<Option<(String, NodeId, NodeId)>>;
    /// Calls `visit` for each edge at `node` in `dir` whose type is in `types`
    /// (all types when empty), until it returns `Break`. Each edge is visited
    /// once, also for `Both` and self-loops (then `outgoing` is true).
    fn expand(
        &self,
        node: NodeId,
        dir: Direction,
        types: &[&str],
        visit: &mut dyn FnMut(Adjacent) -> ControlFlow<()>,
    ) -> StoreResult<()>;
    /// Number of edges at `node` in `dir` with a type in `types` (all when empty).
    fn degree(&self, node: NodeId, dir: Direction, types: &[&str]) -> StoreResult<u64>;
    /// Ids of every node, ascending.
    fn all_nodes(&self) -> StoreResult<Vec<NodeId>>;
    /// Ids of every node carrying `label`, ascending.
    fn nodes_with_label(&self, label: &str) -> StoreResult<Vec<NodeId>>;
    /// Ids of every edge, ascending.
    fn all_edges(&self) -> StoreResult<Vec<EdgeId>>;
    /// Nodes whose `name` or one of whose `aliases` normalizes to `key`
    /// (see [`lodestone_model::normalize_name`]); `key` is normalized by the caller.
    fn lookup_name(&self, key: &str) -> StoreResult<Vec<NodeId>>;
    /// Every indexed name key with its node, for suggestions and completion.
    fn name_keys(&self) -> StoreResult<Vec<(String, NodeId)>>;
    /// Nodes with `label` whose `key` property equals `value`, when an index
    /// covers (label, key); `Ok(None)` when no index does.
    fn find_by_property(&self, label: &str, key: &str, value: &Value) -> StoreResult<Option<Vec<NodeId>>>;
    /// The declared property indexes as (label, key).
    fn indexes(&self) -> StoreResult<Vec<(String, String)>>;
    /// The declared schema (empty when none).
    fn schema(&self) -> StoreResult<Schema>;
    /// Counts of nodes and edges, per label and type.
    fn stats(&self) -> StoreResult<Stats>;

    /// The node's record, shared: a backend that caches decoded records hands out
    /// its cached copy without cloning the properties.
    fn node_shared(&self, id: NodeId) -> StoreResult<Option<Arc<NodeRecord>>> {
        Ok(self.node(id)?.map(Arc::new))
    }
    /// The edge's record, shared (see [`GraphRead::node_shared`]).
    fn edge_shared(&self, id: EdgeId) -> StoreResult<Option<Arc<EdgeRecord>>> {
        Ok(self.edge(id)?.map(Arc::new))
    }
    /// One property of a node: `None` when the node or the property is absent.
    fn node_property(&self, id: NodeId, key: &str) -> StoreResult<Option<Value>> {
        Ok(self.node_shared(id)?.and_then(|r| r.props.get(key).cloned()))
    }
    /// One property of an edge: `None` when the edge or the property is absent.
    fn edge_property(&self, id: EdgeId, key: &str) -> StoreResult<Option<Value>> {
        Ok(self.edge_shared(id)?.and_then(|r| r.props.get(key).cloned()))
    }
    /// Property `key` of each edge in `ids`, in order: `f` gets the position in
    /// `ids` and the value (`None` when the edge or the property is absent). For one
    /// property of many edges, as an aggregation reads it; values are lent, not copied.
    fn edge_property_each(
        &self,
        ids: &[EdgeId],
        key: &str,
        f: &mut dyn FnMut(usize, Option<&Value>),
    ) -> StoreResult<()> {
        each_by_one(ids, f, |id| self.edge_property(id, key))
    }
    /// The edges at `node` in `dir` whose type is in `types` (all when empty), in the
    /// order [`GraphRead::expand`] visits them, into `out` (cleared first).
    fn neighbors(&self, node: NodeId, dir: Direction, types: &[&str], out: &mut Vec<Adjacent>) -> StoreResult<()> {
        out.clear();
        self.expand(node, dir, types, &mut |a| {
            out.push(a);
            ControlFlow::Continue(())
        })
    }
    /// The edges at `node` as [`GraphRead::neighbors`] gives them, into `out`, and
    /// property `key` of each into `vals` at the same position (`Value::Null` when
    /// absent); both are cleared first. For an aggregation over one property of a
    /// node's relationships: a backend may keep such values in adjacency order.
    fn neighbors_with_property(
        &self,
        node: NodeId,
        dir: Direction,
        types: &[&str],
        key: &str,
        out: &mut Vec<Adjacent>,
        vals: &mut Vec<Value>,
    ) -> StoreResult<()> {
        neighbors_and_values(self, node, dir, types, key, out, vals)
    }
    /// The edges at every node of `nodes` as (position in `nodes`, edge): node by node,
    /// each node's edges as [`GraphRead::neighbors`] gives them, into `out` (cleared
    /// first). A backend may overlap the memory reads of consecutive nodes.
    fn neighbors_of(
        &self,
        nodes: &[NodeId],
        dir: Direction,
        types: &[&str],
        out: &mut Vec<(usize, Adjacent)>,
    ) -> StoreResult<()> {
        out.clear();
        let mut one = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            self.neighbors(*n, dir, types, &mut one)?;
            out.extend(one.iter().map(|a| (i, *a)));
        }
        Ok(())
    }
    /// An exclusive upper bound of the node ids in this view, when the backend knows
    /// one cheaply (ids are dense enough to index arrays by them).
    fn node_id_bound(&self) -> Option<u64> {
        None
    }
    /// Whether the node exists and carries every label in `labels` (from the
    /// in-memory index, no record decode).
    fn has_labels(&self, id: NodeId, labels: &[&str]) -> StoreResult<bool> {
        let have = self.labels(id)?;
        Ok(self.has_node(id) && labels.iter().all(|l| have.iter().any(|h| h == l)))
    }
}

/// Changes inside a write transaction. Nothing is visible to other readers until commit.
pub trait GraphWrite: GraphRead {
    /// Adds a node and returns its new id.
    fn create_node(&mut self, record: NodeRecord) -> StoreResult<NodeId>;
    /// Adds an edge; both endpoints must exist.
    fn create_edge(&mut self, record: EdgeRecord) -> StoreResult<EdgeId>;
    /// Replaces a node's labels, properties and citations.
    fn update_node(&mut self, id: NodeId, record: NodeRecord) -> StoreResult<()>;
    /// Replaces an edge's properties and citations; its type and endpoints cannot change.
    fn update_edge(&mut self, id: EdgeId, record: EdgeRecord) -> StoreResult<()>;
    /// Deletes a node. Without `detach` a node that still has edges is an error;
    /// with it, its edges go too.
    fn delete_node(&mut self, id: NodeId, detach: bool) -> StoreResult<()>;
    /// Deletes an edge.
    fn delete_edge(&mut self, id: EdgeId) -> StoreResult<()>;
    /// Replaces the declared schema; existing data must satisfy it.
    fn set_schema(&mut self, schema: Schema) -> StoreResult<()>;
    /// Declares an equality index on (label, key) and fills it.
    fn create_index(&mut self, label: &str, key: &str) -> StoreResult<()>;
}

/// A write transaction: its changes apply whole at commit, or not at all.
pub trait WriteTxn: GraphWrite {
    /// Validates every touched element against the schema, applies all changes
    /// atomically and, when the store is durable, returns only once they are on disk.
    fn commit(self: Box<Self>) -> StoreResult<()>;
    /// Discards every change.
    fn rollback(self: Box<Self>);
}

/// When a commit reaches the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every commit is flushed before it returns (the default).
    #[default]
    Immediate,
    /// Commits are flushed on [`Storage::flush`] or close: for bulk loads.
    Deferred,
}

/// Facts about an open store for `lode info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    /// Where the store lives; `None` in memory.
    pub path: Option<std::path::PathBuf>,
    /// On-disk format version.
    pub format_version: u32,
    /// Bytes on disk.
    pub size_on_disk: u64,
    /// Whether writes are refused.
    pub read_only: bool,
}

/// What an integrity check found; empty `problems` means the store is sound.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// Nodes checked.
    pub nodes: u64,
    /// Edges checked.
    pub edges: u64,
    /// Each disagreement between indexes and records, in words.
    pub problems: Vec<String>,
}

/// A graph store: hands out read snapshots and one write transaction at a time.
///
/// Implementations are `Send + Sync`; many threads may read while one writes.
pub trait Storage: Send + Sync {
    /// A consistent view of the last committed state.
    fn read(&self) -> StoreResult<Box<dyn GraphRead + '_>>;
    /// Starts the (single) write transaction, waiting for a running one to end.
    fn write(&self) -> StoreResult<Box<dyn WriteTxn + '_>>;
    /// Sets when commits reach the disk.
    fn set_durability(&self, durability: Durability);
    /// Writes every committed change to disk.
    fn flush(&self) -> StoreResult<()>;
    /// Starts a bulk load, when the store has never committed anything: until
    /// [`Storage::end_bulk_load`] the loader may commit in many transactions, and a
    /// crash or an abandoned load leaves a store that its next open empties again, so
    /// the load still applies whole or not at all for every later open. The loader must
    /// be the store's only writer until the load ends: a commit of anyone else's in
    /// between would be discarded with it. Readers of this open store see the batches
    /// as they commit. `false` when the store holds commits or the backend has no
    /// such mode: then load in one transaction.
    fn begin_bulk_load(&self) -> StoreResult<bool> {
        Ok(false)
    }
    /// Ends a bulk load: makes every commit durable, then makes the loaded state the
    /// one the next open keeps.
    fn end_bulk_load(&self) -> StoreResult<()> {
        self.flush()
    }
    /// Facts about the store.
    fn info(&self) -> StoreResult<StoreInfo>;
    /// Checks indexes (adjacency, names, labels, properties) against records.
    fn check(&self) -> StoreResult<CheckReport>;
}

/// [`GraphRead::neighbors_with_property`] from `neighbors` and one batch read of the
/// property: what a view without adjacency-ordered values does.
pub(crate) fn neighbors_and_values<G: GraphRead + ?Sized>(
    g: &G,
    node: NodeId,
    dir: Direction,
    types: &[&str],
    key: &str,
    out: &mut Vec<Adjacent>,
    vals: &mut Vec<Value>,
) -> StoreResult<()> {
    g.neighbors(node, dir, types, out)?;
    values_of(out, vals, |ids, f| g.edge_property_each(ids, key, f))
}

/// Sets `vals` to one value per edge of `out` (`Value::Null` when absent), read in
/// one batch with `each` (which gives a position in its ids and the value).
pub(crate) fn values_of(
    out: &[Adjacent],
    vals: &mut Vec<Value>,
    each: impl FnOnce(&[EdgeId], &mut dyn FnMut(usize, Option<&Value>)) -> StoreResult<()>,
) -> StoreResult<()> {
    vals.clear();
    vals.resize(out.len(), Value::Null);
    let ids: Vec<EdgeId> = out.iter().map(|a| a.edge).collect();
    each(&ids, &mut |i, v| {
        if let (Some(slot), Some(v)) = (vals.get_mut(i), v) {
            *slot = v.clone();
        }
    })
}

/// Hands `f` the value `get` reads for each of `ids`, in order, one read at a time:
/// what stores without a batch read of one property do.
pub(crate) fn each_by_one(
    ids: &[EdgeId],
    f: &mut dyn FnMut(usize, Option<&Value>),
    get: impl Fn(EdgeId) -> StoreResult<Option<Value>>,
) -> StoreResult<()> {
    for (i, id) in ids.iter().enumerate() {
        f(i, get(*id)?.as_ref());
    }
    Ok(())
}
