//! The in-memory topology shared by both backends: which nodes and edges exist,
//! node labels, edge types and endpoints, and per-node adjacency grouped by edge type.
//!
//! Node and edge ids index dense vectors directly (ids are assigned in increasing
//! order and never reused). A node's outgoing and incoming edges are each one list
//! sorted by (type id, edge id), so the edges of one type are a contiguous range
//! found by binary search and an expand by type never walks other types.
//!
//! The lists live in two compressed sparse rows ([`Csr`]: one offset array and one
//! entry array per direction, two allocations in all) built in one pass when a store
//! opens or after a bulk change. A commit that touches a few nodes copies just those
//! nodes' lists into a small map that takes precedence over the rows; when that map
//! grows large the rows are rebuilt from the edge table.

use lodestone_model::{Direction, EdgeId, NodeId};
use petgraph::visit::{GraphBase, GraphRef, IntoNeighbors, IntoNeighborsDirected, Visitable};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::ControlFlow;

use crate::Adjacent;

/// Marks an absent node slot (its labelset) or edge slot (its type).
const ABSENT: u32 = u32::MAX;

/// Interns strings (labels or edge types) as dense `u32` ids.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    names: Vec<String>,
    ids: FxHashMap<String, u32>,
}

impl Interner {
    /// The id of `name`, when interned.
    pub(crate) fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// The id of `name`, interning it when new.
    pub(crate) fn intern(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_string());
        self.ids.insert(name.to_string(), id);
        id
    }

    /// The name of `id`.
    pub(crate) fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }

    /// Every interned name, in id order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    /// Rebuilds an interner from names in id order.
    pub(crate) fn from_names(names: Vec<String>) -> Self {
        let ids = names.iter().enumerate().map(|(i, n)| (n.clone(), i as u32)).collect();
        Interner { names, ids }
    }

    /// Number of interned names.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

/// One adjacency entry: the edge, its type and the node at the other end.
/// Packed to 20 bytes: the lists hold two entries per edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed(4))]
pub(crate) struct Adj {
    /// Edge type id.
    pub ty: u32,
    /// Edge id.
    pub edge: u64,
    /// The other endpoint.
    pub other: u64,
}

/// Edge type ids a traversal keeps: every type, or a sorted, deduplicated set,
/// inline when small so a filter per expanded node costs no allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TypeIds {
    /// Every type.
    All,
    /// Up to [`TypeIds::INLINE`] ids: the first `.1` entries of the array.
    Few([u32; TypeIds::INLINE], usize),
    /// More ids.
    Many(Vec<u32>),
}

impl TypeIds {
    /// Ids kept inline.
    const INLINE: usize = 4;

    /// The ids, or `None` for every type.
    pub(crate) fn as_filter(&self) -> Option<&[u32]> {
        match self {
            TypeIds::All => None,
            TypeIds::Few(ids, len) => Some(&ids[..*len]),
            TypeIds::Many(ids) => Some(ids),
        }
    }
}

impl Adj {
    fn key(&self) -> (u32, u64) {
        (self.ty, self.edge)
    }
}

/// The entries of type `ty` in a list sorted by type: a contiguous range.
pub(crate) fn of_type(list: &[Adj], ty: u32) -> &[Adj] {
    let lo = list.partition_point(|a| a.ty < ty);
    let hi = lo + list[lo..].partition_point(|a| a.ty <= ty);
    &list[lo..hi]
}

/// A node's lists once a commit has changed them (they then shadow the rows).
#[derive(Debug, Clone, Default)]
struct NodeSlot {
    out: Vec<Adj>,
    inn: Vec<Adj>,
}

/// Adjacency lists of nodes `0..off.len() - 1` in one direction: node `n`'s list is
/// `adj[off[n]..off[n + 1]]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Csr {
    /// Start of each node's list, plus the end of the last one.
    pub off: Vec<u64>,
    /// Every list, one after the other.
    pub adj: Vec<Adj>,
}

