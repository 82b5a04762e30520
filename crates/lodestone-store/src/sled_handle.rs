//! A sled database handle whose last drop cannot take the process down.
//!
//! Closing sled syncs its log file and panics when the sync fails (a failing or
//! full disk). Every acknowledged commit is durable before that point, so the
//! store catches that panic where the last handle drops and logs it instead.

use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// A [`sled::Db`] that drops inside `catch_unwind`.
pub(crate) struct SledHandle(ManuallyDrop<sled::Db>);

impl SledHandle {
    /// Wraps an open database.
    pub(crate) fn new(db: sled::Db) -> Self {
        SledHandle(ManuallyDrop::new(db))
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
