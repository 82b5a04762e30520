//! The in-memory backend: every record and index lives in process memory.

use crate::keys::{name_keys, prop_key};
use crate::overlay::{Backend, Base, ChangeSet, Snapshot, Txn, apply_topology, index_delta, lock_read};
use crate::state_lock::StateLock;
use crate::topo::Topology;
use crate::{CheckReport, Durability, GraphRead, Storage, StoreInfo, StoreResult, WriteTxn};
use lodestone_model::{EdgeRecord, NodeRecord, Schema};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// Format version reported by [`MemStore::info`]; in memory there is no file format.
const MEM_FORMAT_VERSION: u32 = 0;

#[derive(Debug, Default)]
pub(crate) struct MemState {
    topo: Topology,
    nodes: Vec<Option<NodeRecord>>,
    edges: Vec<Option<EdgeRecord>>,
    names: BTreeSet<(String, u64)>,
    indexes: Vec<(String, String)>,
    props: Vec<HashMap<Vec<u8>, BTreeSet<u64>>>,
    schema: Schema,
    next_node: u64,
    next_edge: u64,
}

fn slot<T>(v: &mut Vec<Option<T>>, id: u64) -> &mut Option<T> {
    let i = usize::try_from(id).unwrap_or(usize::MAX);
    if v.len() <= i {
        v.resize_with(i + 1, || None);
    }
    &mut v[i]
}

impl Base for MemState {
    fn topo(&self) -> &Topology {
        &self.topo
    }

    fn schema_ref(&self) -> &Schema {
        &self.schema
    }

    fn index_list(&self) -> &[(String, String)] {
        &self.indexes
    }

    fn node_record(&self, id: u64) -> StoreResult<Option<NodeRecord>> {
        Ok(self.nodes.get(id as usize).and_then(Clone::clone))
    }

    fn edge_record(&self, id: u64) -> StoreResult<Option<EdgeRecord>> {
        Ok(self.edges.get(id as usize).and_then(Clone::clone))
    }

    fn name_lookup(&self, key: &str) -> StoreResult<Vec<u64>> {
        Ok(self
            .names
            .range((key.to_string(), 0)..=(key.to_string(), u64::MAX))
            .map(|(_, id)| *id)
            .collect())
    }

    fn all_name_keys(&self) -> StoreResult<Vec<(String, u64)>> {
        Ok(self.names.iter().cloned().collect())
    }

    fn index_lookup(&self, index: usize, vkey: &[u8]) -> StoreResult<Vec<u64>> {
        Ok(self
            .props
            .get(index)
            .and_then(|m| m.get(vkey))
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default())
    }

    fn next_ids(&self) -> (u64, u64) {
        (self.next_node, self.next_edge)
    }
}

impl MemState {
    fn apply(&mut self, c: ChangeSet) {
        if let Some(schema) = &c.schema {
            self.schema = schema.clone();
        }
        let first_new = self.indexes.len();
        self.indexes.extend(c.new_indexes.iter().cloned());
        self.props.resize_with(self.indexes.len(), HashMap::new);
        apply_topology(&mut self.topo, &c);
        for n in c.node_deltas() {
            let d = index_delta(n.old, n.new, &self.indexes);
            for k in d.names_del {
                self.names.remove(&(k, n.id));
            }
            for k in d.names_add {
                self.names.insert((k, n.id));
            }
            for (i, k) in d.props_del {
                if let Some(set) = self.props[i].get_mut(&k) {
                    set.remove(&n.id);
                    if set.is_empty() {
                        self.props[i].remove(&k);
                    }
                }
            }
            for (i, k) in d.props_add {
                self.props[i].entry(k).or_default().insert(n.id);
            }
        }
        for (pos, k, id) in c.index_fill {
            self.props[first_new + pos].entry(k).or_default().insert(id);
        }
        for n in c.nodes {
            *slot(&mut self.nodes, n.id) = n.new;
        }
        for (i, rec) in c.new_nodes.into_iter().enumerate() {
            if rec.is_some() {
                *slot(&mut self.nodes, c.new_node_base + i as u64) = rec;
            }
        }
        for e in c.edges {
            *slot(&mut self.edges, e.id) = e.new;
        }
        for (i, rec) in c.new_edges.into_iter().enumerate() {
            if rec.is_some() {
                *slot(&mut self.edges, c.new_edge_base + i as u64) = rec;
            }
        }
        self.next_node = self.next_node.max(c.next_node);
        self.next_edge = self.next_edge.max(c.next_edge);
    }

