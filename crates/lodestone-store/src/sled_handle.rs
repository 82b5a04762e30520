//! A sled database handle whose last drop cannot take the process down.
//!
//! Closing sled syncs its log file and panics when the sync fails (a failing or
//! full disk). Every acknowledged commit is durable before that point, so the
//! store catches that panic where the last handle drops and logs it instead.

use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A [`sled::Db`] that drops inside `catch_unwind`.
pub(crate) struct SledHandle(ManuallyDrop<sled::Db>);

impl SledHandle {
    /// Wraps an open database.
    pub(crate) fn new(db: sled::Db) -> Self {
        SledHandle(ManuallyDrop::new(db))
    }
}

impl SledHandle {
    /// sled's `flush`, safe from a lost wake-up in sled 0.34: when a write of its log
    /// fails on one of its own threads, a flush that checked for failures just before
    /// can wait for ever for a notice that was already sent. A flush that starts after
    /// the failure reports it and sends the notice again, so while this flush runs, a
    /// helper thread repeats the flush once a second until it returns.
    pub(crate) fn flush_waking(&self) -> sled::Result<usize> {
        let done = Arc::new(AtomicBool::new(false));
        let helper = {
            let (db, done) = (self.clone(), done.clone());
            std::thread::Builder::new()
                .name("lodestone-flush-wake".into())
                .spawn(move || {
                    while !done.load(Ordering::Acquire) {
                        std::thread::park_timeout(Duration::from_secs(1));
                        if done.load(Ordering::Acquire) {
                            break;
                        }
                        let _ = db.flush();
                    }
                })
                .ok()
        };
        let result = self.flush();
        done.store(true, Ordering::Release);
        if let Some(h) = helper {
            h.thread().unpark();
        }
        result
    }
}

impl Clone for SledHandle {
    fn clone(&self) -> Self {
        SledHandle::new((*self.0).clone())
    }
}

impl Deref for SledHandle {
    type Target = sled::Db;

    fn deref(&self) -> &sled::Db {
        &self.0
    }
}

impl Drop for SledHandle {
    fn drop(&mut self) {
        // SAFETY: the field is taken once, here, and never used again.
        let db = unsafe { ManuallyDrop::take(&mut self.0) };
        if catch_unwind(AssertUnwindSafe(move || drop(db))).is_err() {
            tracing::error!("closing the storage engine failed: its final sync of the log did not succeed");
        }
    }
}
