//! Logic shared by both backends: committed read views over a [`Base`], and the
//! write transaction, an overlay of its own changes over the committed state that
//! turns into a [`ChangeSet`] at commit.
//!
//! The overlay is cheap for bulk loads: created nodes and edges live in vectors
//! indexed by id offset, and the indexes over them that reads need (names, labels,
//! property values, adjacency) are built lazily, incrementally, and only when a read
//! asks for them. Index entries may go stale when a created element changes; reads
//! verify every candidate against the current record, so stale entries are harmless.

use crate::keys::{name_keys, prop_key, value_key};
use crate::state_lock::{StateLock, StateReadGuard};
use crate::topo::Topology;
use crate::{Adjacent, GraphRead, GraphWrite, Stats, StoreError, StoreResult, WriteTxn};
use lodestone_model::{Direction, EdgeId, EdgeRecord, NodeId, NodeRecord, Props, Schema, Value};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::{ControlFlow, Deref};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// A committed state that reads can be answered from.
pub(crate) trait Base {
    /// The in-memory topology.
    fn topo(&self) -> &Topology;
    /// The declared schema.
    fn schema_ref(&self) -> &Schema;
    /// The declared property indexes, in declaration order.
    fn index_list(&self) -> &[(String, String)];
    /// A node's record.
    fn node_record(&self, id: u64) -> StoreResult<Option<NodeRecord>>;
    /// An edge's record.
    fn edge_record(&self, id: u64) -> StoreResult<Option<EdgeRecord>>;
    /// A node's record, shared (a caching backend returns its cached copy).
    fn node_arc(&self, id: u64) -> StoreResult<Option<Arc<NodeRecord>>> {
        Ok(self.node_record(id)?.map(Arc::new))
    }
    /// An edge's record, shared (a caching backend returns its cached copy).
    fn edge_arc(&self, id: u64) -> StoreResult<Option<Arc<EdgeRecord>>> {
        Ok(self.edge_record(id)?.map(Arc::new))
    }
    /// One property of a node: `None` when the node or the property is absent.
    fn node_prop(&self, id: u64, key: &str) -> StoreResult<Option<Value>> {
        Ok(self.node_arc(id)?.and_then(|r| r.props.get(key).cloned()))
    }
    /// One property of an edge: `None` when the edge or the property is absent.
    fn edge_prop(&self, id: u64, key: &str) -> StoreResult<Option<Value>> {
        Ok(self.edge_arc(id)?.and_then(|r| r.props.get(key).cloned()))
    }
    /// Property `key` of each edge in `ids`, in order, with its position.
    fn edge_prop_each(&self, ids: &[EdgeId], key: &str, f: &mut dyn FnMut(usize, Option<&Value>)) -> StoreResult<()> {
        crate::api::each_by_one(ids, f, |id| self.edge_prop(id.0, key))
    }
    /// The committed edges at `node` as the topology's expand visits them, into
    /// `out`, with property `key` of each into `vals` (`Value::Null` when absent),
    /// when the backend keeps such values in adjacency order; `false`, with nothing
    /// read, when it does not (the view then reads each edge's value).
    fn neighbors_with_prop(
        &self,
        _node: u64,
        _dir: Direction,
        _types: &[&str],
        _key: &str,
        _out: &mut Vec<Adjacent>,
        _vals: &mut Vec<Value>,
    ) -> StoreResult<bool> {
        Ok(false)
    }
    /// Calls `f` with each node of `ids` that has a committed record, and its record,
    /// in order. For reading many records once (filling a new index): a backend may
    /// read records stored together at once, and need not keep them cached.
    fn node_records_each(&self, ids: &[u64], f: &mut dyn FnMut(u64, &NodeRecord)) -> StoreResult<()> {
        for &id in ids {
            if let Some(r) = self.node_arc(id)? {
                f(id, &r);
            }
        }
        Ok(())
    }
    /// Nodes under a normalized name key, ascending.
    fn name_lookup(&self, key: &str) -> StoreResult<Vec<u64>>;
    /// Every name key with its node.
    fn all_name_keys(&self) -> StoreResult<Vec<(String, u64)>>;
    /// Nodes in declared index number `index` under value key `vkey`, ascending.
    fn index_lookup(&self, index: usize, vkey: &[u8]) -> StoreResult<Vec<u64>>;
    /// The next node id and edge id to assign.
    fn next_ids(&self) -> (u64, u64);
}

/// Takes a read guard on the committed state (see [`StateLock`] for when it waits).
/// A writer holds the lock only while it applies a commit, so readers see whole
/// commits only.
pub(crate) fn lock_read<T>(lock: &StateLock<T>) -> StateReadGuard<'_, T> {
    lock.read()
}

fn index_position(indexes: &[(String, String)], label: &str, key: &str) -> Option<usize> {
    indexes.iter().position(|(l, k)| l == label && k == key)
}

fn stats_of(topo: &Topology) -> Stats {
    Stats {
        nodes: topo.node_count(),
        edges: topo.edge_count(),
        labels: topo.label_counts().map(|(l, c)| (l.to_string(), c)).collect(),
        types: topo.type_counts().map(|(t, c)| (t.to_string(), c)).collect(),
    }
}

/// A read view of committed state, holding the state's read lock for its lifetime.
pub(crate) struct Snapshot<G>(pub G);