impl Csr {
    fn list(&self, node: usize) -> &[Adj] {
        match (self.off.get(node), self.off.get(node + 1)) {
            (Some(&a), Some(&b)) => self.adj.get(idx(a)..idx(b)).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Whether the offsets are sound for `adj` (for data read from a file).
    pub(crate) fn is_valid(&self) -> bool {
        self.off.first().is_none_or(|f| *f == 0)
            && self.off.windows(2).all(|w| w[0] <= w[1])
            && self.off.last().is_none_or(|l| *l == self.adj.len() as u64)
    }
}

/// Type and endpoints of an edge, packed to 20 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, packed(4))]
pub(crate) struct EdgeSlot {
    /// Type id, or [`ABSENT`].
    pub ty: u32,
    /// Start node.
    pub start: u64,
    /// End node.
    pub end: u64,
}

impl Default for EdgeSlot {
    fn default() -> Self {
        EdgeSlot {
            ty: ABSENT,
            start: 0,
            end: 0,
        }
    }
}

/// The committed topology of a graph.
#[derive(Debug, Clone, Default)]
pub(crate) struct Topology {
    /// Label names.
    pub labels: Interner,
    /// Edge type names.
    pub types: Interner,
    labelsets: Vec<Box<[u32]>>,
    labelset_ids: HashMap<Box<[u32]>, u32>,
    /// Interned label set per node id, or [`ABSENT`]; kept apart from the adjacency
    /// so existence checks touch 4 bytes per node.
    sets: Vec<u32>,
    out: Csr,
    inn: Csr,
    /// Lists changed since the rows were built; they shadow the rows.
    changed: FxHashMap<u64, NodeSlot>,
    edges: Vec<EdgeSlot>,
    by_label: Vec<BTreeSet<u64>>,
    label_counts: Vec<u64>,
    type_counts: Vec<u64>,
    node_count: u64,
    edge_count: u64,
}

fn idx(id: u64) -> usize {
    usize::try_from(id).unwrap_or(usize::MAX)
}

impl Topology {
    /// Number of nodes.
    pub(crate) fn node_count(&self) -> u64 {
        self.node_count
    }

    /// Number of edges.
    pub(crate) fn edge_count(&self) -> u64 {
        self.edge_count
    }

    /// Whether the node exists.
    pub(crate) fn has_node(&self, id: u64) -> bool {
        self.sets.get(idx(id)).is_some_and(|s| *s != ABSENT)
    }

    /// The node's label ids, when it exists.
    pub(crate) fn label_ids(&self, id: u64) -> Option<&[u32]> {
        let set = *self.sets.get(idx(id))?;
        if set == ABSENT {
            return None;
        }
        self.labelsets.get(set as usize).map(|b| &b[..])
    }

    /// The node's label names, when it exists.
    pub(crate) fn label_names(&self, id: u64) -> Option<Vec<String>> {
        self.label_ids(id)
            .map(|ids| ids.iter().map(|l| self.labels.name(*l).to_string()).collect())
    }

    /// The edge's slot, when it exists.
    pub(crate) fn edge(&self, id: u64) -> Option<EdgeSlot> {
        self.edges.get(idx(id)).copied().filter(|e| e.ty != ABSENT)
    }

    /// The edge's type name and endpoints, when it exists.
    pub(crate) fn edge_ends(&self, id: u64) -> Option<(String, NodeId, NodeId)> {
        self.edge(id)
            .map(|e| (self.types.name(e.ty).to_string(), NodeId(e.start), NodeId(e.end)))
    }

    fn grow_nodes(&mut self, len: usize) {
        if self.sets.len() < len {
            self.sets.resize(len, ABSENT);
        }
    }

    /// A node's lists for editing: copied out of the rows the first time.
    fn slot_mut(&mut self, node: u64) -> &mut NodeSlot {
        let (out, inn) = (&self.out, &self.inn);
        self.changed.entry(node).or_insert_with(|| NodeSlot {
            out: out.list(idx(node)).to_vec(),
            inn: inn.list(idx(node)).to_vec(),
        })
    }

    /// Rebuilds both rows from the edge table and forgets the changed lists.
    fn rebuild_rows(&mut self) {
        self.changed = FxHashMap::default();
        self.out = Csr::default();
        self.inn = Csr::default();
        let n = self.sets.len();
        let mut out_off = vec![0u64; n + 1];
        let mut in_off = vec![0u64; n + 1];
        for e in self.edges.iter().filter(|e| e.ty != ABSENT) {
            out_off[idx(e.start) + 1] += 1;
            in_off[idx(e.end) + 1] += 1;
        }
        for i in 0..n {
            out_off[i + 1] += out_off[i];
            in_off[i + 1] += in_off[i];
        }
        let blank = Adj {
            ty: 0,
            edge: 0,
            other: 0,
        };
        let mut out_adj = vec![blank; idx(out_off[n])];
        let mut in_adj = vec![blank; idx(in_off[n])];
        // Cursors start at each list's beginning; filling in edge order leaves every
        // list sorted by edge id, so only lists mixing types need a sort.
        let mut out_at: Vec<u64> = out_off[..n].to_vec();
        let mut in_at: Vec<u64> = in_off[..n].to_vec();
        for (id, e) in self.edges.iter().enumerate() {
            if e.ty == ABSENT {
                continue;
            }
            let (s, t) = (idx(e.start), idx(e.end));
            out_adj[idx(out_at[s])] = Adj {
                ty: e.ty,
                edge: id as u64,
                other: e.end,
            };
            out_at[s] += 1;
            in_adj[idx(in_at[t])] = Adj {
                ty: e.ty,
                edge: id as u64,
                other: e.start,
            };
            in_at[t] += 1;
        }
        drop((out_at, in_at));
        for (off, adj) in [(&out_off, &mut out_adj), (&in_off, &mut in_adj)] {
            for w in off.windows(2) {
                let list = &mut adj[idx(w[0])..idx(w[1])];
                if list.windows(2).any(|p| p[0].ty > p[1].ty) {
                    list.sort_by_key(Adj::key);
                }
            }
        }
        self.out = Csr {
            off: out_off,
            adj: out_adj,
        };
        self.inn = Csr {
            off: in_off,
            adj: in_adj,
        };
    }

    /// Rebuilds the rows when the changed lists have grown large.
    fn maybe_compact(&mut self) {
        if self.changed.len() > 4096 && self.changed.len() * 8 > self.sets.len() {
            self.rebuild_rows();
        }
    }

    fn labelset_id(&mut self, labels: &[u32]) -> u32 {
        if let Some(id) = self.labelset_ids.get(labels) {
            return *id;
        }
        let id = self.labelsets.len() as u32;
        self.labelsets.push(labels.into());
        self.labelset_ids.insert(labels.into(), id);
        id
    }

    /// Interns label names, in order.
    pub(crate) fn intern_labels(&mut self, labels: &[String]) -> Vec<u32> {
        labels.iter().map(|l| self.labels.intern(l)).collect()
    }

    fn count_label(&mut self, label: u32, id: u64, add: bool) {
        let l = label as usize;
        if self.by_label.len() <= l {
            self.by_label.resize_with(l + 1, BTreeSet::new);
            self.label_counts.resize(l + 1, 0);
        }
        if add {
            if self.by_label[l].insert(id) {
                self.label_counts[l] += 1;
            }
        } else if self.by_label[l].remove(&id) {
            self.label_counts[l] -= 1;
        }
    }

    /// Creates the node or replaces its labels (label ids from [`Self::intern_labels`]).
    pub(crate) fn set_node(&mut self, id: u64, labels: &[u32]) {
        let i = idx(id);
        self.grow_nodes(i + 1);
        let old = self.sets[i];
        if old == ABSENT {
            self.node_count += 1;
        } else {
            let old_labels = self.labelsets[old as usize].clone();
            for l in old_labels.iter() {
                self.count_label(*l, id, false);
            }
        }
        let set = self.labelset_id(labels);
        self.sets[i] = set;
        for l in labels {
            self.count_label(*l, id, true);
        }
    }

    /// Removes a node; its edges must already be gone.
    pub(crate) fn remove_node(&mut self, id: u64) {
        let Some(&set) = self.sets.get(idx(id)) else { return };
        if set == ABSENT {
            return;
        }
        let labels = self.labelsets[set as usize].clone();
        for l in labels.iter() {
            self.count_label(*l, id, false);
        }
        self.sets[idx(id)] = ABSENT;
        if !self.adjacency(id, true).is_empty() || !self.adjacency(id, false).is_empty() {
            self.changed.insert(id, NodeSlot::default());
        }
        self.node_count -= 1;
    }

    /// Adds edges `(id, type id, start, end)`; endpoints must exist. A large batch
    /// rebuilds the rows; a small one edits copies of the touched nodes' lists.
    pub(crate) fn add_edges(&mut self, edges: &[(u64, u32, u64, u64)]) {
        if let Some(max) = edges.iter().map(|e| idx(e.0)).max()
            && self.edges.len() <= max
        {
            self.edges.resize_with(max + 1, EdgeSlot::default);
        }
        if let Some(max) = edges.iter().map(|e| idx(e.2.max(e.3))).max() {
            self.grow_nodes(max + 1);
        }
        let large = edges.len() >= 4096 && edges.len() as u64 * 8 >= self.edge_count;
        let mut unsorted: FxHashSet<(u64, bool)> = FxHashSet::default();
        for &(id, ty, start, end) in edges {
            if !self.place_edge(id, ty, start, end) {
                continue;
            }
            if large {
                continue;
            }
            let out = Adj {
                ty,
                edge: id,
                other: end,
            };
            let list = &mut self.slot_mut(start).out;
            if list.last().is_some_and(|l| l.key() > out.key()) {
                unsorted.insert((start, true));
            }
            list.push(out);
            let inn = Adj {
                ty,
                edge: id,
                other: start,
            };
            let list = &mut self.slot_mut(end).inn;
            if list.last().is_some_and(|l| l.key() > inn.key()) {
                unsorted.insert((end, false));
            }
            list.push(inn);
        }
        if large {
            self.rebuild_rows();
            return;
        }
        for (node, out) in unsorted {
            let slot = self.slot_mut(node);
            let list = if out { &mut slot.out } else { &mut slot.inn };
            list.sort_unstable_by_key(Adj::key);
        }
        self.maybe_compact();
    }

    /// Records one edge while a store opens, before [`Self::finish_edges`]; an
    /// edge already present is left alone.
    pub(crate) fn load_edge(&mut self, id: u64, ty: u32, start: u64, end: u64) {
        let i = idx(id);
        if self.edges.len() <= i {
            self.edges.resize_with(i + 1, EdgeSlot::default);
        }
        self.place_edge(id, ty, start, end);
    }

    /// Records an edge in its slot (which must exist) and counts it; false when
    /// the slot already holds an edge.
    fn place_edge(&mut self, id: u64, ty: u32, start: u64, end: u64) -> bool {
        let i = idx(id);
        if self.edges[i].ty != ABSENT {
            return false;
        }
        self.edges[i] = EdgeSlot { ty, start, end };
        self.edge_count += 1;
        let t = ty as usize;
        if self.type_counts.len() <= t {
            self.type_counts.resize(t + 1, 0);
        }
        self.type_counts[t] += 1;
        true
    }

    /// Reserves room for edge ids below `n` (a hint while opening).
    pub(crate) fn reserve_edges(&mut self, n: usize) {
        self.edges.reserve(n.saturating_sub(self.edges.len()));
    }

    /// Checks the edges recorded by [`Self::load_edge`] and builds the rows. Fails
    /// with the id of the first edge whose endpoint does not exist.
    pub(crate) fn finish_edges(&mut self) -> Result<(), u64> {
        for (id, e) in self.edges.iter().enumerate() {
            if e.ty != ABSENT && (!self.has_node(e.start) || !self.has_node(e.end)) {
                return Err(id as u64);
            }
        }
        self.rebuild_rows();
        Ok(())
    }

    /// Removes edges by id; absent ids are ignored.
    pub(crate) fn remove_edges(&mut self, ids: &[u64]) {
        let mut touched: FxHashSet<(u64, bool)> = FxHashSet::default();
        for &id in ids {
            let Some(e) = self.edge(id) else { continue };
            self.edges[idx(id)] = EdgeSlot::default();
            self.edge_count -= 1;
            self.type_counts[e.ty as usize] -= 1;
            touched.insert((e.start, true));
            touched.insert((e.end, false));
        }
        for (node, out) in touched {
            let (out_rows, in_rows, edges) = (&self.out, &self.inn, &self.edges);
            let slot = self.changed.entry(node).or_insert_with(|| NodeSlot {
                out: out_rows.list(idx(node)).to_vec(),
                inn: in_rows.list(idx(node)).to_vec(),
            });
            let list = if out { &mut slot.out } else { &mut slot.inn };
            list.retain(|a| edges.get(idx(a.edge)).is_some_and(|e| e.ty != ABSENT));
        }
        self.maybe_compact();
    }

    /// Reads the middle of `node`'s lists in `dir` and drops the value: called a few
    /// nodes ahead of a batch expansion, it starts the memory reads that the type
    /// search of the later expand would otherwise wait for.
    pub(crate) fn touch(&self, node: u64, dir: Direction) {
        let mid = |list: &[Adj]| list.get(list.len() / 2).map(|a| a.ty);
        if matches!(dir, Direction::Outgoing | Direction::Both) {
            std::hint::black_box(mid(self.adjacency(node, true)));
        }
        if matches!(dir, Direction::Incoming | Direction::Both) {
            std::hint::black_box(mid(self.adjacency(node, false)));
        }
    }

    /// An exclusive bound of the node ids (every node id is below it).
    pub(crate) fn node_bound(&self) -> usize {
        self.sets.len()
    }

    /// Number of edges of type `ty`.
    pub(crate) fn type_count(&self, ty: u32) -> u64 {
        self.type_counts.get(ty as usize).copied().unwrap_or(0)
    }

    /// The entries of type `ty` in a node's out or in adjacency, in list order.
    pub(crate) fn type_range(&self, node: u64, out: bool, ty: u32) -> &[Adj] {
        of_type(self.adjacency(node, out), ty)
    }

    /// The out or in adjacency of a node (empty when absent).
    pub(crate) fn adjacency(&self, node: u64, out: bool) -> &[Adj] {
        if !self.changed.is_empty()
            && let Some(s) = self.changed.get(&node)
        {
            return if out { &s.out } else { &s.inn };
        }
        if out {
            self.out.list(idx(node))
        } else {
            self.inn.list(idx(node))
        }
    }

    /// Type ids for the given names, sorted (see [`TypeIds`]).
    /// Unknown names are dropped (they have no edges).
    pub(crate) fn type_filter(&self, types: &[&str]) -> TypeIds {
        if types.is_empty() {
            return TypeIds::All;
        }
        let mut inline = [0u32; TypeIds::INLINE];
        let mut len = 0;
        let mut ids = types.iter().filter_map(|t| self.types.get(t));
        for id in ids.by_ref() {
            if inline[..len].contains(&id) {
                continue;
            }
            if len == TypeIds::INLINE {
                let mut all: Vec<u32> = inline.to_vec();
                all.push(id);
                all.extend(ids);
                all.sort_unstable();
                all.dedup();
                return TypeIds::Many(all);
            }
            inline[len] = id;
            len += 1;
        }
        inline[..len].sort_unstable();
        TypeIds::Few(inline, len)
    }

    fn visit_list(list: &[Adj], filter: Option<&[u32]>, mut f: impl FnMut(&Adj) -> ControlFlow<()>) -> ControlFlow<()> {
        match filter {
            None => {
                for a in list {
                    f(a)?;
                }
            }
            Some(types) => {
                for &t in types {
                    for a in of_type(list, t) {
                        f(a)?;
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// Visits the committed edges at `node` in `dir` whose type is in `filter`
    /// (all when `None`), each once; a self-loop under `Both` is visited as outgoing.
    pub(crate) fn expand<F>(&self, node: u64, dir: Direction, filter: Option<&[u32]>, visit: &mut F) -> ControlFlow<()>
    where
        F: FnMut(Adjacent) -> ControlFlow<()> + ?Sized,
    {
        let adjacent = |a: &Adj, outgoing: bool| Adjacent {
            edge: EdgeId(a.edge),
            other: NodeId(a.other),
            outgoing,
        };
        if matches!(dir, Direction::Outgoing | Direction::Both) {
            Self::visit_list(self.adjacency(node, true), filter, |a| visit(adjacent(a, true)))?;
        }
        if matches!(dir, Direction::Incoming | Direction::Both) {
            let both = dir == Direction::Both;
            Self::visit_list(self.adjacency(node, false), filter, |a| {
                if both && a.other == node {
                    ControlFlow::Continue(())
                } else {
                    visit(adjacent(a, false))
                }
            })?;
        }
        ControlFlow::Continue(())
    }

    /// Number of committed edges at `node` in `dir` with a type in `filter`.
    pub(crate) fn degree(&self, node: u64, dir: Direction, filter: Option<&[u32]>) -> u64 {
        let count = |list: &[Adj], skip_loops: bool| -> u64 {
            let in_range = |a: &&Adj| !(skip_loops && a.other == node);
            match filter {
                None if !skip_loops => list.len() as u64,
                None => list.iter().filter(in_range).count() as u64,
                Some(types) => types
                    .iter()
                    .map(|&t| {
                        let range = of_type(list, t);
                        if skip_loops {
                            range.iter().filter(in_range).count() as u64
                        } else {
                            range.len() as u64
                        }
                    })
                    .sum(),
            }
        };
        let mut n = 0;
        if matches!(dir, Direction::Outgoing | Direction::Both) {
            n += count(self.adjacency(node, true), false);
        }
        if matches!(dir, Direction::Incoming | Direction::Both) {
            n += count(self.adjacency(node, false), dir == Direction::Both);
        }
        n
    }

    /// Every node id, ascending.
    pub(crate) fn node_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.sets
            .iter()
            .enumerate()
            .filter(|(_, s)| **s != ABSENT)
            .map(|(i, _)| i as u64)
    }

    /// Every edge id, ascending.
    pub(crate) fn edge_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.edges
            .iter()
            .enumerate()
            .filter(|(_, s)| s.ty != ABSENT)
            .map(|(i, _)| i as u64)
    }

    /// Nodes carrying the label, ascending.
    pub(crate) fn nodes_with_label(&self, label: &str) -> Vec<u64> {
        match self.labels.get(label).and_then(|l| self.by_label.get(l as usize)) {
            Some(set) => set.iter().copied().collect(),
            None => Vec::new(),
        }
    }

    /// Whether the node carries the label.
    pub(crate) fn node_has_label(&self, node: u64, label: &str) -> bool {
        match (self.labels.get(label), self.label_ids(node)) {
            (Some(l), Some(ids)) => ids.contains(&l),
            _ => false,
        }
    }

    /// Node counts per label name (labels with no nodes left out).
    pub(crate) fn label_counts(&self) -> impl Iterator<Item = (&str, u64)> {
        self.label_counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (self.labels.name(i as u32), *c))
    }

    /// Edge counts per type name (types with no edges left out).
    pub(crate) fn type_counts(&self) -> impl Iterator<Item = (&str, u64)> {
        self.type_counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (self.types.name(i as u32), *c))
    }

    /// Memory hint: shrinks the adjacency vectors after a bulk build.
    pub(crate) fn shrink(&mut self) {
        self.sets.shrink_to_fit();
        self.edges.shrink_to_fit();
    }

    /// Problems in the topology's own invariants: every adjacency entry matches
    /// its edge slot, every edge appears once in each endpoint's lists, counts agree.
    pub(crate) fn self_check(&self, problems: &mut Vec<String>) {
        let mut seen_out = 0u64;
        let mut seen_in = 0u64;
        for i in 0..self.sets.len().max(self.out.off.len().saturating_sub(1)) {
            let node = i as u64;
            let (s_out, s_inn) = (self.adjacency(node, true), self.adjacency(node, false));
            if !self.has_node(node) {
                if !s_out.is_empty() || !s_inn.is_empty() {
                    problems.push(format!("deleted node {node} still has adjacency entries"));
                }
                continue;
            }
            for (list, out) in [(s_out, true), (s_inn, false)] {
                if list.windows(2).any(|w| w[0].key() >= w[1].key()) {
                    problems.push(format!("adjacency of node {node} is not sorted by type and edge"));
                }
                for a in list.iter() {
                    let expected = self.edge(a.edge).map(|e| {
                        if out {
                            (e.ty, e.start, e.end)
                        } else {
                            (e.ty, e.end, e.start)
                        }
                    });
                    if expected != Some((a.ty, node, a.other)) {
                        problems.push(format!(
                            "{} adjacency of node {node} lists edge {} wrongly",
                            if out { "outgoing" } else { "incoming" },
                            { a.edge }
                        ));
                    }
                }
                if out {
                    seen_out += list.len() as u64;
                } else {
                    seen_in += list.len() as u64;
                }
            }
        }
        for id in self.edge_ids() {
            if let Some(e) = self.edge(id)
                && (!self.has_node(e.start) || !self.has_node(e.end))
            {
                problems.push(format!("edge {id} joins a missing node"));
            }
        }
        if seen_out != self.edge_count || seen_in != self.edge_count {
            problems.push(format!(
                "adjacency holds {seen_out} outgoing and {seen_in} incoming entries for {} edges",
                self.edge_count
            ));
        }
        if self.node_ids().count() as u64 != self.node_count {
            problems.push("node count disagrees with the node table".into());
        }
        for (l, set) in self.by_label.iter().enumerate() {
            for n in set {
                if !self.label_ids(*n).is_some_and(|ids| ids.contains(&(l as u32))) {
                    problems.push(format!(
                        "label index lists node {n} under :{}",
                        self.labels.name(l as u32)
                    ));
                }
            }
        }
        for n in self.node_ids() {
            for l in self.label_ids(n).unwrap_or(&[]) {
                if !self.by_label.get(*l as usize).is_some_and(|s| s.contains(&n)) {
                    problems.push(format!("label index misses node {n} under :{}", self.labels.name(*l)));
                }
            }
        }
    }
}

/// The stored parts of a topology, as a snapshot file holds them; everything else
/// (counts, the label index) is derived when a topology is rebuilt from them.
#[derive(Debug, Default)]
pub(crate) struct TopoParts {
    /// Interned label sets, by id.
    pub labelsets: Vec<Box<[u32]>>,
    /// Label set id per node id, or `u32::MAX` for no node.
    pub sets: Vec<u32>,
    /// Edge table by edge id (type `u32::MAX` for no edge).
    pub edges: Vec<EdgeSlot>,
    /// Outgoing lists.
    pub out: Csr,
    /// Incoming lists.
    pub inn: Csr,
}

impl Topology {
    /// The interned label sets, by id.
    pub(crate) fn labelsets(&self) -> &[Box<[u32]>] {
        &self.labelsets
    }

    /// Label set id per node id ([`u32::MAX`] for no node).
    pub(crate) fn node_sets(&self) -> &[u32] {
        &self.sets
    }

    /// The edge table by edge id.
    pub(crate) fn edge_slots(&self) -> &[EdgeSlot] {
        &self.edges
    }

    /// Builds a topology from stored parts, checking every bound a read relies on
    /// (the caller has verified the bytes' checksum). `None` when the parts do not
    /// describe a sound topology.
    pub(crate) fn from_parts(labels: Interner, types: Interner, parts: TopoParts) -> Option<Topology> {
        let TopoParts {
            labelsets,
            sets,
            edges,
            out,
            inn,
        } = parts;
        let (label_count, type_count) = (labels.len(), types.len());
        if labelsets
            .iter()
            .flat_map(|s| s.iter())
            .any(|l| *l as usize >= label_count)
        {
            return None;
        }
        if sets.iter().any(|s| *s != ABSENT && *s as usize >= labelsets.len()) {
            return None;
        }
        let n = sets.len();
        for rows in [&out, &inn] {
            if rows.off.len() != n + 1 || !rows.is_valid() {
                return None;
            }
            if rows.adj.iter().any(|a| a.ty as usize >= type_count) {
                return None;
            }
        }
        let exists = |id: u64| sets.get(idx(id)).is_some_and(|s| *s != ABSENT);
        let mut type_counts = vec![0u64; type_count];
        let mut edge_count = 0u64;
        for e in edges.iter().filter(|e| e.ty != ABSENT) {
            if e.ty as usize >= type_count || !exists(e.start) || !exists(e.end) {
                return None;
            }
            type_counts[e.ty as usize] += 1;
            edge_count += 1;
        }
        if out.adj.len() as u64 != edge_count || inn.adj.len() as u64 != edge_count {
            return None;
        }
        let mut members: Vec<Vec<u64>> = vec![Vec::new(); label_count];
        let mut node_count = 0u64;
        for (id, s) in sets.iter().enumerate() {
            if *s == ABSENT {
                continue;
            }
            node_count += 1;
            for l in labelsets[*s as usize].iter() {
                members[*l as usize].push(id as u64);
            }
        }
        let label_counts = members.iter().map(|m| m.len() as u64).collect();
        let by_label = members.into_iter().map(BTreeSet::from_iter).collect();
        let labelset_ids = labelsets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u32))
            .collect();
        Some(Topology {
            labels,
            types,
            labelsets,
            labelset_ids,
            sets,
            out,
            inn,
            changed: FxHashMap::default(),
            edges,
            by_label,
            label_counts,
            type_counts,
            node_count,
            edge_count,
        })
    }
}

/// A view of the topology restricted to edge types, usable with petgraph's
/// traversal algorithms (`Bfs`, `Dfs`, `has_path_connecting` ...).
#[derive(Clone, Copy)]
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) struct TypedGraph<'a> {
    /// The topology.
    pub topo: &'a Topology,
    /// Allowed type ids (sorted); `None` for all.
    pub filter: Option<&'a [u32]>,
}

