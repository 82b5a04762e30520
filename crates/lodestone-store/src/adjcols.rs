//! Relationship property columns in adjacency order.
//!
//! A column holds, for one edge type, one direction and one property key, the value
//! of every such edge laid out node by node in the order of each node's adjacency
//! list. An aggregation over a node's relationships (`sum(r.amount)` per funder)
//! then reads the values sequentially beside the neighbours instead of probing a map
//! per relationship.
//!
//! Invariants:
//!
//! - A column is built once reads have asked for a sixteenth of its edges' values
//!   (so a query about one node never pays for a whole type), from the committed
//!   state, while the reader holds the state's read lock, so it matches one
//!   committed state. Until then reads take the record path.
//! - A commit marks both ends of every edge it writes or deletes as stale in each
//!   column of that edge's type, under the state's write lock. A node that is not
//!   stale has the same edges of the type, with the same values, as when the column
//!   was built; a stale node's values are read from the records instead.
//! - When a column's stale nodes pass [`STALE_LIMIT`], or a build would pass the
//!   byte budget, the column is dropped; reads then take the record path.

use crate::StoreResult;
use crate::topo::{Adj, Topology};
use lodestone_model::Value;
use parking_lot::RwLock;
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::atomic::{AtomicU64, Ordering};

/// Stale nodes a column tolerates before it is dropped and built again on next use.
pub(crate) const STALE_LIMIT: usize = 4096;

/// Columns of one direction and edge type id, by property key.
type ByKey = FxHashMap<Box<str>, Slot>;

/// One column.
#[derive(Debug)]
struct Column {
    /// Node `n`'s values are `vals[start[n]..start[n + 1]]`.
    start: Vec<u32>,
    /// Values in adjacency order; `Value::Null` when the edge lacks the property.
    vals: Vec<Value>,
    /// Nodes whose edges of the type changed since the build.
    stale: FxHashSet<u64>,
    /// Bytes the column holds (approximate).
    bytes: usize,
}

/// What is known of a column.
#[derive(Debug)]
enum Slot {
    /// Not built yet: values read through the records so far.
    Wanted(AtomicU64),
    Built(Column),
    /// It would not fit the budget; not tried again until a commit changes its type.
    TooLarge,
}

#[derive(Debug, Default)]
struct Inner {
    /// By (outgoing, edge type id), then property key.
    cols: FxHashMap<(bool, u32), ByKey>,
    bytes: usize,
}

/// The adjacency-ordered columns of one open store, bounded by a byte budget (0
/// turns them off).
#[derive(Debug)]
pub(crate) struct AdjColumns {
    budget: usize,
    inner: RwLock<Inner>,
}

/// Bytes a value costs beyond its slot (approximate).
fn heap(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len(),
        Value::Quantity(q) => q.unit.len(),
        Value::List(l) => l.len() * std::mem::size_of::<Value>(),
        Value::Map(m) => m.len() * (std::mem::size_of::<Value>() + 32),
        _ => 0,
    }
}

/// Which column a read wants.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColumnOf<'a> {
    /// Outgoing (`true`) or incoming edges.
    pub out: bool,
    /// Edge type id.
    pub ty: u32,
    /// Property key.
    pub key: &'a str,
}

/// What a column read found for one node's edges of one type.
pub(crate) enum Values<'a> {
    /// The values, one per entry of the node's list for the type, in list order.
    Column(&'a [Value]),
    /// No usable column: read each edge's value from the records.
    Records,
}

impl AdjColumns {
    /// Columns holding about `budget` bytes at most.
    pub(crate) fn new(budget: usize) -> Self {
        AdjColumns {
            budget,
            inner: RwLock::new(Inner::default()),
        }
    }