impl<G, B> GraphRead for Snapshot<G>
where
    G: Deref<Target = B>,
    B: Base,
{
    fn node(&self, id: NodeId) -> StoreResult<Option<NodeRecord>> {
        self.0.node_record(id.0)
    }

    fn edge(&self, id: EdgeId) -> StoreResult<Option<EdgeRecord>> {
        self.0.edge_record(id.0)
    }

    fn has_node(&self, id: NodeId) -> bool {
        self.0.topo().has_node(id.0)
    }

    fn labels(&self, id: NodeId) -> StoreResult<Vec<String>> {
        Ok(self.0.topo().label_names(id.0).unwrap_or_default())
    }

    fn edge_ends(&self, id: EdgeId) -> StoreResult<Option<(String, NodeId, NodeId)>> {
        Ok(self.0.topo().edge_ends(id.0))
    }

    fn expand(
        &self,
        node: NodeId,
        dir: Direction,
        types: &[&str],
        visit: &mut dyn FnMut(Adjacent) -> ControlFlow<()>,
    ) -> StoreResult<()> {
        let topo = self.0.topo();
        let filter = topo.type_filter(types);
        let _ = topo.expand(node.0, dir, filter.as_filter(), visit);
        Ok(())
    }

    fn neighbors(&self, node: NodeId, dir: Direction, types: &[&str], out: &mut Vec<Adjacent>) -> StoreResult<()> {
        out.clear();
        let topo = self.0.topo();
        let filter = topo.type_filter(types);
        let _ = topo.expand(node.0, dir, filter.as_filter(), &mut |a| {
            out.push(a);
            ControlFlow::Continue(())
        });
        Ok(())
    }

    fn neighbors_of(
        &self,
        nodes: &[NodeId],
        dir: Direction,
        types: &[&str],
        out: &mut Vec<(usize, Adjacent)>,
    ) -> StoreResult<()> {
        // How many nodes ahead the lists are touched: enough reads in flight to
        // overlap their latency, few enough to stay in cache until used.
        const AHEAD: usize = 8;
        out.clear();
        let topo = self.0.topo();
        let filter = topo.type_filter(types);
        for (i, n) in nodes.iter().enumerate() {
            if let Some(ahead) = nodes.get(i + AHEAD) {
                topo.touch(ahead.0, dir);
            }
            let _ = topo.expand(n.0, dir, filter.as_filter(), &mut |a| {
                out.push((i, a));
                ControlFlow::Continue(())
            });
        }
        Ok(())
    }

    fn node_id_bound(&self) -> Option<u64> {
        Some(self.0.next_ids().0)
    }

    fn degree(&self, node: NodeId, dir: Direction, types: &[&str]) -> StoreResult<u64> {
        let topo = self.0.topo();
        let filter = topo.type_filter(types);
        Ok(topo.degree(node.0, dir, filter.as_filter()))
    }

    fn all_nodes(&self) -> StoreResult<Vec<NodeId>> {
        Ok(self.0.topo().node_ids().map(NodeId).collect())
    }

    fn nodes_with_label(&self, label: &str) -> StoreResult<Vec<NodeId>> {
        Ok(self.0.topo().nodes_with_label(label).into_iter().map(NodeId).collect())
    }

    fn all_edges(&self) -> StoreResult<Vec<EdgeId>> {
        Ok(self.0.topo().edge_ids().map(EdgeId).collect())
    }

    fn lookup_name(&self, key: &str) -> StoreResult<Vec<NodeId>> {
        Ok(self.0.name_lookup(key)?.into_iter().map(NodeId).collect())
    }

    fn name_keys(&self) -> StoreResult<Vec<(String, NodeId)>> {
        Ok(self
            .0
            .all_name_keys()?
            .into_iter()
            .map(|(k, n)| (k, NodeId(n)))
            .collect())
    }

    fn find_by_property(&self, label: &str, key: &str, value: &Value) -> StoreResult<Option<Vec<NodeId>>> {
        let Some(pos) = index_position(self.0.index_list(), label, key) else {
            return Ok(None);
        };
        let Some(vkey) = value_key(value) else {
            return Ok(Some(Vec::new()));
        };
        Ok(Some(self.0.index_lookup(pos, &vkey)?.into_iter().map(NodeId).collect()))
    }

    fn indexes(&self) -> StoreResult<Vec<(String, String)>> {
        Ok(self.0.index_list().to_vec())
    }

    fn schema(&self) -> StoreResult<Schema> {
        Ok(self.0.schema_ref().clone())
    }

    fn stats(&self) -> StoreResult<Stats> {
        Ok(stats_of(self.0.topo()))
    }

    fn node_shared(&self, id: NodeId) -> StoreResult<Option<Arc<NodeRecord>>> {
        self.0.node_arc(id.0)
    }

    fn edge_shared(&self, id: EdgeId) -> StoreResult<Option<Arc<EdgeRecord>>> {
        self.0.edge_arc(id.0)
    }

    fn node_property(&self, id: NodeId, key: &str) -> StoreResult<Option<Value>> {
        self.0.node_prop(id.0, key)
    }

    fn edge_property(&self, id: EdgeId, key: &str) -> StoreResult<Option<Value>> {
        self.0.edge_prop(id.0, key)
    }

    fn edge_property_each(
        &self,
        ids: &[EdgeId],
        key: &str,
        f: &mut dyn FnMut(usize, Option<&Value>),
    ) -> StoreResult<()> {
        self.0.edge_prop_each(ids, key, f)
    }

    fn neighbors_with_property(
        &self,
        node: NodeId,
        dir: Direction,
        types: &[&str],
        key: &str,
        out: &mut Vec<Adjacent>,
        vals: &mut Vec<Value>,
    ) -> StoreResult<()> {
        if self.0.neighbors_with_prop(node.0, dir, types, key, out, vals)? {
            return Ok(());
        }
        crate::api::neighbors_and_values(self, node, dir, types, key, out, vals)
    }

    fn has_labels(&self, id: NodeId, labels: &[&str]) -> StoreResult<bool> {
        let topo = self.0.topo();
        Ok(topo.has_node(id.0) && labels.iter().all(|l| topo.node_has_label(id.0, l)))
    }
}

/// One node's change: the committed record before (if any) and after (if any).
#[derive(Debug)]
pub(crate) struct NodeChange {
    /// The node.
    pub id: u64,
    /// The committed record, `None` for a created node.
    pub old: Option<NodeRecord>,
    /// The new record, `None` for a deleted node.
    pub new: Option<NodeRecord>,
}

/// One edge's change.
#[derive(Debug)]
pub(crate) struct EdgeChange {
    /// The edge.
    pub id: u64,
    /// The committed record, `None` for a created edge.
    pub old: Option<EdgeRecord>,
    /// The new record, `None` for a deleted edge.
    pub new: Option<EdgeRecord>,
}

/// A borrowed view of one node change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeDelta<'a> {
    /// The node.
    pub id: u64,
    /// The committed record, `None` for a created node.
    pub old: Option<&'a NodeRecord>,
    /// The new record, `None` for a deleted node.
    pub new: Option<&'a NodeRecord>,
}