    fn check(&self) -> CheckReport {
        let mut problems = Vec::new();
        self.topo.self_check(&mut problems);
        let mut names = BTreeSet::new();
        let mut props: Vec<HashMap<Vec<u8>, BTreeSet<u64>>> = vec![HashMap::new(); self.indexes.len()];
        let mut nodes = 0;
        for (id, rec) in self.nodes.iter().enumerate() {
            let id = id as u64;
            let Some(rec) = rec else {
                if self.topo.has_node(id) {
                    problems.push(format!("node {id} is in the topology but has no record"));
                }
                continue;
            };
            nodes += 1;
            if self.topo.label_names(id).as_ref() != Some(&rec.labels) {
                problems.push(format!("labels of node {id} differ between record and topology"));
            }
            for k in name_keys(&rec.props) {
                names.insert((k, id));
            }
            for (i, (label, key)) in self.indexes.iter().enumerate() {
                if rec.has_label(label)
                    && let Some(k) = prop_key(&rec.props, key)
                {
                    props[i].entry(k).or_default().insert(id);
                }
            }
        }
        let mut edges = 0;
        for (id, rec) in self.edges.iter().enumerate() {
            let id = id as u64;
            let topo = self.topo.edge_ends(id);
            match rec {
                Some(rec) => {
                    edges += 1;
                    if topo != Some((rec.rel_type.clone(), rec.start, rec.end)) {
                        problems.push(format!("edge {id} differs between record and topology"));
                    }
                }
                None if topo.is_some() => problems.push(format!("edge {id} is in the topology but has no record")),
                None => {}
            }
        }
        if names != self.names {
            problems.push("name index differs from the records".into());
        }
        if props != self.props {
            problems.push("property index differs from the records".into());
        }
        CheckReport { nodes, edges, problems }
    }
}

/// A store that keeps everything in memory; nothing survives the process.
///
/// It has the same semantics as the on-disk store: snapshots, one writer at a time,
/// atomic commits validated against the schema, name and property indexes.
#[derive(Debug, Default)]
pub struct MemStore {
    state: StateLock<MemState>,
    writer: Mutex<()>,
}

impl MemStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Backend for MemStore {
    type State = MemState;

    fn state(&self) -> &StateLock<MemState> {
        &self.state
    }

    fn writer(&self) -> &Mutex<()> {
        &self.writer
    }

    fn apply(&self, state: &mut MemState, changes: ChangeSet) -> StoreResult<()> {
        state.apply(changes);
        Ok(())
    }

    fn after_commit(&self) -> StoreResult<u64> {
        Ok(0)
    }

    fn wait_durable(&self, _ticket: u64) -> StoreResult<()> {
        Ok(())
    }
}

impl Storage for MemStore {
    fn read(&self) -> StoreResult<Box<dyn GraphRead + '_>> {
        Ok(Box::new(Snapshot(lock_read(&self.state))))
    }

    fn write(&self) -> StoreResult<Box<dyn WriteTxn + '_>> {
        Ok(Box::new(Txn::begin(self)))
    }

    fn set_durability(&self, _durability: Durability) {}

    fn flush(&self) -> StoreResult<()> {
        Ok(())
    }

    fn info(&self) -> StoreResult<StoreInfo> {
        Ok(StoreInfo {
            path: None,
            format_version: MEM_FORMAT_VERSION,
            size_on_disk: 0,
            read_only: false,
        })
    }

    fn check(&self) -> StoreResult<CheckReport> {
        Ok(lock_read(&self.state).check())
    }
}
