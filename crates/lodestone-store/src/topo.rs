//! The in-memory topology shared by both backends: which nodes and edges exist,
//! node labels, edge types and endpoints, and per-node adjacency grouped by edge type.
//!
//! Node and edge ids index dense vectors directly (ids are assigned in increasing
//! order and never reused). Each node keeps its outgoing and incoming edges in one
//! vector per direction, sorted by (type id, edge id), so the edges of one type are a
//! contiguous range found by binary search and an expand by type never walks other types.

use lodestone_model::{Direction, EdgeId, NodeId};
use petgraph::visit::{GraphBase, GraphRef, IntoNeighbors, IntoNeighborsDirected, Visitable};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::ControlFlow;

use crate::Adjacent;

/// Marks an absent node slot (its labelset) or edge slot (its type).
const ABSENT: u32 = u32::MAX;

/// Interns strings (labels or edge types) as dense `u32` ids.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    names: Vec<String>,
    ids: HashMap<String, u32>,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Adj {
    /// Edge type id.
    pub ty: u32,
    /// Edge id.
    pub edge: u64,
    /// The other endpoint.
    pub other: u64,
}

impl Adj {
    fn key(&self) -> (u32, u64) {
        (self.ty, self.edge)
    }
}

#[derive(Debug, Clone, Default)]
struct NodeSlot {
    out: Vec<Adj>,
    inn: Vec<Adj>,
}