/// A borrowed view of one edge change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EdgeDelta<'a> {
    /// The edge.
    pub id: u64,
    /// The committed record, `None` for a created edge.
    pub old: Option<&'a EdgeRecord>,
    /// The new record, `None` for a deleted edge.
    pub new: Option<&'a EdgeRecord>,
}

/// Everything a transaction changes, validated and ready to apply. Created
/// elements stay in the vectors the overlay built (no per-element copy at commit).
#[derive(Debug, Default)]
pub(crate) struct ChangeSet {
    /// Updates and deletions of committed nodes.
    pub nodes: Vec<NodeChange>,
    /// Updates and deletions of committed edges.
    pub edges: Vec<EdgeChange>,
    /// Id of `new_nodes[0]`.
    pub new_node_base: u64,
    /// Created nodes by id offset; `None` where created and deleted again.
    pub new_nodes: Vec<Option<NodeRecord>>,
    /// Id of `new_edges[0]`.
    pub new_edge_base: u64,
    /// Created edges by id offset; `None` where created and deleted again.
    pub new_edges: Vec<Option<EdgeRecord>>,
    /// The new schema, when it changed.
    pub schema: Option<Schema>,
    /// Newly declared indexes, appended after the committed ones.
    pub new_indexes: Vec<(String, String)>,
    /// Entries that fill the new indexes: (position in `new_indexes`, value key, node).
    pub index_fill: Vec<(usize, Vec<u8>, u64)>,
    /// The next node id after commit.
    pub next_node: u64,
    /// The next edge id after commit.
    pub next_edge: u64,
}

impl ChangeSet {
    /// Every node change: committed nodes first, then created ones in id order.
    pub(crate) fn node_deltas(&self) -> impl Iterator<Item = NodeDelta<'_>> {
        let changed = self.nodes.iter().map(|n| NodeDelta {
            id: n.id,
            old: n.old.as_ref(),
            new: n.new.as_ref(),
        });
        let created = self.new_nodes.iter().enumerate().filter_map(move |(i, r)| {
            r.as_ref().map(|r| NodeDelta {
                id: self.new_node_base + i as u64,
                old: None,
                new: Some(r),
            })
        });
        changed.chain(created)
    }

    /// Every edge change: committed edges first, then created ones in id order.
    pub(crate) fn edge_deltas(&self) -> impl Iterator<Item = EdgeDelta<'_>> {
        let changed = self.edges.iter().map(|e| EdgeDelta {
            id: e.id,
            old: e.old.as_ref(),
            new: e.new.as_ref(),
        });
        let created = self.new_edges.iter().enumerate().filter_map(move |(i, r)| {
            r.as_ref().map(|r| EdgeDelta {
                id: self.new_edge_base + i as u64,
                old: None,
                new: Some(r),
            })
        });
        changed.chain(created)
    }
}

/// Applies a change set's topology part: removed edges, node labels, added edges.
pub(crate) fn apply_topology(topo: &mut Topology, c: &ChangeSet) {
    let removed: Vec<u64> = c
        .edges
        .iter()
        .filter(|e| e.old.is_some() && e.new.is_none())
        .map(|e| e.id)
        .collect();
    topo.remove_edges(&removed);
    for n in c.node_deltas() {
        match n.new {
            Some(rec) => {
                if n.old.map(|o| &o.labels) != Some(&rec.labels) || !topo.has_node(n.id) {
                    let ids = topo.intern_labels(&rec.labels);
                    topo.set_node(n.id, &ids);
                }
            }
            None => topo.remove_node(n.id),
        }
    }
    let mut added = Vec::with_capacity(c.new_edges.len());
    for e in c.edge_deltas() {
        if let (None, Some(rec)) = (e.old, e.new) {
            let ty = topo.types.intern(&rec.rel_type);
            added.push((e.id, ty, rec.start.0, rec.end.0));
        }
    }
    topo.add_edges(&added);
}

/// How a node's change moves the name and property indexes.
#[derive(Debug, Default)]
pub(crate) struct IndexDelta {
    /// Name keys to remove.
    pub names_del: Vec<String>,
    /// Name keys to add.
    pub names_add: Vec<String>,
    /// (index position, value key) entries to remove.
    pub props_del: Vec<(usize, Vec<u8>)>,
    /// (index position, value key) entries to add.
    pub props_add: Vec<(usize, Vec<u8>)>,
}

fn prop_entries(rec: Option<&NodeRecord>, indexes: &[(String, String)]) -> Vec<(usize, Vec<u8>)> {
    let Some(rec) = rec else { return Vec::new() };
    indexes
        .iter()
        .enumerate()
        .filter(|(_, (label, _))| rec.has_label(label))
        .filter_map(|(i, (_, key))| prop_key(&rec.props, key).map(|k| (i, k)))
        .collect()
}

/// The index entries a node change removes and adds (unchanged entries in neither).
pub(crate) fn index_delta(
    old: Option<&NodeRecord>,
    new: Option<&NodeRecord>,
    indexes: &[(String, String)],
) -> IndexDelta {
    let old_names = old.map(|r| name_keys(&r.props)).unwrap_or_default();
    let new_names = new.map(|r| name_keys(&r.props)).unwrap_or_default();
    let old_props = prop_entries(old, indexes);
    let new_props = prop_entries(new, indexes);
    IndexDelta {
        names_del: old_names.iter().filter(|k| !new_names.contains(k)).cloned().collect(),
        names_add: new_names.iter().filter(|k| !old_names.contains(k)).cloned().collect(),
        props_del: old_props.iter().filter(|e| !new_props.contains(e)).cloned().collect(),
        props_add: new_props.iter().filter(|e| !old_props.contains(e)).cloned().collect(),
    }
}

/// Drops null properties and duplicate labels, and rejects values that cannot be stored.
fn clean_props(props: &mut Props) -> StoreResult<()> {
    props.retain(|_, v| !v.is_null());
    for (k, v) in props.iter() {
        if !v.is_storable() {
            return Err(StoreError::NotStorable {
                key: k.clone(),
                kind: v.kind().to_string(),
            });
        }
    }
    Ok(())
}

