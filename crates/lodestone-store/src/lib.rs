//! Storage for Lodestone: a narrow trait ([`Storage`], [`GraphRead`], [`WriteTxn`])
//! that the query engine sees, with a sled-backed implementation and an in-memory one.

mod api;
mod error;

pub use api::{Adjacent, CheckReport, Durability, GraphRead, GraphWrite, Stats, Storage, StoreInfo, WriteTxn};
pub use error::{StoreError, StoreResult};
