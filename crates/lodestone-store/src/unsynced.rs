//! Key writes of durable commits that sled does not hold yet.
//!
//! A durable commit appends its redo record, and its key writes reach sled only
//! after that record is synced: sled then never holds a write the redo log could
//! lack, so a commit needs one sync (the redo log's) and no atomic sled batch.
//! The writes wait here until then, and after it until enough commits gather to be
//! written together, each key once; reads of the store look here before sled.
//!
//! Invariants: commits are queued in commit order and drained oldest first; a key
//! maps to the value of the newest queued commit that wrote it; drained writes are
//! in sled before their keys leave the map, so a reader finds every value in one of
//! the two.

use crate::StoreResult;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
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
    /// Bytes of its keys and values.
    size: usize,
}

#[derive(Default)]
struct Inner {
    /// Per key: the newest queued value and the commit that wrote it.
    keys: FxHashMap<sled::IVec, (u64, Option<sled::IVec>)>,
    queue: VecDeque<Queued>,
}

/// The writes waiting for their redo records' sync (see the module docs).
#[derive(Default)]
pub(crate) struct Unsynced {
    inner: RwLock<Inner>,
    /// Queued commits, read without the lock by the reads' fast path.
    len: AtomicUsize,
    /// Bytes of the queued commits' keys and values.
    bytes: AtomicUsize,
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
        let size = ops
            .iter()
            .map(|(k, v)| k.len() + v.as_ref().map_or(0, |v| v.len()))
            .sum::<usize>();
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        for (k, v) in ops.iter() {
            inner.keys.insert(k.clone(), (seq, v.clone()));
        }
        inner.queue.push_back(Queued { ticket, seq, ops, size });
        self.len.store(inner.queue.len(), Ordering::Release);
        self.bytes.fetch_add(size, Ordering::AcqRel);
    }

    /// How many commits wait.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Bytes of the waiting commits' keys and values.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes.load(Ordering::Acquire)
    }

    /// Writes the queued commits with tickets up to `ticket` into `sink` and forgets
    /// them: each key once, with the newest of their values, and `last` (the key every
    /// commit writes its sequence number under) after all others. A recovery that
    /// keeps a prefix of the writes then either has them all or still reports the
    /// sequence number from before them, and the redo log replays those commits
    /// whole. Callers serialize drains. On an error the commits stay queued (their
    /// writes are whole values, so writing them again is harmless).
    pub(crate) fn drain(&self, ticket: u64, last: &[u8], sink: &dyn Sink) -> StoreResult<()> {
        let (taken, newest_seq, writes) = {
            let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
            let mut writes: FxHashMap<sled::IVec, Option<sled::IVec>> = FxHashMap::default();
            let (mut taken, mut newest_seq) = (0, 0);
            for q in inner.queue.iter().take_while(|q| q.ticket <= ticket) {
                for (k, v) in q.ops.iter() {
                    writes.insert(k.clone(), v.clone());
                }
                taken += 1;
                newest_seq = q.seq;
            }
            (taken, newest_seq, writes)
        };
        if taken == 0 {
            return Ok(());
        }
        for (k, v) in writes.iter().filter(|(k, _)| &***k != last) {
            sink.put(k, v.as_deref())?;
        }
        if let Some(v) = writes.get(last) {
            sink.put(last, v.as_deref())?;
        }
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        let freed: usize = inner.queue.drain(..taken).map(|q| q.size).sum();
        self.bytes.fetch_sub(freed, Ordering::AcqRel);
        for k in writes.keys() {
            if inner.keys.get(k).is_some_and(|(s, _)| *s <= newest_seq) {
                inner.keys.remove(k);
            }
        }
        self.len.store(inner.queue.len(), Ordering::Release);
        Ok(())
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
        u.drain(1, b"seq", &sink).unwrap();
        assert_eq!(u.get(b"a"), Some(Some(sled::IVec::from(&b"2"[..]))));
        assert_eq!(u.get(b"b"), None);
        assert_eq!(
            sink.0.lock().unwrap().get(&b"a"[..]).map(Vec::as_slice),
            Some(&b"1"[..])
        );
        u.drain(5, b"seq", &sink).unwrap();
        assert!(u.is_empty() && u.get(b"a").is_none() && u.get(b"c").is_none());
        assert_eq!(
            sink.0.lock().unwrap().get(&b"a"[..]).map(Vec::as_slice),
            Some(&b"2"[..])
        );
        // Each drain wrote each of its keys once.
        assert_eq!(sink.1.lock().unwrap().len(), 4);
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
        assert!(u.drain(1, b"seq", &Failing).is_err());
        assert_eq!(u.get(b"a"), Some(Some(sled::IVec::from(&b"1"[..]))));
        let sink = Map::default();
        u.drain(1, b"seq", &sink).unwrap();
        assert!(u.is_empty());
    }

    #[test]
    fn a_drain_writes_each_key_once_with_its_newest_value_and_the_sequence_last() {
        let u = Unsynced::default();
        let sink = Map::default();
        u.push(1, 1, &[op("seq", Some("1")), op("a", Some("1")), op("b", Some("1"))]);
        u.push(2, 2, &[op("a", Some("2")), op("seq", Some("2")), op("c", None)]);
        u.push(3, 3, &[op("a", Some("3")), op("seq", Some("3"))]);
        // Only the commits up to the ticket go; the third stays readable and queued.
        u.drain(2, b"seq", &sink).unwrap();
        let order = sink.1.lock().unwrap().clone();
        assert_eq!(order.len(), 4, "{order:?}");
        assert_eq!(order.last().map(Vec::as_slice), Some(&b"seq"[..]));
        let m = sink.0.lock().unwrap().clone();
        assert_eq!(m.get(&b"a"[..]).map(Vec::as_slice), Some(&b"2"[..]));
        assert_eq!(m.get(&b"seq"[..]).map(Vec::as_slice), Some(&b"2"[..]));
        assert!(!m.contains_key(&b"c"[..]));
        assert_eq!(u.len(), 1);
        assert_eq!(u.get(b"a"), Some(Some(sled::IVec::from(&b"3"[..]))));
        assert_eq!(u.get(b"b"), None);
    }
}