fn clean_node(mut rec: NodeRecord) -> StoreResult<NodeRecord> {
    clean_props(&mut rec.props)?;
    let mut seen = HashSet::new();
    rec.labels.retain(|l| seen.insert(l.clone()));
    Ok(rec)
}

fn clean_edge(mut rec: EdgeRecord) -> StoreResult<EdgeRecord> {
    clean_props(&mut rec.props)?;
    Ok(rec)
}

/// An index over created nodes, filled incrementally up to `upto` (an offset into
/// the created-node vector).
#[derive(Debug, Default)]
struct LazyIndex<K> {
    upto: usize,
    map: HashMap<K, Vec<u64>>,
}

#[derive(Debug, Default)]
struct Lazy {
    names: LazyIndex<String>,
    labels: LazyIndex<String>,
    props: HashMap<(String, String), LazyIndex<Vec<u8>>>,
    edges_upto: usize,
    out: HashMap<u64, Vec<u64>>,
    inn: HashMap<u64, Vec<u64>>,
}

/// A write transaction's own changes.
#[derive(Debug, Default)]
pub(crate) struct Overlay {
    node_base: u64,
    edge_base: u64,
    new_nodes: Vec<Option<NodeRecord>>,
    new_edges: Vec<Option<EdgeRecord>>,
    upd_nodes: HashMap<u64, NodeRecord>,
    del_nodes: HashSet<u64>,
    upd_edges: HashMap<u64, EdgeRecord>,
    del_edges: HashSet<u64>,
    schema: Option<Schema>,
    new_indexes: Vec<(String, String)>,
    lazy: RefCell<Lazy>,
}

/// Operations a backend provides to the generic transaction.
pub(crate) trait Backend: Sync {
    /// The committed state.
    type State: Base;
    /// The lock around the committed state.
    fn state(&self) -> &StateLock<Self::State>;
    /// The single-writer lock.
    fn writer(&self) -> &Mutex<()>;
    /// Applies a validated change set: the state is unchanged when this fails.
    fn apply(&self, state: &mut Self::State, changes: ChangeSet) -> StoreResult<()>;
    /// Runs after the state lock is released, still under the writer lock: records
    /// the commit for durability. Returns a ticket for [`Backend::wait_durable`]
    /// (0 when there is nothing to wait for).
    fn after_commit(&self) -> StoreResult<u64>;
    /// Runs after the writer lock is released: returns once the commit with this
    /// ticket is durable. Writers that wait together share one sync (group commit).
    fn wait_durable(&self, ticket: u64) -> StoreResult<()>;
}

/// The write transaction shared by both backends.
pub(crate) struct Txn<'a, S: Backend> {
    store: &'a S,
    base: StateReadGuard<'a, S::State>,
    ov: Overlay,
    // Declared last so the writer lock is released after the state guard.
    _writer: MutexGuard<'a, ()>,
}

impl<'a, S: Backend> Txn<'a, S> {
    /// Starts a transaction, waiting for the writer lock.
    pub(crate) fn begin(store: &'a S) -> Self {
        let writer = store.writer().lock().unwrap_or_else(PoisonError::into_inner);
        let base = lock_read(store.state());
        let (node_base, edge_base) = base.next_ids();
        Txn {
            store,
            base,
            ov: Overlay {
                node_base,
                edge_base,
                ..Overlay::default()
            },
            _writer: writer,
        }
    }

    fn b(&self) -> &S::State {
        &self.base
    }

    fn new_node_ref(&self, id: u64) -> Option<&NodeRecord> {
        let i = usize::try_from(id.checked_sub(self.ov.node_base)?).ok()?;
        self.ov.new_nodes.get(i)?.as_ref()
    }

    fn new_edge_ref(&self, id: u64) -> Option<&EdgeRecord> {
        let i = usize::try_from(id.checked_sub(self.ov.edge_base)?).ok()?;
        self.ov.new_edges.get(i)?.as_ref()
    }

    fn is_new_node(&self, id: u64) -> bool {
        id >= self.ov.node_base
    }

    fn is_new_edge(&self, id: u64) -> bool {
        id >= self.ov.edge_base
    }

    fn node_exists(&self, id: u64) -> bool {
        if self.is_new_node(id) {
            self.new_node_ref(id).is_some()
        } else {
            !self.ov.del_nodes.contains(&id) && self.b().topo().has_node(id)
        }
    }

    fn edge_exists(&self, id: u64) -> bool {
        if self.is_new_edge(id) {
            self.new_edge_ref(id).is_some()
        } else {
            !self.ov.del_edges.contains(&id) && self.b().topo().edge(id).is_some()
        }
    }

    /// Labels of an existing node in the transaction's view.
    fn node_labels(&self, id: u64) -> Option<Vec<String>> {
        if self.is_new_node(id) {
            return self.new_node_ref(id).map(|r| r.labels.clone());
        }
        if self.ov.del_nodes.contains(&id) {
            return None;
        }
        if let Some(r) = self.ov.upd_nodes.get(&id) {
            return Some(r.labels.clone());
        }
        self.b().topo().label_names(id)
    }

    fn index_new_nodes(&self) {
        let mut lazy = self.ov.lazy.borrow_mut();
        let n = self.ov.new_nodes.len();
        let lazy = &mut *lazy;
        let base = self.ov.node_base;
        for i in lazy.names.upto..n {
            if let Some(r) = &self.ov.new_nodes[i] {
                for k in name_keys(&r.props) {
                    lazy.names.map.entry(k).or_default().push(base + i as u64);
                }
            }
        }
        lazy.names.upto = n;
        for i in lazy.labels.upto..n {
            if let Some(r) = &self.ov.new_nodes[i] {
                for l in &r.labels {
                    lazy.labels.map.entry(l.clone()).or_default().push(base + i as u64);
                }
            }
        }
        lazy.labels.upto = n;
    }

    fn index_new_props(&self, label: &str, key: &str) {
        let mut lazy = self.ov.lazy.borrow_mut();
        let n = self.ov.new_nodes.len();
        let base = self.ov.node_base;
        let idx = lazy.props.entry((label.to_string(), key.to_string())).or_default();
        for i in idx.upto..n {
            if let Some(r) = &self.ov.new_nodes[i]
                && r.has_label(label)
                && let Some(k) = prop_key(&r.props, key)
            {
                idx.map.entry(k).or_default().push(base + i as u64);
            }
        }
        idx.upto = n;
    }