    /// Calls `f` with node `node`'s values of the column's key on its edges of the
    /// column's type and direction, aligned with `list` (the node's adjacency entries of that
    /// type). Builds the column first when it is missing, reading each edge's value
    /// with `read` (`None` when the edge lacks the property).
    pub(crate) fn with_values<R>(
        &self,
        topo: &Topology,
        of: ColumnOf<'_>,
        node: u64,
        list: &[Adj],
        read: &dyn Fn(u64) -> StoreResult<Option<Value>>,
        f: impl FnOnce(Values<'_>) -> R,
    ) -> StoreResult<R> {
        if self.budget == 0 {
            return Ok(f(Values::Records));
        }
        let at = (of.out, of.ty);
        let wanted = (topo.type_count(of.ty) / 16).max(1);
        let asked = list.len() as u64;
        {
            let inner = self.inner.read();
            match inner.cols.get(&at).and_then(|m| m.get(of.key)) {
                Some(Slot::Built(col)) => return Ok(f(col.values(node, list.len()))),
                Some(Slot::TooLarge) => return Ok(f(Values::Records)),
                Some(Slot::Wanted(n)) if n.fetch_add(asked, Ordering::Relaxed) + asked < wanted => {
                    return Ok(f(Values::Records));
                }
                // Asked for enough: built below.
                Some(Slot::Wanted(_)) => {}
                None if asked < wanted => {
                    drop(inner);
                    let mut inner = self.inner.write();
                    let slot = inner
                        .cols
                        .entry(at)
                        .or_default()
                        .entry(of.key.into())
                        .or_insert_with(|| Slot::Wanted(AtomicU64::new(0)));
                    if let Slot::Wanted(n) = slot {
                        n.fetch_add(asked, Ordering::Relaxed);
                    }
                    return Ok(f(Values::Records));
                }
                None => {}
            }
        }
        let slot = self.build(topo, of.out, of.ty, read)?;
        let mut inner = self.inner.write();
        let add = match &slot {
            Slot::Built(c) => c.bytes,
            _ => 0,
        };
        let inner = &mut *inner;
        let by_key = inner.cols.entry(at).or_default();
        if !matches!(by_key.get(of.key), Some(Slot::Built(_) | Slot::TooLarge)) {
            // Else another reader built it meanwhile, from the same committed state.
            inner.bytes += add;
            by_key.insert(of.key.into(), slot);
        }
        let r = match by_key.get(of.key) {
            Some(Slot::Built(col)) => f(col.values(node, list.len())),
            _ => f(Values::Records),
        };
        Ok(r)
    }

    /// Reads every edge of type `ty` in the direction into a new column, unless it
    /// would pass the budget.
    fn build(
        &self,
        topo: &Topology,
        out: bool,
        ty: u32,
        read: &dyn Fn(u64) -> StoreResult<Option<Value>>,
    ) -> StoreResult<Slot> {
        let left = self.budget.saturating_sub(self.inner.read().bytes);
        let nodes = topo.node_bound();
        let edges = topo.type_count(ty);
        let mut bytes = (nodes + 1) * 4 + edges as usize * std::mem::size_of::<Value>();
        if bytes > left || u32::try_from(edges).is_err() {
            return Ok(Slot::TooLarge);
        }
        let mut start = Vec::with_capacity(nodes + 1);
        let mut vals = Vec::with_capacity(edges as usize);
        for n in 0..nodes as u64 {
            start.push(vals.len() as u32);
            for a in topo.type_range(n, out, ty) {
                let v = read(a.edge)?.unwrap_or(Value::Null);
                bytes += heap(&v);
                if bytes > left {
                    return Ok(Slot::TooLarge);
                }
                vals.push(v);
            }
        }
        start.push(vals.len() as u32);
        Ok(Slot::Built(Column {
            start,
            vals,
            stale: FxHashSet::default(),
            bytes,
        }))
    }

    /// A commit wrote or deleted an edge of type `ty` from `start` to `end`: marks
    /// both ends stale in that type's columns (dropping columns with too many stale
    /// nodes) and forgets that the type's columns were too large.
    pub(crate) fn edge_written(&self, ty: u32, start: u64, end: u64) {
        if self.budget == 0 {
            return;
        }
        let mut inner = self.inner.write();
        if inner.cols.is_empty() {
            return;
        }
        let mut freed = 0;
        for out in [true, false] {
            let Some(by_key) = inner.cols.get_mut(&(out, ty)) else {
                continue;
            };
            by_key.retain(|_, slot| {
                let col = match slot {
                    Slot::Built(col) => col,
                    // What was asked for still counts towards a build.
                    Slot::Wanted(_) => return true,
                    Slot::TooLarge => return false,
                };
                col.stale.insert(if out { start } else { end });
                if col.stale.len() > STALE_LIMIT {
                    freed += col.bytes;
                    return false;
                }
                true
            });
        }
        inner.bytes = inner.bytes.saturating_sub(freed);
    }

    /// Bytes the columns hold (approximate).
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.inner.read().bytes
    }
}

