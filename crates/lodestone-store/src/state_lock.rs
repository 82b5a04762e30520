//! The lock around a store's committed state, fair to readers and writers alike.
//!
//! A read view holds a read guard for its whole life, and a commit needs the write
//! guard for the moment it applies its changes. Two liveness rules hold:
//!
//! - A new reader is never held back by a waiting writer for more than
//!   [`URGENT_WINDOW`] at a time, even while a long view keeps the writer out.
//! - A writer is never starved by readers that keep overlapping: once it has waited
//!   [`POLITE_WINDOW`], new readers queue behind it, so it gets in as soon as the
//!   reads already running end.
//!
//! A thread that already holds a read guard on the lock always gets another one at
//! once, so nested reads on one thread cannot deadlock against a waiting writer.

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a writer waits while readers still enter freely.
pub(crate) const POLITE_WINDOW: Duration = Duration::from_millis(10);
/// How long a writer holds new readers back before letting them in again.
pub(crate) const URGENT_WINDOW: Duration = Duration::from_millis(200);
/// How long queued readers get to enter between two urgent windows.
const READER_GAP: Duration = Duration::from_millis(20);

thread_local! {
    /// Read guards this thread holds, per lock address.
    static HELD: RefCell<Vec<(usize, usize)>> = const { RefCell::new(Vec::new()) };
}

fn held(key: usize) -> bool {
    HELD.with(|h| h.borrow().iter().any(|&(k, n)| k == key && n > 0))
}

fn enter(key: usize) {
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        match h.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => h.push((key, 1)),
        }
    });
}

fn leave(key: usize) {
    HELD.with(|h| {
        let mut h = h.borrow_mut();
        if let Some(i) = h.iter().position(|&(k, _)| k == key) {
            h[i].1 -= 1;
            if h[i].1 == 0 {
                h.swap_remove(i);
            }
        }
    });
}

/// A reader-writer lock whose waiting writer turns urgent after [`POLITE_WINDOW`].
#[derive(Default)]
pub(crate) struct StateLock<T> {
    lock: RwLock<T>,
    /// Set while a writer holds new readers back.
    urgent: AtomicBool,
}

impl<T: fmt::Debug> fmt::Debug for StateLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateLock").field("lock", &self.lock).finish()
    }
}

impl<T> StateLock<T> {
    /// A lock around `value`.
    pub(crate) fn new(value: T) -> Self {
        StateLock {
            lock: RwLock::new(value),
            urgent: AtomicBool::new(false),
        }
    }

    fn key(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// A read guard. It queues behind a writer only when that writer has turned
    /// urgent and this thread holds no other guard on the lock.
    pub(crate) fn read(&self) -> StateReadGuard<'_, T> {
        let key = self.key();
        let guard = if held(key) || !self.urgent.load(Ordering::SeqCst) {
            self.lock.read_recursive()
        } else {
            self.lock.read()
        };
        enter(key);
        StateReadGuard { guard, key }
    }

    /// The write guard: polite first, then urgent in bounded windows until it gets in.
    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, T> {
        if let Some(g) = self.lock.try_write_for(POLITE_WINDOW) {
            return g;
        }
        loop {
            self.urgent.store(true, Ordering::SeqCst);
            let got = self.lock.try_write_for(URGENT_WINDOW);
            self.urgent.store(false, Ordering::SeqCst);
            if let Some(g) = got {
                return g;
            }
            // A view outlives the window: let the readers that queued meanwhile in.
            std::thread::sleep(READER_GAP);
            if let Some(g) = self.lock.try_write() {
                return g;
            }
        }
    }
}

/// A read guard on a [`StateLock`]; it stays on the thread that took it.
pub(crate) struct StateReadGuard<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    key: usize,
}

impl<T> Deref for StateReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> Drop for StateReadGuard<'_, T> {
    fn drop(&mut self) {
        leave(self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicU64;
    use std::time::Instant;

    #[test]
    fn nested_reads_on_one_thread_pass_an_urgent_writer() {
        let lock = Arc::new(StateLock::new(0u32));
        let outer = lock.read();
        let writer = {
            let lock = lock.clone();
            std::thread::spawn(move || *lock.write() += 1)
        };
        std::thread::sleep(POLITE_WINDOW * 3);
        // The writer is urgent now; a nested read on this thread must not wait for it.
        let inner = lock.read();
        assert_eq!(*inner, 0);
        drop(inner);
        drop(outer);
        writer.join().unwrap();
        assert_eq!(*lock.read(), 1);
    }

    #[test]
    fn a_writer_gets_in_between_overlapping_readers() {
        let lock = Arc::new(StateLock::new(0u64));
        let stop = Arc::new(AtomicBool::new(false));
        let reads = Arc::new(AtomicU64::new(0));
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let (lock, stop, reads) = (lock.clone(), stop.clone(), reads.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let g = lock.read();
                        std::thread::sleep(Duration::from_millis(5));
                        drop(g);
                        reads.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(50));
        let (tx, rx) = std::sync::mpsc::channel();
        let writer = {
            let lock = lock.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    *lock.write() += 1;
                }
                let _ = tx.send(());
            })
        };
        let done = rx.recv_timeout(Duration::from_secs(20));
        stop.store(true, Ordering::SeqCst);
        for r in readers {
            r.join().unwrap();
        }
        writer.join().unwrap();
        assert!(done.is_ok(), "five commits did not get past overlapping readers");
        assert_eq!(*lock.read(), 5);
        assert!(reads.load(Ordering::SeqCst) > 0);
    }

    #[test]
    fn a_reader_gets_in_while_a_long_view_keeps_the_writer_out() {
        let lock = Arc::new(StateLock::new(0u32));
        let view = lock.read();
        let writer = {
            let lock = lock.clone();
            std::thread::spawn(move || *lock.write() += 1)
        };
        std::thread::sleep(POLITE_WINDOW * 3);
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = {
            let lock = lock.clone();
            std::thread::spawn(move || {
                let t = Instant::now();
                let v = *lock.read();
                let _ = tx.send((v, t.elapsed()));
            })
        };
        let seen = rx.recv_timeout(Duration::from_secs(5));
        drop(view);
        writer.join().unwrap();
        reader.join().unwrap();
        let (v, _) = seen.expect("a reader stayed queued behind a writer that could not get in");
        assert_eq!(v, 0);
    }
}