/// Type and endpoints of an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    nodes: Vec<NodeSlot>,
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
        if self.nodes.len() < len {
            self.nodes.resize_with(len, NodeSlot::default);
            self.sets.resize(len, ABSENT);
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
        let slot = &mut self.nodes[idx(id)];
        slot.out = Vec::new();
        slot.inn = Vec::new();
        self.node_count -= 1;
    }

    /// Adds edges `(id, type id, start, end)`; endpoints must exist. Adjacency lists
    /// are appended and re-sorted only where an entry arrived out of order.
    pub(crate) fn add_edges(&mut self, edges: &[(u64, u32, u64, u64)]) {
        // A large batch re-checks every list once at the end instead of tracking
        // each out-of-order push; both cost O(batch) because the batch is large.
        if let Some(max) = edges.iter().map(|e| idx(e.0)).max()
            && self.edges.len() <= max
        {
            self.edges.resize_with(max + 1, EdgeSlot::default);
        }
        if let Some(max) = edges.iter().map(|e| idx(e.2.max(e.3))).max() {
            self.grow_nodes(max + 1);
        }
        let large =
            edges.len() >= 4096 && edges.len() as u64 * 4 >= self.edge_count && edges.len() * 4 >= self.nodes.len();
        let mut unsorted: HashSet<(u64, bool)> = HashSet::new();
        if large {
            // Reserve each list's growth once instead of reallocating as it fills.
            let mut out_add = vec![0u32; self.nodes.len()];
            let mut in_add = vec![0u32; self.nodes.len()];
            for &(_, _, start, end) in edges {
                out_add[idx(start)] += 1;
                in_add[idx(end)] += 1;
            }
            for (i, slot) in self.nodes.iter_mut().enumerate() {
                slot.out.reserve_exact(out_add[i] as usize);
                slot.inn.reserve_exact(in_add[i] as usize);
            }
        }
        for &(id, ty, start, end) in edges {
            let i = idx(id);
            if self.edges[i].ty != ABSENT {
                continue;
            }
            self.edges[i] = EdgeSlot { ty, start, end };
            self.edge_count += 1;
            let t = ty as usize;
            if self.type_counts.len() <= t {
                self.type_counts.resize(t + 1, 0);
            }
            self.type_counts[t] += 1;
            let out = Adj {
                ty,
                edge: id,
                other: end,
            };
            let list = &mut self.nodes[idx(start)].out;
            if !large && list.last().is_some_and(|l| l.key() > out.key()) {
                unsorted.insert((start, true));
            }
            list.push(out);
            let inn = Adj {
                ty,
                edge: id,
                other: start,
            };
            let list = &mut self.nodes[idx(end)].inn;
            if !large && list.last().is_some_and(|l| l.key() > inn.key()) {
                unsorted.insert((end, false));
            }
            list.push(inn);
        }
        if large {
            for slot in &mut self.nodes {
                for list in [&mut slot.out, &mut slot.inn] {
                    if list.windows(2).any(|w| w[0].key() > w[1].key()) {
                        list.sort_unstable_by_key(Adj::key);
                    }
                }
            }
        }
        for (node, out) in unsorted {
            let slot = &mut self.nodes[idx(node)];
            let list = if out { &mut slot.out } else { &mut slot.inn };
            list.sort_unstable_by_key(Adj::key);
        }
    }

    /// Adds many edges to a topology that has none yet (opening a store): sizes every
    /// adjacency vector exactly, then fills and sorts it once. Fails with the id of
    /// the first edge whose endpoint does not exist, before changing anything.
    pub(crate) fn build_edges(&mut self, edges: &[(u64, u32, u64, u64)]) -> Result<(), u64> {
        let n = self.sets.len();
        let mut out_deg = vec![0u32; n];
        let mut in_deg = vec![0u32; n];
        for &(id, _, start, end) in edges {
            let (s, e) = (idx(start), idx(end));
            if s >= n || e >= n || self.sets[s] == ABSENT || self.sets[e] == ABSENT {
                return Err(id);
            }
            out_deg[s] += 1;
            in_deg[e] += 1;
        }
        if self.edge_count > 0 {
            self.add_edges(edges);
            return Ok(());
        }
        let max_edge = edges.iter().map(|e| idx(e.0) + 1).max().unwrap_or(0);
        if self.edges.len() < max_edge {
            self.edges.resize_with(max_edge, EdgeSlot::default);
        }
        for (i, slot) in self.nodes.iter_mut().enumerate() {
            slot.out = Vec::with_capacity(out_deg[i] as usize);
            slot.inn = Vec::with_capacity(in_deg[i] as usize);
        }
        drop((out_deg, in_deg));
        for &(id, ty, start, end) in edges {
            if self.edges[idx(id)].ty != ABSENT {
                continue;
            }
            self.edges[idx(id)] = EdgeSlot { ty, start, end };
            self.edge_count += 1;
            let t = ty as usize;
            if self.type_counts.len() <= t {
                self.type_counts.resize(t + 1, 0);
            }
            self.type_counts[t] += 1;
            self.nodes[idx(start)].out.push(Adj {
                ty,
                edge: id,
                other: end,
            });
            self.nodes[idx(end)].inn.push(Adj {
                ty,
                edge: id,
                other: start,
            });
        }
        for slot in &mut self.nodes {
            for list in [&mut slot.out, &mut slot.inn] {
                if list.windows(2).any(|w| w[0].key() > w[1].key()) {
                    list.sort_unstable_by_key(Adj::key);
                }
            }
        }
        Ok(())
    }

    /// Removes edges by id; absent ids are ignored.
    pub(crate) fn remove_edges(&mut self, ids: &[u64]) {
        let mut touched: HashSet<(u64, bool)> = HashSet::new();
        for &id in ids {
            let Some(e) = self.edge(id) else { continue };
            self.edges[idx(id)] = EdgeSlot::default();
            self.edge_count -= 1;
            self.type_counts[e.ty as usize] -= 1;
            touched.insert((e.start, true));
            touched.insert((e.end, false));
        }
        let edges = &self.edges;
        for (node, out) in touched {
            let Some(slot) = self.nodes.get_mut(idx(node)) else {
                continue;
            };
            let list = if out { &mut slot.out } else { &mut slot.inn };
            list.retain(|a| edges.get(idx(a.edge)).is_some_and(|e| e.ty != ABSENT));
        }
    }

    /// The out or in adjacency of a node (empty when absent).
    pub(crate) fn adjacency(&self, node: u64, out: bool) -> &[Adj] {
        match self.nodes.get(idx(node)) {
            Some(s) if out => &s.out,
            Some(s) => &s.inn,
            None => &[],
        }
    }

    /// Type ids for the given names, sorted; `None` means every type.
    /// Unknown names are dropped (they have no edges).
    pub(crate) fn type_filter(&self, types: &[&str]) -> Option<Vec<u32>> {
        if types.is_empty() {
            return None;
        }
        let mut ids: Vec<u32> = types.iter().filter_map(|t| self.types.get(t)).collect();
        ids.sort_unstable();
        ids.dedup();
        Some(ids)
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
                    let lo = list.partition_point(|a| a.ty < t);
                    let hi = lo + list[lo..].partition_point(|a| a.ty <= t);
                    for a in &list[lo..hi] {
                        f(a)?;
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// Visits the committed edges at `node` in `dir` whose type is in `filter`
    /// (all when `None`), each once; a self-loop under `Both` is visited as outgoing.
    pub(crate) fn expand(
        &self,
        node: u64,
        dir: Direction,
        filter: Option<&[u32]>,
        visit: &mut dyn FnMut(Adjacent) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
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
                        let lo = list.partition_point(|a| a.ty < t);
                        let hi = lo + list[lo..].partition_point(|a| a.ty <= t);
                        if skip_loops {
                            list[lo..hi].iter().filter(in_range).count() as u64
                        } else {
                            (hi - lo) as u64
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
        for s in &mut self.nodes {
            s.out.shrink_to_fit();
            s.inn.shrink_to_fit();
        }
        self.nodes.shrink_to_fit();
        self.sets.shrink_to_fit();
        self.edges.shrink_to_fit();
    }

    /// Problems in the topology's own invariants: every adjacency entry matches
    /// its edge slot, every edge appears once in each endpoint's lists, counts agree.
    pub(crate) fn self_check(&self, problems: &mut Vec<String>) {
        let mut seen_out = 0u64;
        let mut seen_in = 0u64;
        for (i, s) in self.nodes.iter().enumerate() {
            let node = i as u64;
            if self.sets[i] == ABSENT {
                if !s.out.is_empty() || !s.inn.is_empty() {
                    problems.push(format!("deleted node {node} still has adjacency entries"));
                }
                continue;
            }
            for (list, out) in [(&s.out, true), (&s.inn, false)] {
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
                            a.edge
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
        let f = t.type_filter(&["OWNS"]).unwrap();
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