impl Column {
    /// Node `node`'s values, when it is not stale and has `len` of them.
    fn values(&self, node: u64, len: usize) -> Values<'_> {
        if self.stale.contains(&node) {
            return Values::Records;
        }
        let Ok(n) = usize::try_from(node) else {
            return Values::Records;
        };
        let (Some(&a), Some(&b)) = (self.start.get(n), self.start.get(n + 1)) else {
            // A node created after the build: stale, so not reached here; be safe.
            return Values::Records;
        };
        match self.vals.get(a as usize..b as usize) {
            Some(v) if v.len() == len => Values::Column(v),
            _ => Values::Records,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nodes 0..4, FUNDS edges 0 -> 1 (id 0), 0 -> 2 (id 1), 3 -> 1 (id 2), OWNS 0 -> 3 (id 3).
    fn graph() -> (Topology, u32) {
        let mut t = Topology::default();
        let l = t.intern_labels(&["N".to_string()]);
        for n in 0..4 {
            t.set_node(n, &l);
        }
        let funds = t.types.intern("FUNDS");
        let owns = t.types.intern("OWNS");
        t.add_edges(&[(0, funds, 0, 1), (1, funds, 0, 2), (2, funds, 3, 1), (3, owns, 0, 3)]);
        (t, funds)
    }

    fn amount(id: u64) -> StoreResult<Option<Value>> {
        Ok((id != 1).then_some(Value::Int(10 * id as i64)))
    }

    fn read(c: &AdjColumns, t: &Topology, out: bool, ty: u32, node: u64) -> Option<Vec<Value>> {
        let list = t.type_range(node, out, ty);
        let of = ColumnOf { out, ty, key: "amount" };
        c.with_values(t, of, node, list, &amount, |v| match v {
            Values::Column(v) => Some(v.to_vec()),
            Values::Records => None,
        })
        .unwrap()
    }

    #[test]
    fn a_column_lays_values_out_per_node_in_list_order() {
        let (t, funds) = graph();
        let c = AdjColumns::new(1 << 20);
        assert_eq!(read(&c, &t, true, funds, 0), Some(vec![Value::Int(0), Value::Null]));
        assert_eq!(read(&c, &t, true, funds, 1), Some(vec![]));
        assert_eq!(read(&c, &t, true, funds, 3), Some(vec![Value::Int(20)]));
        let one = c.bytes();
        assert!(one >= 5 * 4 + 3 * std::mem::size_of::<Value>(), "{one}");
        // A second column (the other direction) is counted too.
        assert_eq!(read(&c, &t, false, funds, 1), Some(vec![Value::Int(0), Value::Int(20)]));
        assert!(c.bytes() > one);
    }

    #[test]
    fn a_written_edge_makes_its_ends_stale_in_its_types_columns_only() {
        let (t, funds) = graph();
        let c = AdjColumns::new(1 << 20);
        read(&c, &t, true, funds, 0);
        read(&c, &t, false, funds, 1);
        c.edge_written(funds, 0, 2);
        assert_eq!(read(&c, &t, true, funds, 0), None);
        assert_eq!(read(&c, &t, true, funds, 3), Some(vec![Value::Int(20)]));
        assert_eq!(read(&c, &t, false, funds, 2), None);
        assert_eq!(read(&c, &t, false, funds, 1), Some(vec![Value::Int(0), Value::Int(20)]));
        // Another type's write leaves these columns alone.
        c.edge_written(funds + 1, 3, 1);
        assert_eq!(read(&c, &t, true, funds, 3), Some(vec![Value::Int(20)]));
    }

    #[test]
    fn a_column_is_built_once_reads_ask_for_a_sixteenth_of_its_edges() {
        // 64 FUNDS edges, one from each of nodes 0..64: a column waits for 4 asked values.
        let mut t = Topology::default();
        let l = t.intern_labels(&["N".to_string()]);
        for n in 0..65 {
            t.set_node(n, &l);
        }
        let funds = t.types.intern("FUNDS");
        let edges: Vec<(u64, u32, u64, u64)> = (0..64).map(|i| (i, funds, i, 64)).collect();
        t.add_edges(&edges);
        let c = AdjColumns::new(1 << 20);
        for n in 0..3 {
            assert_eq!(read(&c, &t, true, funds, n), None, "node {n} reads records");
        }
        assert_eq!(c.bytes(), 0);
        assert_eq!(read(&c, &t, true, funds, 3), Some(vec![Value::Int(30)]));
        assert!(c.bytes() > 0);
        // One node with all 64 edges asks for enough at once.
        assert_eq!(read(&c, &t, false, funds, 64).map(|v| v.len()), Some(64));
    }

    #[test]
    fn the_budget_bounds_the_columns_and_zero_turns_them_off() {
        let (t, funds) = graph();
        let off = AdjColumns::new(0);
        assert_eq!(read(&off, &t, true, funds, 0), None);
        assert_eq!(off.bytes(), 0);
        // Room for the start offsets but not for the values.
        let small = AdjColumns::new(5 * 4 + std::mem::size_of::<Value>());
        assert_eq!(read(&small, &t, true, funds, 0), None);
        assert_eq!(small.bytes(), 0);
        // Past the stale limit a column is dropped and its bytes freed.
        let c = AdjColumns::new(1 << 20);
        read(&c, &t, true, funds, 0);
        for n in 0..=STALE_LIMIT as u64 {
            c.edge_written(funds, n + 10, 0);
        }
        assert_eq!(c.bytes(), 0);
        assert_eq!(read(&c, &t, true, funds, 0), Some(vec![Value::Int(0), Value::Null]));
    }
}
