//! Execution: operators push rows, one mutable row at a time, to the operator above.
//!
//! The context owns the view of the graph (a snapshot or the write transaction),
//! the budgets, the counters, per-operator statistics and small record caches.

pub(crate) mod eval;
pub(crate) mod functions;
pub(crate) mod limits;
mod ops;
pub(crate) mod schema;
pub(crate) mod values;
mod varlen;
mod write;

pub(crate) use ops::reverse as ops_reverse;
pub(crate) use ops::run_op;

use crate::api::{CancelToken, Counters, Limits};
use crate::{QueryError, QueryResult};
use lodestone_model::{EdgeId, EdgeRecord, NodeId, NodeRecord, PartialDate, Value};
use lodestone_store::{GraphRead, GraphWrite};
use rustc_hash::FxHashMap;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A row: one value per slot.
pub(crate) type Row = Vec<Value>;

/// Whether the operator above wants more rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Keep going.
    Go,
    /// Enough: stop producing.
    Stop,
}

/// The graph a statement runs against.
pub(crate) enum Graph<'g> {
    /// A read snapshot.
    Read(&'g dyn GraphRead),
    /// A write transaction.
    Write(&'g mut dyn GraphWrite),
}

/// Rows and time per operator, for PROFILE and the row budget.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OpStats {
    pub rows: u64,
    pub time: Duration,
}

/// Most slots of a direct-mapped record cache (a power of two).
const CACHE_SLOTS: usize = 1024;
/// Slots a record cache starts with (a power of two).
const CACHE_START: usize = 16;

/// A small direct-mapped cache of records by id: a repeated read of a recent
/// record is free, and a scan replaces entries one by one instead of growing.
/// It starts small (short statements pay little) and grows with use.
struct RecordCache<K, R> {
    slots: Vec<Option<(K, Arc<R>)>>,
    puts: usize,
}

impl<K: Copy + PartialEq, R> RecordCache<K, R> {
    fn new() -> Self {
        RecordCache {
            slots: Vec::new(),
            puts: 0,
        }
    }

    fn mask(&self) -> usize {
        self.slots.len().saturating_sub(1)
    }

    fn get(&self, key: K, index: u64) -> Option<Arc<R>> {
        match self.slots.get(index as usize & self.mask()) {
            Some(Some((k, r))) if *k == key => Some(r.clone()),
            _ => None,
        }
    }

    fn put(&mut self, key: K, index: u64, record: Arc<R>) {
        self.puts += 1;
        if self.slots.is_empty() {
            self.slots.resize_with(CACHE_START, || None);
        } else if self.slots.len() < CACHE_SLOTS && self.puts > 4 * self.slots.len() {
            // Growing starts afresh: the cache only saves work, it never decides results.
            let len = self.slots.len() * 4;
            self.slots = Vec::new();
            self.slots.resize_with(len, || None);
        }
        let mask = self.mask();
        self.slots[index as usize & mask] = Some((key, record));
    }

    fn forget(&mut self, key: K, index: u64) {
        let mask = self.mask();
        if let Some(slot) = self.slots.get_mut(index as usize & mask)
            && matches!(slot, Some((k, _)) if *k == key)
        {
            *slot = None;
        }
    }
}

/// Label checks of one label a read statement makes before it loads the label's members
/// (loading costs about as much as a few hundred checks through the store on a large label).
const LABEL_SET_AFTER: u32 = 512;

/// The members of one label, for answering label checks without the store.
enum LabelMembers {
    /// A bit per node id (ids are dense enough).
    Bits(Vec<u64>),
    /// Sorted ids.
    Sorted(Vec<NodeId>),
}

impl LabelMembers {
    fn new(mut ids: Vec<NodeId>) -> Self {
        let max = ids.iter().map(|n| n.0).max().unwrap_or(0);
        // A bitmap while it is at most about 64 bytes per member.
        if max / 512 <= ids.len() as u64 + 64 {
            let mut bits = vec![0u64; (max / 64 + 1) as usize];
            for n in ids {
                bits[(n.0 / 64) as usize] |= 1 << (n.0 % 64);
            }
            LabelMembers::Bits(bits)
        } else {
            ids.sort_unstable();
            LabelMembers::Sorted(ids)
        }
    }

