//! Key writes of durable commits whose redo records are not yet known synced.
//!
//! A durable commit appends its redo record, and its key writes reach sled only
//! after that record is synced: sled then never holds a write the redo log could
//! lack, so a commit needs one sync (the redo log's) and no atomic sled batch.
//! Meanwhile the writes wait here, and reads of the store look here before sled.
//!
//! Invariants: commits are queued and drained in commit order; a key maps to the
//! value of the newest queued commit that wrote it; a drained commit's writes are
//! in sled before its keys leave the map, so a reader finds every value in one of
//! the two.

use crate::StoreResult;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

/// One queued commit.
struct Queued {
    /// The redo ticket that makes it durable once synced.
    ticket: u64,
    /// Its commit sequence number.
    seq: u64,
    /// Its key writes (`Some`) and removals (`None`), in order.
    ops: Arc<[(sled::IVec, Option<sled::IVec>)]>,
}

#[derive(Default)]
struct Inner {
    /// Per key: the newest queued value and the commit that wrote it.
    keys: HashMap<sled::IVec, (u64, Option<sled::IVec>)>,
    queue: VecDeque<Queued>,
}

/// The writes waiting for their redo records' sync (see the module docs).
#[derive(Default)]
pub(crate) struct Unsynced {
    inner: RwLock<Inner>,
    /// Queued commits, read without the lock by the reads' fast path.
    len: AtomicUsize,
}

/// Where a drained write goes: the storage engine under the queue.
pub(crate) trait Sink {
    /// Writes `value` under `key`, or removes `key` for `None`.
    fn put(&self, key: &[u8], value: Option<&[u8]>) -> StoreResult<()>;
}

impl Unsynced {
    /// Whether no commit waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(Ordering::Acquire) == 0
    }

    /// The waiting value of `key`: `Some(None)` for a waiting removal, `None` when
    /// no waiting commit wrote the key (the storage engine has its value).
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<sled::IVec>> {
        if self.is_empty() {
            return None;
        }
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        inner.keys.get(key).map(|(_, v)| v.clone())
    }

    /// Every waiting key under `prefix` with its value (`None`: removed), sorted.
    pub(crate) fn with_prefix(&self, prefix: &[u8]) -> Vec<(sled::IVec, Option<sled::IVec>)> {
        if self.is_empty() {
            return Vec::new();
        }
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<_> = inner
            .keys
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, (_, v))| (k.clone(), v.clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Queues commit `seq`, durable once redo ticket `ticket` is synced. Commits
    /// must come in order.
    pub(crate) fn push(&self, ticket: u64, seq: u64, ops: &[(Vec<u8>, Option<Vec<u8>>)]) {
        let ops: Arc<[(sled::IVec, Option<sled::IVec>)]> = ops
            .iter()
            .map(|(k, v)| (sled::IVec::from(k.as_slice()), v.as_deref().map(sled::IVec::from)))
            .collect();
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        for (k, v) in ops.iter() {
            inner.keys.insert(k.clone(), (seq, v.clone()));
        }
        inner.queue.push_back(Queued { ticket, seq, ops });
        self.len.store(inner.queue.len(), Ordering::Release);
    }

    /// Writes every queued commit with a ticket up to `ticket` into `sink`, in
    /// order, and forgets it. Callers serialize drains. On an error the failed
    /// commit stays queued (its writes are whole values, so writing them again is
    /// harmless).
    pub(crate) fn drain(&self, ticket: u64, sink: &dyn Sink) -> StoreResult<()> {
        loop {
            let next = {
                let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
                match inner.queue.front() {
                    Some(q) if q.ticket <= ticket => (q.seq, q.ops.clone()),
                    _ => return Ok(()),
                }
            };
            let (seq, ops) = next;
            for (k, v) in ops.iter() {
                sink.put(k, v.as_deref())?;
            }
            let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
            inner.queue.pop_front();
            for (k, _) in ops.iter() {
                if inner.keys.get(k).is_some_and(|(s, _)| *s == seq) {
                    inner.keys.remove(k);
                }
            }
            self.len.store(inner.queue.len(), Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Map(Mutex<BTreeMap<Vec<u8>, Vec<u8>>>, Mutex<Vec<Vec<u8>>>);

    impl Sink for Map {
        fn put(&self, key: &[u8], value: Option<&[u8]>) -> StoreResult<()> {
            self.1.lock().unwrap().push(key.to_vec());
            let mut m = self.0.lock().unwrap();
            match value {
                Some(v) => m.insert(key.to_vec(), v.to_vec()),
                None => m.remove(key),
            };
            Ok(())
        }
    }

    fn op(k: &str, v: Option<&str>) -> (Vec<u8>, Option<Vec<u8>>) {
        (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec()))
    }

    #[test]
    fn reads_see_the_newest_waiting_value_until_it_is_drained() {
        let u = Unsynced::default();
        let sink = Map::default();
        assert!(u.is_empty() && u.get(b"a").is_none());
        u.push(1, 10, &[op("a", Some("1")), op("b", Some("1"))]);
        u.push(2, 11, &[op("a", Some("2")), op("c", None)]);
        assert_eq!(u.get(b"a"), Some(Some(sled::IVec::from(&b"2"[..]))));
        assert_eq!(u.get(b"c"), Some(None));
        assert_eq!(u.with_prefix(b"").len(), 3);
        // Draining the first commit keeps the second commit's value of `a`.
        u.drain(1, &sink).unwrap();
        assert_eq!(u.get(b"a"), Some(Some(sled::IVec::from(&b"2"[..]))));
        assert_eq!(u.get(b"b"), None);
        assert_eq!(
            sink.0.lock().unwrap().get(&b"a"[..]).map(Vec::as_slice),
            Some(&b"1"[..])
        );
        u.drain(5, &sink).unwrap();
        assert!(u.is_empty() && u.get(b"a").is_none() && u.get(b"c").is_none());
        assert_eq!(
            sink.0.lock().unwrap().get(&b"a"[..]).map(Vec::as_slice),
            Some(&b"2"[..])
        );
        // Writes reached the sink commit by commit, each commit's in its order.
        assert_eq!(*sink.1.lock().unwrap(), [&b"a"[..], b"b", b"a", b"c"]);
    }

    #[test]
    fn a_failed_drain_keeps_the_commit_queued() {
        struct Failing;
        impl Sink for Failing {
            fn put(&self, _: &[u8], _: Option<&[u8]>) -> StoreResult<()> {
                Err(crate::StoreError::Io("injected".into()))
            }
        }
        let u = Unsynced::default();
        u.push(1, 1, &[op("a", Some("1"))]);
        assert!(u.drain(1, &Failing).is_err());
        assert_eq!(u.get(b"a"), Some(Some(sled::IVec::from(&b"1"[..]))));
        let sink = Map::default();
        u.drain(1, &sink).unwrap();
        assert!(u.is_empty());
    }
}