    fn index_new_edges(&self) {
        let mut lazy = self.ov.lazy.borrow_mut();
        let lazy = &mut *lazy;
        let n = self.ov.new_edges.len();
        for i in lazy.edges_upto..n {
            if let Some(r) = &self.ov.new_edges[i] {
                let id = self.ov.edge_base + i as u64;
                lazy.out.entry(r.start.0).or_default().push(id);
                lazy.inn.entry(r.end.0).or_default().push(id);
            }
        }
        lazy.edges_upto = n;
    }

    /// Keeps the lazy indexes complete after a created node at offset `i` was replaced.
    fn reindex_new_node(&mut self, i: usize) {
        let Some(r) = self.ov.new_nodes[i].as_ref() else { return };
        let id = self.ov.node_base + i as u64;
        let lazy = self.ov.lazy.get_mut();
        if i < lazy.names.upto {
            for k in name_keys(&r.props) {
                lazy.names.map.entry(k).or_default().push(id);
            }
        }
        if i < lazy.labels.upto {
            for l in &r.labels {
                lazy.labels.map.entry(l.clone()).or_default().push(id);
            }
        }
        for ((label, key), idx) in lazy.props.iter_mut() {
            if i < idx.upto
                && r.has_label(label)
                && let Some(k) = prop_key(&r.props, key)
            {
                idx.map.entry(k).or_default().push(id);
            }
        }
    }

    fn new_edges_at(&self, node: u64, out: bool) -> Vec<u64> {
        self.index_new_edges();
        let lazy = self.ov.lazy.borrow();
        let map = if out { &lazy.out } else { &lazy.inn };
        map.get(&node).cloned().unwrap_or_default()
    }

    fn all_indexes(&self) -> Vec<(String, String)> {
        let mut all = self.b().index_list().to_vec();
        all.extend(self.ov.new_indexes.iter().cloned());
        all
    }

    fn current_schema(&self) -> &Schema {
        self.ov.schema.as_ref().unwrap_or_else(|| self.b().schema_ref())
    }

    /// Edges at a node in the transaction's view, both directions, each once.
    fn edges_at(&self, node: u64) -> StoreResult<Vec<EdgeId>> {
        let mut edges = Vec::new();
        self.expand(NodeId(node), Direction::Both, &[], &mut |a| {
            edges.push(a.edge);
            ControlFlow::Continue(())
        })?;
        Ok(edges)
    }

    /// Checks touched elements against the final schema.
    fn validate(&self) -> StoreResult<()> {
        let schema = self.current_schema();
        if schema.is_empty() {
            return Ok(());
        }
        let check_edge = |id: u64, rec: &EdgeRecord| -> StoreResult<()> {
            if !schema.edges.contains_key(&rec.rel_type) {
                return Ok(());
            }
            let start = self.node_labels(rec.start.0).ok_or(StoreError::NoSuchNode(rec.start))?;
            let end = self.node_labels(rec.end.0).ok_or(StoreError::NoSuchNode(rec.end))?;
            schema.check_edge(rec, &start, &end).map_err(StoreError::from)?;
            let _ = id;
            Ok(())
        };
        // Declared kinds close the vocabulary for new writes; labels and types that
        // existing elements already carry stay readable and writable.
        for rec in self.ov.new_nodes.iter().flatten() {
            for label in &rec.labels {
                schema.check_label(label)?;
            }
            schema.check_node(rec)?;
        }
        for (id, rec) in &self.ov.upd_nodes {
            let before = self.b().topo().label_names(*id).unwrap_or_default();
            for label in rec.labels.iter().filter(|l| !before.contains(l)) {
                schema.check_label(label)?;
            }
            schema.check_node(rec)?;
        }
        for rec in self.ov.new_edges.iter().flatten() {
            schema.check_type(&rec.rel_type)?;
        }
        let mut checked: HashSet<u64> = HashSet::new();
        for (i, rec) in self.ov.new_edges.iter().enumerate() {
            if let Some(rec) = rec {
                check_edge(self.ov.edge_base + i as u64, rec)?;
                checked.insert(self.ov.edge_base + i as u64);
            }
        }
        for (id, rec) in &self.ov.upd_edges {
            check_edge(*id, rec)?;
            checked.insert(*id);
        }
        // A node whose labels changed may no longer fit its edges' declared ends.
        for (id, rec) in &self.ov.upd_nodes {
            let old = self.b().topo().label_names(*id).unwrap_or_default();
            if old == rec.labels {
                continue;
            }
            for e in self.edges_at(*id)? {
                if checked.insert(e.0)
                    && let Some(erec) = self.edge(e)?
                {
                    check_edge(e.0, &erec)?;
                }
            }
        }
        Ok(())
    }

