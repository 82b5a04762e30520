//! A bounded, sharded cache of decoded records for the on-disk backend.
//!
//! Readers fill it while they hold the committed state's read lock, and a commit
//! removes exactly the records it writes while it holds the write lock, so an entry
//! always equals the committed record: readers never see stale data. Each shard is
//! a small map behind its own mutex; when a shard is full, its oldest entries make
//! room (first in, first out), which bounds memory without per-read bookkeeping.

use lodestone_model::{EdgeRecord, NodeRecord};
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Number of shards; a power of two.
const SHARDS: usize = 16;

/// A cached decoded record.
#[derive(Debug, Clone)]
pub(crate) enum Cached {
    /// A node record.
    Node(Arc<NodeRecord>),
    /// An edge record.
    Edge(Arc<EdgeRecord>),
}

/// Which record: (kind, id) where kind is the record's key prefix byte.
type Key = (u8, u64);

#[derive(Debug, Default)]
struct Shard {
    map: HashMap<Key, Cached>,
    /// Insertion order; may hold keys already removed (skipped when evicting).
    order: VecDeque<Key>,
}

/// The cache: `capacity` records at most, spread over [`SHARDS`] shards.
#[derive(Debug)]
pub(crate) struct RecordCache {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
}

fn shard_of(key: Key) -> usize {
    // Consecutive ids spread over the shards; the kind moves nodes and edges apart.
    let h = key.1.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(key.0);
    (h >> 58) as usize % SHARDS
}

impl RecordCache {
    /// A cache holding at most about `capacity` records (0 disables it).
    pub(crate) fn new(capacity: usize) -> Self {
        RecordCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            per_shard: capacity.div_ceil(SHARDS),
        }
    }

    /// The cached record, if present.
    pub(crate) fn get(&self, kind: u8, id: u64) -> Option<Cached> {
        if self.per_shard == 0 {
            return None;
        }
        let key = (kind, id);
        self.shards[shard_of(key)].lock().map.get(&key).cloned()
    }

    /// Caches a record read from the committed state.
    pub(crate) fn put(&self, kind: u8, id: u64, value: Cached) {
        if self.per_shard == 0 {
            return;
        }
        let key = (kind, id);
        let mut shard = self.shards[shard_of(key)].lock();
        if shard.map.insert(key, value).is_none() {
            shard.order.push_back(key);
        }
        while shard.map.len() > self.per_shard {
            let Some(old) = shard.order.pop_front() else { break };
            shard.map.remove(&old);
        }
        // Removed keys linger in `order`; keep it from growing without bound.
        if shard.order.len() > 2 * self.per_shard + 16 {
            let Shard { map, order } = &mut *shard;
            order.retain(|k| map.contains_key(k));
        }
    }

    /// Forgets a record (a commit changed or deleted it).
    pub(crate) fn remove(&self, kind: u8, id: u64) {
        if self.per_shard == 0 {
            return;
        }
        let key = (kind, id);
        self.shards[shard_of(key)].lock().map.remove(&key);
    }

    /// Number of cached records.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().map.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str) -> Cached {
        let mut rec = NodeRecord::default();
        rec.labels.push(name.to_string());
        Cached::Node(Arc::new(rec))
    }

    #[test]
    fn bounded_and_removable() {
        let c = RecordCache::new(64);
        for i in 0..10_000 {
            c.put(b'N', i, node("A"));
        }
        assert!(c.len() <= 64 + SHARDS, "{}", c.len());
        c.put(b'N', 5, node("B"));
        assert!(matches!(c.get(b'N', 5), Some(Cached::Node(r)) if r.labels == ["B"]));
        assert!(c.get(b'E', 5).is_none());
        c.remove(b'N', 5);
        assert!(c.get(b'N', 5).is_none());
        let off = RecordCache::new(0);
        off.put(b'N', 1, node("A"));
        assert!(off.get(b'N', 1).is_none());
    }
}