    fn contains(&self, id: NodeId) -> bool {
        match self {
            LabelMembers::Bits(bits) => bits
                .get((id.0 / 64) as usize)
                .is_some_and(|w| w & (1 << (id.0 % 64)) != 0),
            LabelMembers::Sorted(ids) => ids.binary_search(&id).is_ok(),
        }
    }
}

/// Per label: how often a statement asked, then the label's members.
enum LabelState {
    Counting(u32),
    Loaded(LabelMembers),
}

/// Everything an operator needs while it runs.
pub(crate) struct Ctx<'g> {
    graph: Graph<'g>,
    started: Instant,
    timeout: Option<Duration>,
    cancel: CancelToken,
    max_rows: Option<u64>,
    ticks: u32,
    pub(crate) stats: Vec<OpStats>,
    pub(crate) profile: bool,
    prof_current: usize,
    prof_last: Instant,
    pub(crate) counters: Counters,
    node_cache: RecordCache<NodeId, NodeRecord>,
    edge_cache: RecordCache<EdgeId, EdgeRecord>,
    pub(crate) as_of: Option<PartialDate>,
    visible_nodes: HashMap<NodeId, bool>,
    visible_edges: HashMap<EdgeId, bool>,
    /// Nodes this statement deleted: reading their properties or labels is an error.
    pub(crate) deleted_nodes: HashSet<NodeId>,
    /// Relationships this statement deleted, with their types (which stay readable).
    pub(crate) deleted_edges: HashMap<EdgeId, String>,
    /// Label membership for read statements that test labels often.
    labels: FxHashMap<String, LabelState>,
}

impl<'g> Ctx<'g> {
    /// A context over `graph` with the given budgets.
    pub(crate) fn new(graph: Graph<'g>, limits: &Limits, cancel: &CancelToken, ops: usize, profile: bool) -> Self {
        let now = Instant::now();
        Ctx {
            graph,
            started: now,
            timeout: limits.timeout,
            cancel: cancel.clone(),
            max_rows: limits.max_rows,
            ticks: 0,
            stats: vec![OpStats::default(); ops + 1],
            profile,
            prof_current: ops,
            prof_last: now,
            counters: Counters::default(),
            node_cache: RecordCache::new(),
            edge_cache: RecordCache::new(),
            as_of: None,
            visible_nodes: HashMap::new(),
            visible_edges: HashMap::new(),
            deleted_nodes: HashSet::new(),
            deleted_edges: HashMap::new(),
            labels: FxHashMap::default(),
        }
    }

    /// The graph for reading.
    pub(crate) fn read(&self) -> &dyn GraphRead {
        match &self.graph {
            Graph::Read(g) => *g,
            Graph::Write(w) => &**w,
        }
    }

    /// The graph for writing; an error in a read-only statement.
    pub(crate) fn write(&mut self) -> QueryResult<&mut dyn GraphWrite> {
        match &mut self.graph {
            Graph::Write(w) => Ok(&mut **w),
            Graph::Read(_) => Err(QueryError::Unsupported {
                what: "writing in a read-only statement".into(),
                span: None,
            }),
        }
    }