    /// Validates and turns the overlay into a change set.
    fn into_changes(self) -> StoreResult<(ChangeSet, &'a S, MutexGuard<'a, ()>)> {
        self.validate()?;
        let mut index_fill = Vec::new();
        for (pos, (label, key)) in self.ov.new_indexes.iter().enumerate() {
            // Nodes this transaction wrote are read through it, the rest from the
            // committed records in one pass.
            let mut committed = Vec::new();
            for n in self.nodes_with_label(label)? {
                let id = n.0;
                if self.is_new_node(id) || self.ov.del_nodes.contains(&id) || self.ov.upd_nodes.contains_key(&id) {
                    if let Some(rec) = self.node(n)?
                        && let Some(k) = prop_key(&rec.props, key)
                    {
                        index_fill.push((pos, k, id));
                    }
                } else {
                    committed.push(id);
                }
            }
            self.b().node_records_each(&committed, &mut |id, rec| {
                if let Some(k) = prop_key(&rec.props, key) {
                    index_fill.push((pos, k, id));
                }
            })?;
        }
        index_fill.sort_unstable_by_key(|(pos, _, id)| (*pos, *id));
        let Txn {
            store,
            base,
            ov,
            _writer,
        } = self;
        let mut changes = ChangeSet {
            next_node: ov.node_base + ov.new_nodes.len() as u64,
            next_edge: ov.edge_base + ov.new_edges.len() as u64,
            schema: ov.schema,
            new_indexes: ov.new_indexes,
            index_fill,
            ..ChangeSet::default()
        };
        let mut upd: Vec<(u64, NodeRecord)> = ov.upd_nodes.into_iter().collect();
        upd.sort_unstable_by_key(|(id, _)| *id);
        let mut del: Vec<u64> = ov.del_nodes.into_iter().collect();
        del.sort_unstable();
        for (id, rec) in upd {
            let old = base.node_record(id)?;
            changes.nodes.push(NodeChange {
                id,
                old,
                new: Some(rec),
            });
        }
        for id in del {
            let old = base.node_record(id)?;
            changes.nodes.push(NodeChange { id, old, new: None });
        }
        changes.new_node_base = ov.node_base;
        changes.new_nodes = ov.new_nodes;
        let mut upd: Vec<(u64, EdgeRecord)> = ov.upd_edges.into_iter().collect();
        upd.sort_unstable_by_key(|(id, _)| *id);
        let mut del: Vec<u64> = ov.del_edges.into_iter().collect();
        del.sort_unstable();
        for (id, rec) in upd {
            let old = base.edge_record(id)?;
            changes.edges.push(EdgeChange {
                id,
                old,
                new: Some(rec),
            });
        }
        for id in del {
            let old = base.edge_record(id)?;
            changes.edges.push(EdgeChange { id, old, new: None });
        }
        changes.new_edge_base = ov.edge_base;
        changes.new_edges = ov.new_edges;
        drop(base);
        Ok((changes, store, _writer))
    }
}

