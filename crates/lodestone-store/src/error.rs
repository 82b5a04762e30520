use lodestone_model::{EdgeId, NodeId, SchemaViolation};
use std::path::PathBuf;
use thiserror::Error;

/// Result of a storage operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Errors from the storage layer.
#[derive(Debug, Error)]
pub enum StoreError {
    /// Another process holds the database open.
    #[error("database is locked by another process: {}", path.display())]
    Locked {
        /// The database directory.
        path: PathBuf,
    },
    /// The database was written by a newer format this build cannot read.
    #[error("database {} has format version {found}; this build reads version {supported}", path.display())]
    NewerFormat {
        /// The database directory.
        path: PathBuf,
        /// Version found on disk.
        found: u32,
        /// Version this build writes.
        supported: u32,
    },
    /// The files are damaged: truncated, corrupted, or not a Lodestone database.
    #[error("database {} is damaged: {reason}", path.display())]
    Corrupt {
        /// The database directory.
        path: PathBuf,
        /// What was found wrong, without record bytes.
        reason: String,
    },
    /// A record could not be decoded.
    #[error("cannot decode {what}: {reason}")]
    Decode {
        /// Which record kind.
        what: &'static str,
        /// Why, in words.
        reason: String,
    },
    /// A record could not be encoded.
    #[error("cannot encode {what}: {reason}")]
    Encode {
        /// Which record kind.
        what: &'static str,
        /// Why, in words.
        reason: String,
    },
    /// A node id that does not exist.
    #[error("node {0} does not exist")]
    NoSuchNode(NodeId),
    /// An edge id that does not exist.
    #[error("relationship {0} does not exist")]
    NoSuchEdge(EdgeId),
    /// Deleting a node that still has relationships, without DETACH.
    #[error("cannot delete node {node}: it still has {edges} relationship(s); use DETACH DELETE")]
    NodeHasEdges {
        /// The node.
        node: NodeId,
        /// How many edges it has.
        edges: u64,
    },
    /// An edge update tried to change its type or endpoints.
    #[error("relationship {0}: type and endpoints cannot change")]
    EdgeShapeChanged(EdgeId),
    /// A property value that cannot be stored (a node, relationship or path).
    #[error("property `{key}` cannot hold a {kind}")]
    NotStorable {
        /// The property key.
        key: String,
        /// The kind given.
        kind: String,
    },
    /// A write breaks the declared schema.
    #[error(transparent)]
    Schema(#[from] SchemaViolation),
    /// A write on a database opened read-only.
    #[error("database is read-only")]
    ReadOnly,
    /// An I/O failure from the disk or the backing store.
    #[error("I/O error: {0}")]
    Io(String),
}