    /// Counts work and checks the time budget and cancellation every so often.
    #[inline]
    pub(crate) fn tick(&mut self) -> QueryResult<()> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks & 1023 == 0 {
            self.check_now()?;
        }
        Ok(())
    }

    /// Checks the time budget and cancellation now.
    pub(crate) fn check_now(&self) -> QueryResult<()> {
        if self.cancel.is_cancelled() {
            return Err(QueryError::Cancelled);
        }
        if let Some(t) = self.timeout
            && self.started.elapsed() > t
        {
            return Err(QueryError::TimeLimit {
                millis: t.as_millis() as u64,
            });
        }
        Ok(())
    }

    /// Records a row produced by operator `id` and enforces the row budget.
    #[inline]
    pub(crate) fn emitted(&mut self, id: usize) -> QueryResult<()> {
        let s = &mut self.stats[id];
        s.rows += 1;
        if let Some(max) = self.max_rows
            && s.rows > max
        {
            return Err(QueryError::RowLimit { limit: max });
        }
        self.tick()
    }

    /// Profiling: charges time so far to the current operator and makes `id` current.
    #[inline]
    pub(crate) fn enter(&mut self, id: usize) -> usize {
        if !self.profile {
            return 0;
        }
        let now = Instant::now();
        let prev = self.prof_current;
        self.stats[prev].time += now - self.prof_last;
        self.prof_last = now;
        self.prof_current = id;
        prev
    }

    /// Profiling: charges time to the current operator and returns to `prev`.
    #[inline]
    pub(crate) fn leave(&mut self, prev: usize) {
        if !self.profile {
            return;
        }
        let now = Instant::now();
        let cur = self.prof_current;
        self.stats[cur].time += now - self.prof_last;
        self.prof_last = now;
        self.prof_current = prev;
    }

    /// A node's record, cached for the statement.
    pub(crate) fn node_record(&mut self, id: NodeId) -> QueryResult<Option<Arc<NodeRecord>>> {
        if let Some(r) = self.node_cache.get(id, id.0) {
            return Ok(Some(r));
        }
        let Some(rec) = self.read().node_shared(id)? else {
            return Ok(None);
        };
        self.node_cache.put(id, id.0, rec.clone());
        Ok(Some(rec))
    }

    /// An edge's record, cached for the statement.
    pub(crate) fn edge_record(&mut self, id: EdgeId) -> QueryResult<Option<Arc<EdgeRecord>>> {
        if let Some(r) = self.edge_cache.get(id, id.0) {
            return Ok(Some(r));
        }
        let Some(rec) = self.read().edge_shared(id)? else {
            return Ok(None);
        };
        self.edge_cache.put(id, id.0, rec.clone());
        Ok(Some(rec))
    }

    /// Forgets cached state about a node after a write.
    pub(crate) fn forget_node(&mut self, id: NodeId) {
        self.node_cache.forget(id, id.0);
        self.visible_nodes.remove(&id);
    }

    /// Forgets cached state about an edge after a write.
    pub(crate) fn forget_edge(&mut self, id: EdgeId) {
        self.edge_cache.forget(id, id.0);
        self.visible_edges.remove(&id);
    }

    /// An error when the statement deleted the node.
    pub(crate) fn check_node_alive(&self, id: NodeId) -> QueryResult<()> {
        if self.deleted_nodes.contains(&id) {
            return Err(QueryError::Argument {
                message: format!("node {id} was deleted by this statement; its labels and properties are gone"),
                span: None,
            });
        }
        Ok(())
    }

    /// An error when the statement deleted the relationship.
    pub(crate) fn check_edge_alive(&self, id: EdgeId) -> QueryResult<()> {
        if self.deleted_edges.contains_key(&id) {
            return Err(QueryError::Argument {
                message: format!("relationship {id} was deleted by this statement; its properties are gone"),
                span: None,
            });
        }
        Ok(())
    }

    /// A node property (null when absent).
    pub(crate) fn node_prop(&mut self, id: NodeId, key: &str) -> QueryResult<Value> {
        self.check_node_alive(id)?;
        if let Graph::Read(g) = self.graph
            && self.node_cache.get(id, id.0).is_none()
        {
            // A snapshot answers one property without handing over the whole record.
            return Ok(g.node_property(id, key)?.unwrap_or(Value::Null));
        }
        Ok(self
            .node_record(id)?
            .and_then(|r| r.props.get(key).cloned())
            .unwrap_or(Value::Null))
    }

    /// An edge property (null when absent).
    pub(crate) fn edge_prop(&mut self, id: EdgeId, key: &str) -> QueryResult<Value> {
        self.check_edge_alive(id)?;
        if let Graph::Read(g) = self.graph
            && self.edge_cache.get(id, id.0).is_none()
        {
            return Ok(g.edge_property(id, key)?.unwrap_or(Value::Null));
        }
        Ok(self
            .edge_record(id)?
            .and_then(|r| r.props.get(key).cloned())
            .unwrap_or(Value::Null))
    }

    /// Property `key` of each relationship in `ids`, in order, lent to `f` with its
    /// position (null when absent): a snapshot reads them as one batch, a write
    /// transaction one by one through its own changes.
    pub(crate) fn edge_props_each(
        &mut self,
        ids: &[EdgeId],
        key: &str,
        f: &mut dyn FnMut(usize, &Value),
    ) -> QueryResult<()> {
        let null = Value::Null;
        if let Graph::Read(g) = self.graph
            && self.deleted_edges.is_empty()
        {
            g.edge_property_each(ids, key, &mut |i, v| f(i, v.unwrap_or(&null)))?;
            return Ok(());
        }
        for (i, id) in ids.iter().enumerate() {
            let v = self.edge_prop(*id, key)?;
            f(i, &v);
        }
        Ok(())
    }

    /// The relationships at `node` as [`GraphRead::neighbors`] gives them, into
    /// `buf`, with property `key` of each into `vals` (`Value::Null` when absent), when
    /// the statement reads committed data only (a backend may then read the values
    /// in adjacency order); `false`, with nothing read, otherwise.
    pub(crate) fn neighbors_with_property(
        &self,
        node: NodeId,
        dir: lodestone_model::Direction,
        types: &[&str],
        key: &str,
        buf: &mut Vec<lodestone_store::Adjacent>,
        vals: &mut Vec<Value>,
    ) -> QueryResult<bool> {
        match self.graph {
            Graph::Read(g) if self.deleted_edges.is_empty() => {
                g.neighbors_with_property(node, dir, types, key, buf, vals)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Whether the node carries every label in `labels`.
    pub(crate) fn has_labels(&mut self, id: NodeId, labels: &[String]) -> QueryResult<bool> {
        if labels.is_empty() {
            return Ok(true);
        }
        if let Graph::Read(_) = self.graph {
            // A snapshot's labels never change: after enough checks, answer from the label's members.
            let mut all = true;
            let mut undecided = false;
            for l in labels {
                match self.label_member(l, id)? {
                    Some(true) => {}
                    Some(false) => {
                        all = false;
                        break;
                    }
                    None => undecided = true,
                }
            }
            if !all || !undecided {
                return Ok(all);
            }
        }
        let have = self.read().labels(id)?;
        Ok(labels.iter().all(|l| have.contains(l)))
    }

    /// Whether `id` carries `label`, once the label's members are loaded; `None` before.
    fn label_member(&mut self, label: &str, id: NodeId) -> QueryResult<Option<bool>> {
        let state = match self.labels.get_mut(label) {
            Some(s) => s,
            None => self.labels.entry(label.to_string()).or_insert(LabelState::Counting(0)),
        };
        match state {
            LabelState::Loaded(m) => Ok(Some(m.contains(id))),
            LabelState::Counting(n) if *n < LABEL_SET_AFTER => {
                *n += 1;
                Ok(None)
            }
            LabelState::Counting(_) => {
                let members = LabelMembers::new(self.read().nodes_with_label(label)?);
                let has = members.contains(id);
                self.labels.insert(label.to_string(), LabelState::Loaded(members));
                Ok(Some(has))
            }
        }
    }

    /// Whether a node exists on the AS OF date (always, without AS OF).
    pub(crate) fn node_visible(&mut self, id: NodeId) -> QueryResult<bool> {
        let Some(date) = self.as_of else {
            return Ok(true);
        };
        if let Some(v) = self.visible_nodes.get(&id) {
            return Ok(*v);
        }
        let v = match self.read().node(id)? {
            None => false,
            Some(rec) => {
                // A deal dated after the AS OF date has not happened yet; a coarse
                // date that overlaps it is read generously, as validity is.
                let deal_later =
                    rec.has_label("Deal") && matches!(rec.props.get("date"), Some(Value::Date(d)) if date.is_before(d));
                rec.validity().holds_on(&date) && !deal_later
            }
        };
        self.visible_nodes.insert(id, v);
        Ok(v)
    }

    /// Whether an edge holds on the AS OF date (always, without AS OF).
    pub(crate) fn edge_visible(&mut self, id: EdgeId) -> QueryResult<bool> {
        let Some(date) = self.as_of else {
            return Ok(true);
        };
        if let Some(v) = self.visible_edges.get(&id) {
            return Ok(*v);
        }
        let v = match self.read().edge(id)? {
            None => false,
            Some(rec) => rec.holds_on(&date),
        };
        self.visible_edges.insert(id, v);
        Ok(v)
    }

    /// Counters so far.
    pub(crate) fn counters(&self) -> crate::Counters {
        self.counters
    }
}