impl GraphBase for TypedGraph<'_> {
    type NodeId = u64;
    type EdgeId = u64;
}

impl GraphRef for TypedGraph<'_> {}

impl Visitable for TypedGraph<'_> {
    type Map = HashSet<u64>;

    fn visit_map(&self) -> HashSet<u64> {
        HashSet::new()
    }

    fn reset_map(&self, map: &mut HashSet<u64>) {
        map.clear();
    }
}

impl<'a> IntoNeighbors for TypedGraph<'a> {
    type Neighbors = std::vec::IntoIter<u64>;

    fn neighbors(self, n: u64) -> Self::Neighbors {
        self.neighbors_directed(n, petgraph::Direction::Outgoing)
    }
}

impl<'a> IntoNeighborsDirected for TypedGraph<'a> {
    type NeighborsDirected = std::vec::IntoIter<u64>;

    fn neighbors_directed(self, n: u64, d: petgraph::Direction) -> Self::NeighborsDirected {
        let dir = match d {
            petgraph::Direction::Outgoing => Direction::Outgoing,
            petgraph::Direction::Incoming => Direction::Incoming,
        };
        let mut out = Vec::new();
        let _ = self.topo.expand(n, dir, self.filter, &mut |a| {
            out.push(a.other.0);
            ControlFlow::Continue(())
        });
        out.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use petgraph::visit::Bfs;

    fn lists(t: &Topology) -> Vec<(Vec<Adj>, Vec<Adj>)> {
        (0..t.sets.len() as u64)
            .map(|n| (t.adjacency(n, true).to_vec(), t.adjacency(n, false).to_vec()))
            .collect()
    }

    #[test]
    fn small_commits_and_compaction_match_a_rebuild() {
        let mut t = Topology::default();
        let l = t.intern_labels(&["A".to_string()]);
        let types: Vec<u32> = ["A", "B", "C"].iter().map(|n| t.types.intern(n)).collect();
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut next_node = 0u64;
        let mut next_edge = 0u64;
        let mut compacted = false;
        for round in 0..120 {
            // A few new nodes, then a small batch of edges among existing nodes.
            for _ in 0..60 {
                t.set_node(next_node, &l);
                next_node += 1;
            }
            let mut batch = Vec::new();
            for _ in 0..50 {
                let (a, b) = (next() % next_node, next() % next_node);
                if t.has_node(a) && t.has_node(b) {
                    batch.push((next_edge, types[(next() % 3) as usize], a, b));
                    next_edge += 1;
                }
            }
            t.add_edges(&batch);
            let gone: Vec<u64> = (0..10).map(|_| next() % next_edge.max(1)).collect();
            t.remove_edges(&gone);
            if round % 10 == 9 {
                // Delete a node with its edges.
                let n = next() % next_node;
                let mut at = Vec::new();
                for out in [true, false] {
                    at.extend(t.adjacency(n, out).iter().map(|a| a.edge));
                }
                t.remove_edges(&at);
                t.remove_node(n);
            }
            compacted |= !t.out.off.is_empty();
            let mut problems = Vec::new();
            t.self_check(&mut problems);
            assert!(problems.is_empty(), "round {round}: {problems:?}");
        }
        assert!(compacted, "the changed lists were never folded into the rows");
        let mut rebuilt = t.clone();
        rebuilt.rebuild_rows();
        assert_eq!(lists(&t), lists(&rebuilt));
        // A large batch rebuilds the rows at once.
        let big: Vec<(u64, u32, u64, u64)> = (0..5000)
            .map(|i| {
                (
                    next_edge + i,
                    types[(i % 3) as usize],
                    i % next_node,
                    (i * 7) % next_node,
                )
            })
            .filter(|e| t.has_node(e.2) && t.has_node(e.3))
            .collect();
        t.add_edges(&big);
        assert!(t.changed.is_empty());
        let mut problems = Vec::new();
        t.self_check(&mut problems);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn parts_round_trip_and_bounds() {
        let mut t = Topology::default();
        let l = t.intern_labels(&["A".to_string(), "B".to_string()]);
        for n in 0..4 {
            t.set_node(n, &l[..(n as usize % 2) + 1]);
        }
        let ty = t.types.intern("T");
        t.add_edges(&[(0, ty, 0, 1), (1, ty, 1, 1), (2, ty, 3, 0)]);
        t.rebuild_rows();
        let parts = |t: &Topology| TopoParts {
            labelsets: t.labelsets.clone(),
            sets: t.sets.clone(),
            edges: t.edges.clone(),
            out: t.out.clone(),
            inn: t.inn.clone(),
        };
        let back = Topology::from_parts(t.labels.clone(), t.types.clone(), parts(&t)).unwrap();
        assert_eq!(lists(&back), lists(&t));
        assert_eq!(back.nodes_with_label("B"), t.nodes_with_label("B"));
        assert_eq!(back.edge_count(), 3);
        let mut problems = Vec::new();
        back.self_check(&mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        // Out-of-range parts are refused.
        let mut bad = parts(&t);
        bad.edges[0].end = 99;
        assert!(Topology::from_parts(t.labels.clone(), t.types.clone(), bad).is_none());
        let mut bad = parts(&t);
        bad.out.off[1] = 7;
        assert!(Topology::from_parts(t.labels.clone(), t.types.clone(), bad).is_none());
        let mut bad = parts(&t);
        bad.sets[2] = 40;
        assert!(Topology::from_parts(t.labels.clone(), t.types.clone(), bad).is_none());
        assert!(Topology::from_parts(t.labels.clone(), Interner::default(), parts(&t)).is_none());
    }

    #[test]
    fn per_type_ranges_and_removal() {
        let mut t = Topology::default();
        let l = t.intern_labels(&["A".to_string()]);
        for n in 0..3 {
            t.set_node(n, &l);
        }
        let owns = t.types.intern("OWNS");
        let funds = t.types.intern("FUNDS");
        t.add_edges(&[(0, funds, 0, 1), (1, owns, 0, 2), (2, funds, 0, 2), (3, owns, 0, 0)]);
        assert_eq!(t.degree(0, Direction::Outgoing, None), 4);
        let owns_only = t.type_filter(&["OWNS"]);
        let f = owns_only.as_filter().unwrap().to_vec();
        assert_eq!(t.degree(0, Direction::Outgoing, Some(&f)), 2);
        assert_eq!(t.degree(0, Direction::Both, Some(&f)), 2);
        assert_eq!(t.degree(0, Direction::Incoming, Some(&f)), 1);
        let mut problems = Vec::new();
        t.self_check(&mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        t.remove_edges(&[1, 3]);
        assert_eq!(t.degree(0, Direction::Both, Some(&f)), 0);
        assert_eq!(t.degree(0, Direction::Both, None), 2);
        let mut bfs = Bfs::new(TypedGraph { topo: &t, filter: None }, 0);
        let mut reached = Vec::new();
        while let Some(n) = bfs.next(TypedGraph { topo: &t, filter: None }) {
            reached.push(n);
        }
        reached.sort();
        assert_eq!(reached, [0, 1, 2]);
        t.self_check(&mut problems);
        assert!(problems.is_empty(), "{problems:?}");
    }
}