impl<S: Backend> GraphRead for Txn<'_, S> {
    fn node(&self, id: NodeId) -> StoreResult<Option<NodeRecord>> {
        if self.is_new_node(id.0) {
            return Ok(self.new_node_ref(id.0).cloned());
        }
        if self.ov.del_nodes.contains(&id.0) {
            return Ok(None);
        }
        if let Some(r) = self.ov.upd_nodes.get(&id.0) {
            return Ok(Some(r.clone()));
        }
        self.b().node_record(id.0)
    }

    fn edge(&self, id: EdgeId) -> StoreResult<Option<EdgeRecord>> {
        if self.is_new_edge(id.0) {
            return Ok(self.new_edge_ref(id.0).cloned());
        }
        if self.ov.del_edges.contains(&id.0) {
            return Ok(None);
        }
        if let Some(r) = self.ov.upd_edges.get(&id.0) {
            return Ok(Some(r.clone()));
        }
        self.b().edge_record(id.0)
    }

    fn has_node(&self, id: NodeId) -> bool {
        self.node_exists(id.0)
    }

    fn labels(&self, id: NodeId) -> StoreResult<Vec<String>> {
        Ok(self.node_labels(id.0).unwrap_or_default())
    }

    fn edge_ends(&self, id: EdgeId) -> StoreResult<Option<(String, NodeId, NodeId)>> {
        if self.is_new_edge(id.0) {
            return Ok(self.new_edge_ref(id.0).map(|r| (r.rel_type.clone(), r.start, r.end)));
        }
        if self.ov.del_edges.contains(&id.0) {
            return Ok(None);
        }
        Ok(self.b().topo().edge_ends(id.0))
    }

    fn expand(
        &self,
        node: NodeId,
        dir: Direction,
        types: &[&str],
        visit: &mut dyn FnMut(Adjacent) -> ControlFlow<()>,
    ) -> StoreResult<()> {
        if !self.node_exists(node.0) {
            return Ok(());
        }
        if !self.is_new_node(node.0) {
            let topo = self.b().topo();
            let filter = topo.type_filter(types);
            let del = &self.ov.del_edges;
            let flow = if del.is_empty() {
                topo.expand(node.0, dir, filter.as_filter(), visit)
            } else {
                topo.expand(node.0, dir, filter.as_filter(), &mut |a| {
                    if del.contains(&a.edge.0) {
                        ControlFlow::Continue(())
                    } else {
                        visit(a)
                    }
                })
            };
            if flow.is_break() {
                return Ok(());
            }
        }
        if self.ov.new_edges.is_empty() {
            return Ok(());
        }
        let wanted = |r: &EdgeRecord| types.is_empty() || types.contains(&r.rel_type.as_str());
        if matches!(dir, Direction::Outgoing | Direction::Both) {
            for e in self.new_edges_at(node.0, true) {
                if let Some(r) = self.new_edge_ref(e)
                    && wanted(r)
                {
                    let a = Adjacent {
                        edge: EdgeId(e),
                        other: r.end,
                        outgoing: true,
                    };
                    if visit(a).is_break() {
                        return Ok(());
                    }
                }
            }
        }
        if matches!(dir, Direction::Incoming | Direction::Both) {
            for e in self.new_edges_at(node.0, false) {
                if let Some(r) = self.new_edge_ref(e)
                    && wanted(r)
                    && !(dir == Direction::Both && r.start == node)
                {
                    let a = Adjacent {
                        edge: EdgeId(e),
                        other: r.start,
                        outgoing: false,
                    };
                    if visit(a).is_break() {
                        return Ok(());
                    }
                }
            }
        }
        Ok(())
    }

    fn degree(&self, node: NodeId, dir: Direction, types: &[&str]) -> StoreResult<u64> {
        if self.ov.del_edges.is_empty() && self.ov.new_edges.is_empty() {
            let topo = self.b().topo();
            if !self.node_exists(node.0) {
                return Ok(0);
            }
            let filter = topo.type_filter(types);
            return Ok(topo.degree(node.0, dir, filter.as_filter()));
        }
        let mut n = 0;
        self.expand(node, dir, types, &mut |_| {
            n += 1;
            ControlFlow::Continue(())
        })?;
        Ok(n)
    }

    fn all_nodes(&self) -> StoreResult<Vec<NodeId>> {
        let mut ids: Vec<NodeId> = self
            .b()
            .topo()
            .node_ids()
            .filter(|id| !self.ov.del_nodes.contains(id))
            .map(NodeId)
            .collect();
        for (i, r) in self.ov.new_nodes.iter().enumerate() {
            if r.is_some() {
                ids.push(NodeId(self.ov.node_base + i as u64));
            }
        }
        Ok(ids)
    }

    fn nodes_with_label(&self, label: &str) -> StoreResult<Vec<NodeId>> {
        let topo = self.b().topo();
        let mut ids: Vec<u64> = topo
            .nodes_with_label(label)
            .into_iter()
            .filter(|id| {
                !self.ov.del_nodes.contains(id) && self.ov.upd_nodes.get(id).is_none_or(|r| r.has_label(label))
            })
            .collect();
        let mut extra = false;
        for (id, r) in &self.ov.upd_nodes {
            if r.has_label(label) && !topo.node_has_label(*id, label) {
                ids.push(*id);
                extra = true;
            }
        }
        if extra {
            ids.sort_unstable();
        }
        if !self.ov.new_nodes.is_empty() {
            self.index_new_nodes();
            let lazy = self.ov.lazy.borrow();
            if let Some(list) = lazy.labels.map.get(label) {
                let mut fresh: Vec<u64> = list
                    .iter()
                    .copied()
                    .filter(|id| self.new_node_ref(*id).is_some_and(|r| r.has_label(label)))
                    .collect();
                fresh.sort_unstable();
                fresh.dedup();
                ids.extend(fresh);
            }
        }
        Ok(ids.into_iter().map(NodeId).collect())
    }

    fn all_edges(&self) -> StoreResult<Vec<EdgeId>> {
        let mut ids: Vec<EdgeId> = self
            .b()
            .topo()
            .edge_ids()
            .filter(|id| !self.ov.del_edges.contains(id))
            .map(EdgeId)
            .collect();
        for (i, r) in self.ov.new_edges.iter().enumerate() {
            if r.is_some() {
                ids.push(EdgeId(self.ov.edge_base + i as u64));
            }
        }
        Ok(ids)
    }

    fn lookup_name(&self, key: &str) -> StoreResult<Vec<NodeId>> {
        let has_key = |r: &NodeRecord| name_keys(&r.props).iter().any(|k| k == key);
        let mut ids: Vec<u64> = self
            .b()
            .name_lookup(key)?
            .into_iter()
            .filter(|id| !self.ov.del_nodes.contains(id) && self.ov.upd_nodes.get(id).is_none_or(has_key))
            .collect();
        for (id, r) in &self.ov.upd_nodes {
            if has_key(r) && !ids.contains(id) {
                ids.push(*id);
            }
        }
        if !self.ov.new_nodes.is_empty() {
            self.index_new_nodes();
            let lazy = self.ov.lazy.borrow();
            if let Some(list) = lazy.names.map.get(key) {
                ids.extend(
                    list.iter()
                        .copied()
                        .filter(|id| self.new_node_ref(*id).is_some_and(has_key)),
                );
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids.into_iter().map(NodeId).collect())
    }

    fn name_keys(&self) -> StoreResult<Vec<(String, NodeId)>> {
        let mut keys: Vec<(String, NodeId)> = self
            .b()
            .all_name_keys()?
            .into_iter()
            .filter(|(_, id)| !self.ov.del_nodes.contains(id) && !self.ov.upd_nodes.contains_key(id))
            .map(|(k, id)| (k, NodeId(id)))
            .collect();
        for (id, r) in &self.ov.upd_nodes {
            keys.extend(name_keys(&r.props).into_iter().map(|k| (k, NodeId(*id))));
        }
        for (i, r) in self.ov.new_nodes.iter().enumerate() {
            if let Some(r) = r {
                let id = NodeId(self.ov.node_base + i as u64);
                keys.extend(name_keys(&r.props).into_iter().map(|k| (k, id)));
            }
        }
        keys.sort();
        Ok(keys)
    }

    fn find_by_property(&self, label: &str, key: &str, value: &Value) -> StoreResult<Option<Vec<NodeId>>> {
        let committed = index_position(self.b().index_list(), label, key);
        let pending = self.ov.new_indexes.iter().any(|(l, k)| l == label && k == key);
        if committed.is_none() && !pending {
            return Ok(None);
        }
        let Some(vkey) = value_key(value) else {
            return Ok(Some(Vec::new()));
        };
        let matches = |r: &NodeRecord| r.has_label(label) && prop_key(&r.props, key).as_deref() == Some(&vkey[..]);
        let Some(pos) = committed else {
            // Declared in this transaction: answer by scanning the label.
            let mut ids = Vec::new();
            for id in self.nodes_with_label(label)? {
                if self.node(id)?.is_some_and(|r| matches(&r)) {
                    ids.push(id);
                }
            }
            return Ok(Some(ids));
        };
        let mut ids: Vec<u64> = self
            .b()
            .index_lookup(pos, &vkey)?
            .into_iter()
            .filter(|id| !self.ov.del_nodes.contains(id) && self.ov.upd_nodes.get(id).is_none_or(matches))
            .collect();
        for (id, r) in &self.ov.upd_nodes {
            if matches(r) && !ids.contains(id) {
                ids.push(*id);
            }
        }
        if !self.ov.new_nodes.is_empty() {
            self.index_new_props(label, key);
            let lazy = self.ov.lazy.borrow();
            if let Some(list) = lazy
                .props
                .get(&(label.to_string(), key.to_string()))
                .and_then(|idx| idx.map.get(&vkey))
            {
                ids.extend(
                    list.iter()
                        .copied()
                        .filter(|id| self.new_node_ref(*id).is_some_and(matches)),
                );
            }
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(Some(ids.into_iter().map(NodeId).collect()))
    }

    fn indexes(&self) -> StoreResult<Vec<(String, String)>> {
        Ok(self.all_indexes())
    }

    fn schema(&self) -> StoreResult<Schema> {
        Ok(self.current_schema().clone())
    }

    fn stats(&self) -> StoreResult<Stats> {
        let topo = self.b().topo();
        let mut s = stats_of(topo);
        let mut labels: BTreeMap<String, i64> = s.labels.iter().map(|(k, v)| (k.clone(), *v as i64)).collect();
        let mut types: BTreeMap<String, i64> = s.types.iter().map(|(k, v)| (k.clone(), *v as i64)).collect();
        let mut nodes = s.nodes as i64;
        let mut edges = s.edges as i64;
        let bump = |map: &mut BTreeMap<String, i64>, k: &str, d: i64| *map.entry(k.to_string()).or_default() += d;
        for id in &self.ov.del_nodes {
            nodes -= 1;
            for l in topo.label_names(*id).unwrap_or_default() {
                bump(&mut labels, &l, -1);
            }
        }
        for (id, r) in &self.ov.upd_nodes {
            for l in topo.label_names(*id).unwrap_or_default() {
                bump(&mut labels, &l, -1);
            }
            for l in &r.labels {
                bump(&mut labels, l, 1);
            }
        }
        for r in self.ov.new_nodes.iter().flatten() {
            nodes += 1;
            for l in &r.labels {
                bump(&mut labels, l, 1);
            }
        }
        for id in &self.ov.del_edges {
            edges -= 1;
            if let Some((t, _, _)) = topo.edge_ends(*id) {
                bump(&mut types, &t, -1);
            }
        }
        for r in self.ov.new_edges.iter().flatten() {
            edges += 1;
            bump(&mut types, &r.rel_type, 1);
        }
        let keep = |m: BTreeMap<String, i64>| -> BTreeMap<String, u64> {
            m.into_iter()
                .filter(|(_, v)| *v > 0)
                .map(|(k, v)| (k, v as u64))
                .collect()
        };
        s.nodes = nodes.max(0) as u64;
        s.edges = edges.max(0) as u64;
        s.labels = keep(labels);
        s.types = keep(types);
        Ok(s)
    }
}

impl<S: Backend> GraphWrite for Txn<'_, S> {
    fn create_node(&mut self, record: NodeRecord) -> StoreResult<NodeId> {
        let rec = clean_node(record)?;
        let id = self.ov.node_base + self.ov.new_nodes.len() as u64;
        self.ov.new_nodes.push(Some(rec));
        Ok(NodeId(id))
    }

    fn create_edge(&mut self, record: EdgeRecord) -> StoreResult<EdgeId> {
        let rec = clean_edge(record)?;
        for n in [rec.start, rec.end] {
            if !self.node_exists(n.0) {
                return Err(StoreError::NoSuchNode(n));
            }
        }
        let id = self.ov.edge_base + self.ov.new_edges.len() as u64;
        self.ov.new_edges.push(Some(rec));
        Ok(EdgeId(id))
    }

    fn update_node(&mut self, id: NodeId, record: NodeRecord) -> StoreResult<()> {
        if !self.node_exists(id.0) {
            return Err(StoreError::NoSuchNode(id));
        }
        let rec = clean_node(record)?;
        if self.is_new_node(id.0) {
            let i = (id.0 - self.ov.node_base) as usize;
            self.ov.new_nodes[i] = Some(rec);
            self.reindex_new_node(i);
        } else {
            self.ov.upd_nodes.insert(id.0, rec);
        }
        Ok(())
    }

    fn update_edge(&mut self, id: EdgeId, record: EdgeRecord) -> StoreResult<()> {
        let Some((ty, start, end)) = self.edge_ends(id)? else {
            return Err(StoreError::NoSuchEdge(id));
        };
        if ty != record.rel_type || start != record.start || end != record.end {
            return Err(StoreError::EdgeShapeChanged(id));
        }
        let rec = clean_edge(record)?;
        if self.is_new_edge(id.0) {
            let i = (id.0 - self.ov.edge_base) as usize;
            self.ov.new_edges[i] = Some(rec);
        } else {
            self.ov.upd_edges.insert(id.0, rec);
        }
        Ok(())
    }

    fn delete_node(&mut self, id: NodeId, detach: bool) -> StoreResult<()> {
        if !self.node_exists(id.0) {
            return Err(StoreError::NoSuchNode(id));
        }
        let edges = self.edges_at(id.0)?;
        if !edges.is_empty() && !detach {
            return Err(StoreError::NodeHasEdges {
                node: id,
                edges: edges.len() as u64,
            });
        }
        for e in edges {
            self.delete_edge(e)?;
        }
        if self.is_new_node(id.0) {
            let i = (id.0 - self.ov.node_base) as usize;
            self.ov.new_nodes[i] = None;
        } else {
            self.ov.upd_nodes.remove(&id.0);
            self.ov.del_nodes.insert(id.0);
        }
        Ok(())
    }

    fn delete_edge(&mut self, id: EdgeId) -> StoreResult<()> {
        if !self.edge_exists(id.0) {
            return Err(StoreError::NoSuchEdge(id));
        }
        if self.is_new_edge(id.0) {
            let i = (id.0 - self.ov.edge_base) as usize;
            self.ov.new_edges[i] = None;
        } else {
            self.ov.upd_edges.remove(&id.0);
            self.ov.del_edges.insert(id.0);
        }
        Ok(())
    }

    fn set_schema(&mut self, schema: Schema) -> StoreResult<()> {
        if !schema.is_empty() {
            for id in self.all_nodes()? {
                if let Some(rec) = self.node(id)? {
                    schema.check_node(&rec)?;
                }
            }
            for id in self.all_edges()? {
                if let Some(rec) = self.edge(id)?
                    && schema.edges.contains_key(&rec.rel_type)
                {
                    let start = self.labels(rec.start)?;
                    let end = self.labels(rec.end)?;
                    schema.check_edge(&rec, &start, &end)?;
                }
            }
        }
        self.ov.schema = Some(schema);
        Ok(())
    }

    fn create_index(&mut self, label: &str, key: &str) -> StoreResult<()> {
        let known = self.all_indexes().iter().any(|(l, k)| l == label && k == key);
        if !known {
            self.ov.new_indexes.push((label.to_string(), key.to_string()));
        }
        Ok(())
    }
}

impl<S: Backend> WriteTxn for Txn<'_, S> {
    fn commit(self: Box<Self>) -> StoreResult<()> {
        let (changes, store, writer) = (*self).into_changes()?;
        {
            let mut state = store.state().write();
            store.apply(&mut state, changes)?;
        }
        let ticket = store.after_commit();
        drop(writer);
        store.wait_durable(ticket?)
    }

    fn rollback(self: Box<Self>) {}
}
