//! Storage for Lodestone: a narrow trait ([`Storage`], [`GraphRead`], [`WriteTxn`])
//! that the query engine sees, with a sled-backed implementation ([`SledStore`])
//! and an in-memory one ([`MemStore`]).
//!
//! Both keep the graph's topology (node labels, edge types and endpoints, per-type
//! adjacency) in memory, so traversals never decode records. A write transaction is
//! an overlay of its own changes over the committed state; at commit it is
//! validated against the schema and applied whole.
//!
//! A read view holds the committed state's read lock for its lifetime, and a commit
//! waits for open read views to end before it applies its changes, so a view never
//! sees half a commit. A waiting commit never holds back new views: readers enter
//! whenever no commit is being applied. Drop read views before committing on the
//! same thread (the commit would wait for them forever). A write transaction reads
//! through its own overlay and needs no read view.

mod adjcols;
mod api;
mod cache;
pub mod codec;
mod columns;
mod commit_record;
mod error;
mod keys;
mod mem;
mod overlay;
mod redo;
mod sled_handle;
mod sled_store;
mod snapshot;
mod state_lock;
mod topo;
mod unsynced;

pub use api::{Adjacent, CheckReport, Durability, GraphRead, GraphWrite, Stats, Storage, StoreInfo, WriteTxn};
pub use error::{StoreError, StoreResult};
pub use mem::MemStore;
pub use sled_store::{FORMAT_VERSION, OLDEST_FORMAT_VERSION, OpenOptions, SledStore};
