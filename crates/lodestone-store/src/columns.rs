//! Hot-property columns: single property values of committed records, by property
//! key and record id, for statements that read one property of many records (an
//! aggregation over every `FUNDS` edge's `amount`, say).
//!
//! A column holds only values that reads asked for, so it costs memory in
//! proportion to what queries touch, not to the graph. Like the record cache,
//! readers fill it while they hold the committed state's read lock and a commit
//! removes every value of the records it writes while it holds the write lock, so a
//! value always equals the committed one. When the columns outgrow their byte
//! budget they are emptied whole and refill from later reads.

use crate::StoreResult;
use lodestone_model::Value;
use parking_lot::RwLock;
use rustc_hash::FxHashMap as Map;

/// Which records a column describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Node records.
    Node,
    /// Edge records.
    Edge,
}

/// One property's values by record id; `Value::Null` records that the property is
/// absent (stored records never hold null).
type Column = Map<u64, Value>;

#[derive(Debug, Default)]
struct Inner {
    nodes: Map<Box<str>, Column>,
    edges: Map<Box<str>, Column>,
    bytes: usize,
}

impl Inner {
    fn of(&self, kind: Kind) -> &Map<Box<str>, Column> {
        match kind {
            Kind::Node => &self.nodes,
            Kind::Edge => &self.edges,
        }
    }

    fn of_mut(&mut self, kind: Kind) -> &mut Map<Box<str>, Column> {
        match kind {
            Kind::Node => &mut self.nodes,
            Kind::Edge => &mut self.edges,
        }
    }
}

/// The columns of one open store, bounded by a byte budget (0 turns them off).
#[derive(Debug)]
pub(crate) struct PropColumns {
    budget: usize,
    inner: RwLock<Inner>,
}

/// Bytes an entry costs: the map slot plus the value's heap part (approximate).
fn cost(value: &Value) -> usize {
    let heap = match value {
        Value::String(s) => s.len(),
        Value::Quantity(q) => q.unit.len(),
        Value::List(l) => l.len() * std::mem::size_of::<Value>() + 64,
        Value::Map(m) => m.len() * (std::mem::size_of::<Value>() + 32) + 64,
        _ => 0,
    };
    std::mem::size_of::<(u64, Value)>() + 8 + heap
}

impl PropColumns {
    /// Columns holding about `budget` bytes at most.
    pub(crate) fn new(budget: usize) -> Self {
        PropColumns {
            budget,
            inner: RwLock::new(Inner::default()),
        }
    }

    /// The cached value of `key` on record `id`: `Some(Value::Null)` when the record
    /// is known to lack it, `None` when the column does not know.
    pub(crate) fn get(&self, kind: Kind, key: &str, id: u64) -> Option<Value> {
        if self.budget == 0 {
            return None;
        }
        self.inner.read().of(kind).get(key)?.get(&id).cloned()
    }

    /// Records the committed value of `key` on record `id` (`Value::Null` when absent).
    pub(crate) fn put(&self, kind: Kind, key: &str, id: u64, value: Value) {
        if self.budget == 0 {
            return;
        }
        let add = cost(&value);
        let mut inner = self.inner.write();
        if inner.bytes + add > self.budget {
            // Emptied whole: the columns only save work, they never decide results.
            *inner = Inner::default();
        }
        let column = match inner.of_mut(kind).get_mut(key) {
            Some(c) => c,
            None => inner.of_mut(kind).entry(key.into()).or_default(),
        };
        if column.insert(id, value).is_none() {
            inner.bytes += add;
        }
    }

    /// The value of `key` on record `id`, from the column or else from `read` (which
    /// gives `None` for a missing record, `Some(None)` for a missing property); what
    /// `read` finds about an existing record is kept.
    pub(crate) fn read_through(
        &self,
        kind: Kind,
        key: &str,
        id: u64,
        read: impl FnOnce() -> StoreResult<Option<Option<Value>>>,
    ) -> StoreResult<Option<Value>> {
        if let Some(v) = self.get(kind, key, id) {
            return Ok((!v.is_null()).then_some(v));
        }
        let Some(v) = read()? else {
            return Ok(None);
        };
        self.put(kind, key, id, v.clone().unwrap_or(Value::Null));
        Ok(v)
    }

    /// The value of `key` on each of `len` records (`id_at` gives the id at each
    /// position), in order, lent to `f` with its position (`None` when absent): one
    /// lock for a run of known values, and [`PropColumns::read_through`] with `read`
    /// for each value the column lacks.
    pub(crate) fn each(
        &self,
        kind: Kind,
        key: &str,
        len: usize,
        id_at: &dyn Fn(usize) -> u64,
        read: &dyn Fn(u64) -> StoreResult<Option<Option<Value>>>,
        f: &mut dyn FnMut(usize, Option<&Value>),
    ) -> StoreResult<()> {
        let mut i = 0;
        while i < len {
            if self.budget > 0 {
                let inner = self.inner.read();
                if let Some(column) = inner.of(kind).get(key) {
                    while i < len
                        && let Some(v) = column.get(&id_at(i))
                    {
                        f(i, (!v.is_null()).then_some(v));
                        i += 1;
                    }
                }
            }
            if i < len {
                let id = id_at(i);
                let v = self.read_through(kind, key, id, || read(id))?;
                f(i, v.as_ref());
                i += 1;
            }
        }
        Ok(())
    }

    /// Forgets every value of record `id` (a commit wrote or deleted it).
    pub(crate) fn remove(&self, kind: Kind, id: u64) {
        if self.budget == 0 {
            return;
        }
        let mut inner = self.inner.write();
        let mut freed = 0;
        for column in inner.of_mut(kind).values_mut() {
            if let Some(v) = column.remove(&id) {
                freed += cost(&v);
            }
        }
        inner.bytes = inner.bytes.saturating_sub(freed);
    }

    /// Bytes the columns hold (approximate).
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.inner.read().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_kept_per_kind_key_and_id_and_forgotten_per_record() {
        let c = PropColumns::new(1 << 20);
        c.put(Kind::Edge, "amount", 7, Value::Int(5));
        c.put(Kind::Edge, "date", 7, Value::Null);
        c.put(Kind::Node, "amount", 7, Value::Int(9));
        assert_eq!(c.get(Kind::Edge, "amount", 7), Some(Value::Int(5)));
        assert_eq!(c.get(Kind::Edge, "date", 7), Some(Value::Null));
        assert_eq!(c.get(Kind::Edge, "amount", 8), None);
        assert_eq!(c.get(Kind::Edge, "name", 7), None);
        c.remove(Kind::Edge, 7);
        assert_eq!(c.get(Kind::Edge, "amount", 7), None);
        assert_eq!(c.get(Kind::Edge, "date", 7), None);
        assert_eq!(c.get(Kind::Node, "amount", 7), Some(Value::Int(9)));
    }

    #[test]
    fn the_budget_bounds_memory_and_zero_turns_columns_off() {
        let c = PropColumns::new(64 * 1024);
        for i in 0..100_000 {
            c.put(Kind::Node, "name", i, Value::String(format!("node {i}")));
        }
        assert!(c.bytes() <= 64 * 1024, "{}", c.bytes());
        assert_eq!(
            c.get(Kind::Node, "name", 99_999),
            Some(Value::String("node 99999".into()))
        );
        let off = PropColumns::new(0);
        off.put(Kind::Node, "name", 1, Value::Int(1));
        assert_eq!(off.get(Kind::Node, "name", 1), None);
    }
}
