//! The on-disk backend: records and indexes in one sled tree under key prefixes,
//! topology in memory (rebuilt on open, updated after each commit).
//!
//! A durable commit appends its key writes to the redo log, and they reach sled only
//! once that log is synced (`unsynced.rs`): one sync per commit, shared by writers
//! that wait together. Commits without a sync of their own (deferred durability, or
//! too large for the log) go to sled in one atomic `apply_batch`.
//! See `docs/format.md` for every key and value layout.

use crate::adjcols::{AdjColumns, ColumnOf, Values};
use crate::cache::{Cached, RecordCache};
use crate::codec::{
    self, block_record, bucket_lookup, decode_block, decode_bucket, decode_edge, decode_edge_header, decode_node,
    decode_node_labels, decode_schema, encode_block, encode_bucket, encode_edge, encode_node, encode_schema, id_key,
    read_u32, read_u64, stable_hash,
};
use crate::columns::{Kind, PropColumns};
use crate::commit_record::{self, CommitMark};
use crate::keys::{name_keys, prop_key};
use crate::overlay::{Backend, Base, ChangeSet, Snapshot, Txn, apply_topology, index_delta, lock_read};
use crate::redo::{self, RedoLog, RedoRecord, Writes};
use crate::sled_handle::SledHandle;
use crate::snapshot::{self, Skip, Tag};
use crate::state_lock::StateLock;
use crate::topo::{Adj, Interner, Topology, of_type};
use crate::unsynced::{Sink, Unsynced};
use crate::{Adjacent, CheckReport, Durability, GraphRead, Storage, StoreError, StoreInfo, StoreResult, WriteTxn};
use fs2::FileExt;
use lodestone_model::{Direction, EdgeId, EdgeRecord, NodeId, NodeRecord, Schema, Value};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions as FsOpenOptions};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The on-disk format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 2;
/// The oldest on-disk format this build opens (it differs only in record packing).
pub const OLDEST_FORMAT_VERSION: u32 = 1;

/// Value of the magic key: marks a sled database as a Lodestone graph.
const MAGIC: &[u8] = b"lodestone-graph";

const P_LABEL: u8 = b'A';
const P_TYPE: u8 = b'T';
const P_NODE: u8 = b'N';
const P_EDGE: u8 = b'E';
const P_NAME: u8 = b'K';
const P_PROP: u8 = b'P';

const K_MAGIC: &[u8] = b"Mmagic";
const K_FORMAT: &[u8] = b"Mformat";
const K_NEXT_NODE: &[u8] = b"Mnext_node";
const K_NEXT_EDGE: &[u8] = b"Mnext_edge";
/// Number of commits applied since creation, u64 big-endian; absent means 0.
const K_COMMIT_SEQ: &[u8] = b"Mcommit_seq";
const K_SCHEMA: &[u8] = b"Mschema";
const K_INDEXES: &[u8] = b"Mindexes";

/// Subdirectory holding sled's files.
const SLED_DIR: &str = "sled";
/// Subdirectory a new database is built in before it is renamed to [`SLED_DIR`].
const INIT_DIR: &str = "sled.init";
/// The lock file taken (exclusively) by the process that has the database open.
const LOCK_FILE: &str = "LOCK";
/// Present while a bulk load runs: an open that finds it empties the database.
pub(crate) const BULK_FILE: &str = "BULK";

/// Number of hash buckets of the name index and of each property index.
const BUCKETS: u64 = 1 << 16;

/// How records are packed into sled values: 2^bits records to a block, by consecutive
/// ids. Format 1 packs 64, format 2 packs 16 (a record read then fetches a quarter of
/// the bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Blocks {
    bits: u32,
}

impl Blocks {
    /// The packing of a database of format `version`.
    fn of_format(version: u32) -> Blocks {
        Blocks {
            bits: if version == 1 { 6 } else { 4 },
        }
    }

    /// The block and slot of record `id`.
    fn of(self, id: u64) -> (u64, u8) {
        (id >> self.bits, (id & ((1 << self.bits) - 1)) as u8)
    }

    /// The record id at `slot` of `block`; `None` for a slot the packing does not have.
    fn id(self, block: u64, slot: u8) -> Option<u64> {
        (u64::from(slot) < 1 << self.bits).then(|| (block << self.bits) | u64::from(slot))
    }

    /// The id of the first record of `block`.
    fn first_id(self, block: u64) -> u64 {
        block << self.bits
    }
}

fn block_key(prefix: u8, block: u64) -> [u8; 9] {
    let mut k = [prefix; 9];
    k[1..].copy_from_slice(&id_key(block));
    k
}

fn interned_key(prefix: u8, id: u32) -> [u8; 5] {
    let mut k = [prefix; 5];
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

fn bucket_of(key: &[u8]) -> u32 {
    (stable_hash(key) % BUCKETS) as u32
}

/// Which index bucket: the name index (`None`) or a property index, and the bucket.
type BucketId = (Option<u32>, u32);

fn name_bucket(name: &str) -> BucketId {
    (None, bucket_of(name.as_bytes()))
}

fn prop_bucket(index: usize, vkey: &[u8]) -> BucketId {
    (Some(index as u32), bucket_of(vkey))
}

fn bucket_key((index, bucket): BucketId) -> Vec<u8> {
    let mut k = Vec::with_capacity(9);
    match index {
        None => k.push(P_NAME),
        Some(i) => {
            k.push(P_PROP);
            k.extend_from_slice(&i.to_be_bytes());
        }
    }
    k.extend_from_slice(&bucket.to_be_bytes());
    k
}

fn name_bucket_key(name: &str) -> Vec<u8> {
    bucket_key(name_bucket(name))
}

fn prop_bucket_key(index: usize, vkey: &[u8]) -> Vec<u8> {
    bucket_key(prop_bucket(index, vkey))
}

fn io(e: sled::Error) -> StoreError {
    StoreError::Io(e.to_string())
}

/// How to open an on-disk store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// Refuse writes; a missing database is an error instead of being created.
    pub read_only: bool,
    /// When commits reach the disk.
    pub durability: Durability,
    /// Bytes of sled's page cache.
    pub cache_bytes: u64,
    /// Decoded records kept in memory for repeated reads (0 turns the cache off).
    pub record_cache: usize,
    /// Bytes of single property values kept by key for repeated reads of one
    /// property over many records (0 turns them off).
    pub property_columns: usize,
    /// Bytes of relationship property values kept in adjacency order, for
    /// aggregations over one property of many nodes' relationships (0 turns them off).
    pub adjacency_columns: usize,
    /// The format a new database is created in ([`FORMAT_VERSION`]; an older one
    /// down to [`OLDEST_FORMAT_VERSION`] for compatibility tests).
    pub create_format: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            read_only: false,
            durability: Durability::Immediate,
            cache_bytes: 256 << 20,
            record_cache: 1 << 16,
            property_columns: 128 << 20,
            adjacency_columns: 64 << 20,
            create_format: FORMAT_VERSION,
        }
    }
}

pub(crate) struct SledState {
    db: SledHandle,
    topo: Topology,
    schema: Schema,
    indexes: Vec<(String, String)>,
    next_node: u64,
    next_edge: u64,
    commit_seq: u64,
    persisted_labels: usize,
    persisted_types: usize,
    /// Decoded committed records; a commit removes the records it writes.
    cache: RecordCache,
    /// Single committed property values; a commit removes the records it writes.
    columns: PropColumns,
    /// Relationship property values in adjacency order; a commit marks the ends of
    /// the edges it writes stale.
    adjcols: AdjColumns,
    /// The database's format version.
    format: u32,
    /// How its records are packed.
    blocks: Blocks,
    /// Writes of commits whose redo records are not yet synced: reads look here first.
    unsynced: Arc<Unsynced>,
}

impl SledState {
    /// The committed state's position, as a topology snapshot is tagged with it.
    fn tag(&self) -> Tag {
        Tag {
            seq: self.commit_seq,
            next_node: self.next_node,
            next_edge: self.next_edge,
            labels: self.topo.labels.len() as u32,
            types: self.topo.types.len() as u32,
        }
    }

    /// The committed state's position, as the commit record stores it.
    fn mark(&self) -> CommitMark {
        CommitMark {
            seq: self.commit_seq,
            next_node: self.next_node,
            next_edge: self.next_edge,
        }
    }

    /// A node record from its stored bytes.
    fn node_of(&self, raw: &[u8]) -> StoreResult<NodeRecord> {
        let (labels, props, citations) = decode_node(raw)?;
        Ok(NodeRecord {
            labels: self.labels_of(&labels)?,
            props,
            citations,
        })
    }

    fn labels_of(&self, ids: &[u32]) -> StoreResult<Vec<String>> {
        ids.iter()
            .map(|l| {
                if (*l as usize) < self.topo.labels.len() {
                    Ok(self.topo.labels.name(*l).to_string())
                } else {
                    Err(StoreError::Decode {
                        what: "node",
                        reason: format!("unknown label id {l}"),
                    })
                }
            })
            .collect()
    }

    /// The committed value of `key`: a write still waiting for its sync, else sled's.
    fn get(&self, key: &[u8]) -> StoreResult<Option<sled::IVec>> {
        match self.unsynced.get(key) {
            Some(value) => Ok(value),
            None => self.db.get(key).map_err(io),
        }
    }

    /// Every committed key under `prefix` with its value, in key order.
    fn scan(&self, prefix: u8) -> StoreResult<Vec<(sled::IVec, sled::IVec)>> {
        let mut all: BTreeMap<sled::IVec, Option<sled::IVec>> = BTreeMap::new();
        for kv in self.db.scan_prefix([prefix]) {
            let (k, v) = kv.map_err(io)?;
            all.insert(k, Some(v));
        }
        all.extend(self.unsynced.with_prefix(&[prefix]));
        Ok(all.into_iter().filter_map(|(k, v)| Some((k, v?))).collect())
    }

    /// The raw record bytes of `id` from the blocks under `prefix`.
    fn record(&self, prefix: u8, id: u64) -> StoreResult<Option<sled::IVec>> {
        let (block, slot) = self.blocks.of(id);
        let Some(bytes) = self.get(&block_key(prefix, block))? else {
            return Ok(None);
        };
        // Locate the record, then share sled's buffer instead of copying it.
        let Some(rec) = block_record(&bytes, slot)? else {
            return Ok(None);
        };
        let start = rec.as_ptr() as usize - bytes.as_ptr() as usize;
        Ok(Some(bytes.subslice(start, rec.len())))
    }

    /// Node ids under `key` in the bucket stored at `bucket_key`, ascending.
    fn bucket_ids(&self, bucket_key: &[u8], key: &[u8]) -> StoreResult<Vec<u64>> {
        let Some(bytes) = self.get(bucket_key)? else {
            return Ok(Vec::new());
        };
        bucket_lookup(&bytes, key)
    }
}

/// A node's list cut into runs of one edge type: the types in `filter`, in its
/// (ascending) order, or every type present when `None`.
fn type_runs<'a>(list: &'a [Adj], filter: Option<&'a [u32]>) -> impl Iterator<Item = (u32, &'a [Adj])> + 'a {
    let mut rest = list;
    let mut types = filter.map(|f| f.iter());
    std::iter::from_fn(move || {
        loop {
            let (ty, seg) = match types.as_mut() {
                Some(it) => {
                    let ty = *it.next()?;
                    (ty, of_type(list, ty))
                }
                None => {
                    let ty = rest.first()?.ty;
                    let seg = of_type(rest, ty);
                    rest = &rest[seg.len()..];
                    (ty, seg)
                }
            };
            if !seg.is_empty() {
                return Some((ty, seg));
            }
        }
    })
}

impl Base for SledState {
    fn topo(&self) -> &Topology {
        &self.topo
    }

    fn schema_ref(&self) -> &Schema {
        &self.schema
    }

    fn index_list(&self) -> &[(String, String)] {
        &self.indexes
    }

    fn node_record(&self, id: u64) -> StoreResult<Option<NodeRecord>> {
        Ok(self.node_arc(id)?.map(Arc::unwrap_or_clone))
    }

    fn edge_record(&self, id: u64) -> StoreResult<Option<EdgeRecord>> {
        Ok(self.edge_arc(id)?.map(Arc::unwrap_or_clone))
    }

    fn node_arc(&self, id: u64) -> StoreResult<Option<Arc<NodeRecord>>> {
        if let Some(Cached::Node(rec)) = self.cache.get(P_NODE, id) {
            return Ok(Some(rec));
        }
        // Absent nodes have no record; the topology knows without a disk read.
        if !self.topo.has_node(id) {
            return Ok(None);
        }
        let Some(bytes) = self.record(P_NODE, id)? else {
            return Ok(None);
        };
        let rec = Arc::new(self.node_of(&bytes)?);
        self.cache.put(P_NODE, id, Cached::Node(rec.clone()));
        Ok(Some(rec))
    }

    fn node_records_each(&self, ids: &[u64], f: &mut dyn FnMut(u64, &NodeRecord)) -> StoreResult<()> {
        // The block last read: ids in order mostly share blocks.
        let mut held: Option<(u64, sled::IVec)> = None;
        for &id in ids {
            if !self.topo.has_node(id) {
                continue;
            }
            let (block, slot) = self.blocks.of(id);
            if held.as_ref().is_none_or(|(b, _)| *b != block) {
                held = self.get(&block_key(P_NODE, block))?.map(|bytes| (block, bytes));
            }
            let Some((_, bytes)) = &held else {
                continue;
            };
            let Some(raw) = block_record(bytes, slot)? else {
                continue;
            };
            f(id, &self.node_of(raw)?);
        }
        Ok(())
    }

    fn edge_arc(&self, id: u64) -> StoreResult<Option<Arc<EdgeRecord>>> {
        if let Some(Cached::Edge(rec)) = self.cache.get(P_EDGE, id) {
            return Ok(Some(rec));
        }
        if self.topo.edge(id).is_none() {
            return Ok(None);
        }
        let Some(bytes) = self.record(P_EDGE, id)? else {
            return Ok(None);
        };
        let (ty, start, end, props, citations) = decode_edge(&bytes)?;
        if ty as usize >= self.topo.types.len() {
            return Err(StoreError::Decode {
                what: "edge",
                reason: format!("unknown type id {ty}"),
            });
        }
        let rec = Arc::new(EdgeRecord {
            rel_type: self.topo.types.name(ty).to_string(),
            start: NodeId(start),
            end: NodeId(end),
            props,
            citations,
        });
        self.cache.put(P_EDGE, id, Cached::Edge(rec.clone()));
        Ok(Some(rec))
    }

    fn node_prop(&self, id: u64, key: &str) -> StoreResult<Option<Value>> {
        let read = || Ok(self.node_arc(id)?.map(|r| r.props.get(key).cloned()));
        self.columns.read_through(Kind::Node, key, id, read)
    }

    fn edge_prop(&self, id: u64, key: &str) -> StoreResult<Option<Value>> {
        let read = || Ok(self.edge_arc(id)?.map(|r| r.props.get(key).cloned()));
        self.columns.read_through(Kind::Edge, key, id, read)
    }

    fn edge_prop_each(&self, ids: &[EdgeId], key: &str, f: &mut dyn FnMut(usize, Option<&Value>)) -> StoreResult<()> {
        let read = |id: u64| Ok(self.edge_arc(id)?.map(|r| r.props.get(key).cloned()));
        self.columns.each(Kind::Edge, key, ids.len(), &|i| ids[i].0, &read, f)
    }

    fn neighbors_with_prop(
        &self,
        node: u64,
        dir: Direction,
        types: &[&str],
        key: &str,
        out: &mut Vec<Adjacent>,
        vals: &mut Vec<Value>,
    ) -> StoreResult<bool> {
        out.clear();
        vals.clear();
        let topo = &self.topo;
        let filter = topo.type_filter(types);
        // A committed value, for building a column: from the property columns when
        // they hold it, else from the record, without filling the columns' map.
        let read = |id: u64| -> StoreResult<Option<Value>> {
            if let Some(v) = self.columns.get(Kind::Edge, key, id) {
                return Ok((!v.is_null()).then_some(v));
            }
            Ok(self.edge_arc(id)?.and_then(|r| r.props.get(key).cloned()))
        };
        // Positions whose values the columns could not give.
        let mut missing: Vec<(usize, EdgeId)> = Vec::new();
        for outgoing in [true, false] {
            let wanted = match dir {
                Direction::Outgoing => outgoing,
                Direction::Incoming => !outgoing,
                Direction::Both => true,
            };
            if !wanted {
                continue;
            }
            // Under `Both` a self-loop is visited once, as outgoing.
            let skip_loops = !outgoing && dir == Direction::Both;
            let list = topo.adjacency(node, outgoing);
            for (ty, seg) in type_runs(list, filter.as_filter()) {
                let of = ColumnOf { out: outgoing, ty, key };
                self.adjcols.with_values(topo, of, node, seg, &read, |found| {
                    let column = match found {
                        Values::Column(v) => Some(v),
                        Values::Records => None,
                    };
                    for (i, a) in seg.iter().enumerate() {
                        if skip_loops && a.other == node {
                            continue;
                        }
                        match column.and_then(|c| c.get(i)) {
                            Some(v) => vals.push(v.clone()),
                            None => {
                                missing.push((out.len(), EdgeId(a.edge)));
                                vals.push(Value::Null);
                            }
                        }
                        out.push(Adjacent {
                            edge: EdgeId(a.edge),
                            other: NodeId(a.other),
                            outgoing,
                        });
                    }
                })?;
            }
        }
        if !missing.is_empty() {
            let ids: Vec<EdgeId> = missing.iter().map(|(_, e)| *e).collect();
            self.edge_prop_each(&ids, key, &mut |i, v| {
                if let (Some((at, _)), Some(v)) = (missing.get(i), v)
                    && let Some(slot) = vals.get_mut(*at)
                {
                    *slot = v.clone();
                }
            })?;
        }
        Ok(true)
    }

    fn name_lookup(&self, key: &str) -> StoreResult<Vec<u64>> {
        self.bucket_ids(&name_bucket_key(key), key.as_bytes())
    }

    fn all_name_keys(&self) -> StoreResult<Vec<(String, u64)>> {
        let mut out = Vec::new();
        for (_, v) in self.scan(P_NAME)? {
            for (k, id) in decode_bucket(&v)? {
                out.push((String::from_utf8_lossy(&k).into_owned(), id));
            }
        }
        out.sort();
        Ok(out)
    }

    fn index_lookup(&self, index: usize, vkey: &[u8]) -> StoreResult<Vec<u64>> {
        self.bucket_ids(&prop_bucket_key(index, vkey), vkey)
    }

    fn next_ids(&self) -> (u64, u64) {
        (self.next_node, self.next_edge)
    }
}

/// Per block, the slots a commit sets (`Some`) or clears (`None`).
type BlockEdits = BTreeMap<u64, Vec<(u8, Option<Vec<u8>>)>>;

/// Index entries a commit removes from and adds to one bucket.
#[derive(Default)]
struct BucketEdit {
    del: Vec<(Vec<u8>, u64)>,
    add: Vec<(Vec<u8>, u64)>,
}

/// A store on disk: sled holds the records and indexes, memory holds the topology.
///
/// One process at a time may open a database (a lock file enforces it); within
/// the process many threads may read while one writes.
pub struct SledStore {
    path: PathBuf,
    db: SledHandle,
    state: StateLock<SledState>,
    writer: Mutex<()>,
    /// Serializes writing the commit record and the topology snapshot: both go
    /// through a side file that a second writer would rename away.
    marking: Mutex<()>,
    /// The redo log (`REDO`); `None` when read-only.
    redo: Mutex<Option<RedoLog>>,
    /// A second handle on the redo log, synced without holding the log.
    redo_file: Option<File>,
    /// What the last commit's `apply` left for `after_commit`.
    applied: Mutex<Applied>,
    /// Writes of logged commits waiting for the redo log's sync (shared with the state).
    unsynced: Arc<Unsynced>,
    /// How many redo records are known durable; its lock orders the syncs and the
    /// drains into sled.
    synced: Mutex<u64>,
    /// A bulk load runs (`Storage::begin_bulk_load` said yes and it has not ended).
    bulk: AtomicBool,
    /// Set when a sled write or flush failed: sled's tree may then hold writes of a
    /// batch it refused, so no later commit may build on it until a reopen recovers
    /// from the log and the redo log.
    broken: AtomicBool,
    immediate: AtomicBool,
    /// The commit sequence number the `TOPOLOGY` file describes, or [`NO_SNAPSHOT`].
    snapshot_seq: AtomicU64,
    /// Whether opening loaded the topology from the snapshot.
    from_snapshot: bool,
    read_only: bool,
    _lock: File,
}

/// [`SledStore::snapshot_seq`] when no current topology snapshot is on disk.
const NO_SNAPSHOT: u64 = u64::MAX;

/// How a commit was written, as `apply` tells `after_commit`.
#[derive(Debug, Clone, Copy)]
enum Applied {
    /// Logged and queued for sled: durable once this redo ticket is synced.
    Queued(u64),
    /// Logged and in sled (deferred durability): durable at the next flush.
    Logged,
    /// Not in the redo log (too large, or its append failed): in sled, durable at
    /// the next sled flush.
    Unlogged,
    /// Part of a bulk load: in sled, not logged; it lasts only if the load ends.
    Bulk,
}

/// Drained writes go into sled one key at a time: atomicity comes from the redo log.
struct SledSink<'a>(&'a SledHandle);

impl Sink for SledSink<'_> {
    fn put(&self, key: &[u8], value: Option<&[u8]>) -> StoreResult<()> {
        match value {
            Some(v) => self.0.insert(key, v).map(drop).map_err(io),
            None => self.0.remove(key).map(drop).map_err(io),
        }
    }
}

impl std::fmt::Debug for SledStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledStore")
            .field("path", &self.path)
            .field("read_only", &self.read_only)
            .finish_non_exhaustive()
    }
}

/// A storage-engine error met while opening: damaged data is [`StoreError::Corrupt`].
fn open_err(path: &Path, e: sled::Error) -> StoreError {
    match e {
        sled::Error::Corruption { .. } => corrupt(path, e.to_string()),
        other => io(other),
    }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Why opening sled failed.
enum SledOpenError {
    /// Its own file lock is still held (released handles of this process linger).
    Busy,
    /// The operating system failed a read or write (EIO, ENOSPC, EACCES ...).
    Os(String),
    /// Anything else, in words.
    Failed(String),
}

fn open_sled_once(dir: &Path, cache_bytes: u64) -> Result<sled::Db, SledOpenError> {
    let config = sled::Config::new()
        .path(dir)
        .cache_capacity(cache_bytes)
        .flush_every_ms(None)
        .mode(sled::Mode::HighThroughput);
    match catch_unwind(AssertUnwindSafe(|| config.open())) {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(e)) if e.to_string().contains("could not acquire lock") => Err(SledOpenError::Busy),
        // An error the operating system reported is not damage to the files.
        Ok(Err(sled::Error::Io(e))) if e.raw_os_error().is_some() => Err(SledOpenError::Os(e.to_string())),
        Ok(Err(e)) => Err(SledOpenError::Failed(e.to_string())),
        Err(_) => Err(SledOpenError::Failed(
            "the storage engine failed while reading its files".into(),
        )),
    }
}

/// Opens sled. Our own lock file is already held, so a busy sled lock can only be a
/// handle this process dropped but sled has not yet released: wait for it a while.
fn open_sled(path: &Path, dir: &Path, cache_bytes: u64) -> StoreResult<SledHandle> {
    remove_unfinished_sled_snapshots(dir)?;
    for _ in 0..500 {
        match open_sled_once(dir, cache_bytes) {
            Ok(db) => return Ok(SledHandle::new(db)),
            Err(SledOpenError::Busy) => std::thread::sleep(std::time::Duration::from_millis(10)),
            Err(SledOpenError::Failed(reason)) => return Err(corrupt(path, reason)),
            Err(SledOpenError::Os(reason)) => return Err(StoreError::Io(format!("{}: {reason}", path.display()))),
        }
    }
    Err(StoreError::Locked {
        path: path.to_path_buf(),
    })
}

/// Commits whose writes wait in memory (after their sync) before they go into sled
/// together, each key once.
const DRAIN_COMMITS: usize = 64;
/// The same bound in bytes of keys and values.
const DRAIN_BYTES: usize = 8 << 20;

/// Size past which the redo log is folded into a sled flush.
const REDO_LIMIT: u64 = 64 << 20;

/// Applies the redo records sled lost, in order, onto what it recovered, and flushes.
/// Returns whether sled held every record by itself. Records must follow on from
/// the recovered commit without a gap; replay stops at a gap, and the commit record
/// check after loading then refuses the database if it is still short.
fn replay_redo(db: &SledHandle, path: &Path, records: &[RedoRecord]) -> StoreResult<bool> {
    let Some(last) = records.last() else {
        return Ok(true);
    };
    let recovered = match db.get(K_COMMIT_SEQ).map_err(|e| open_err(path, e))? {
        Some(_) => meta_u64(db, path, K_COMMIT_SEQ)?,
        None => 0,
    };
    if recovered >= last.seq {
        return Ok(true);
    }
    let mut at = recovered;
    for record in records.iter().skip_while(|r| r.seq <= recovered) {
        if record.seq != at + 1 {
            tracing::warn!("{}: the redo log has a gap after commit {at}", path.display());
            break;
        }
        db.apply_batch(redo::batch_of(&record.ops)).map_err(io)?;
        at = record.seq;
    }
    if at > recovered {
        db.flush_waking().map_err(io)?;
        tracing::info!(
            "{}: replayed commits {}..={at} from the redo log",
            path.display(),
            recovered + 1
        );
    }
    Ok(false)
}

/// Removes snapshot files sled left half-written (`snap.*.generating`). sled renames a
/// snapshot into place only once it is whole and synced, and the log it summarizes
/// stays, so such a file holds nothing the database needs; but sled's recovery would
/// pick it as the newest snapshot and refuse to open. Crashes and I/O errors while
/// sled writes a snapshot (it does so at every open) leave them behind.
fn remove_unfinished_sled_snapshots(dir: &Path) -> StoreResult<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::Io(format!("{}: {e}", dir.display()))),
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            fs::remove_file(entry.path()).map_err(|e| StoreError::Io(format!("{}: {e}", entry.path().display())))?;
        }
    }
    Ok(())
}

/// Creates an empty database in a side directory and renames it into place, so a
/// crash during creation never leaves a half-made database behind.
fn create_database(path: &Path, cache_bytes: u64, format: u32) -> StoreResult<()> {
    let init = path.join(INIT_DIR);
    if init.exists() {
        fs::remove_dir_all(&init).map_err(|e| StoreError::Io(e.to_string()))?;
    }
    let db = open_sled(path, &init, cache_bytes)?;
    let mut batch = sled::Batch::default();
    batch.insert(K_MAGIC, MAGIC);
    batch.insert(K_FORMAT, &format.to_be_bytes());
    batch.insert(K_NEXT_NODE, &0u64.to_be_bytes());
    batch.insert(K_NEXT_EDGE, &0u64.to_be_bytes());
    batch.insert(K_SCHEMA, encode_schema(&Schema::default())?);
    batch.insert(
        K_INDEXES,
        codec::encode_meta("indexes", &Vec::<(String, String)>::new())?,
    );
    db.apply_batch(batch).map_err(io)?;
    db.flush_waking().map_err(io)?;
    drop(db);
    fs::rename(&init, path.join(SLED_DIR)).map_err(|e| StoreError::Io(e.to_string()))?;
    sync_dir(path);
    Ok(())
}

/// Empties a database whose bulk load did not finish: every file but the lock goes,
/// the marker last, so a crash part way leaves the marker for the next open.
fn discard_bulk_load(path: &Path) -> StoreResult<()> {
    let ioe = |e: std::io::Error| StoreError::Io(format!("{}: {e}", path.display()));
    tracing::warn!("{}: discarding a bulk load that did not finish", path.display());
    for entry in fs::read_dir(path).map_err(ioe)? {
        let entry = entry.map_err(ioe)?;
        let name = entry.file_name();
        if name == LOCK_FILE || name == BULK_FILE {
            continue;
        }
        let p = entry.path();
        if p.is_dir() {
            fs::remove_dir_all(&p).map_err(ioe)?;
        } else {
            fs::remove_file(&p).map_err(ioe)?;
        }
    }
    sync_dir(path);
    fs::remove_file(path.join(BULK_FILE)).map_err(ioe)?;
    sync_dir(path);
    Ok(())
}

/// Makes a directory's entries (created, renamed or removed files) durable.
fn sync_dir(path: &Path) {
    if let Ok(dir) = File::open(path) {
        let _ = dir.sync_all();
    }
}

fn load_interner(db: &sled::Db, path: &Path, prefix: u8, what: &str) -> StoreResult<Interner> {
    let mut names = Vec::new();
    for kv in db.scan_prefix([prefix]) {
        let (k, v) = kv.map_err(|e| open_err(path, e))?;
        let id = read_u32(&k[1..]).ok_or_else(|| corrupt(path, format!("bad {what} key")))?;
        if id as usize != names.len() {
            return Err(corrupt(path, format!("{what} ids are not dense")));
        }
        let name = String::from_utf8(v.to_vec()).map_err(|_| corrupt(path, format!("{what} name is not UTF-8")))?;
        names.push(name);
    }
    Ok(Interner::from_names(names))
}

fn meta_u64(db: &sled::Db, path: &Path, key: &[u8]) -> StoreResult<u64> {
    let v = db.get(key).map_err(|e| open_err(path, e))?.ok_or_else(|| {
        corrupt(
            path,
            format!("metadata `{}` is missing", String::from_utf8_lossy(&key[1..])),
        )
    })?;
    if v.len() != 8 {
        return Err(corrupt(path, "metadata value has the wrong size"));
    }
    read_u64(&v).ok_or_else(|| corrupt(path, "bad metadata"))
}

/// Reads metadata and rebuilds the in-memory topology from the node records and
/// outgoing adjacency keys.
fn load_state(db: SledHandle, path: &Path) -> StoreResult<(SledState, bool)> {
    match db.get(K_MAGIC).map_err(|e| open_err(path, e))? {
        Some(m) if m.as_ref() == MAGIC => {}
        _ => return Err(corrupt(path, "not a Lodestone database (no identifying metadata)")),
    }
    let format = db
        .get(K_FORMAT)
        .map_err(|e| open_err(path, e))?
        .and_then(|v| read_u32(&v))
        .ok_or_else(|| corrupt(path, "format version is missing"))?;
    if format > FORMAT_VERSION {
        return Err(StoreError::NewerFormat {
            path: path.to_path_buf(),
            found: format,
            supported: FORMAT_VERSION,
        });
    }
    if format < OLDEST_FORMAT_VERSION {
        return Err(corrupt(path, format!("unknown format version {format}")));
    }
    let blocks = Blocks::of_format(format);
    let next_node = meta_u64(&db, path, K_NEXT_NODE)?;
    let next_edge = meta_u64(&db, path, K_NEXT_EDGE)?;
    let commit_seq = match db.get(K_COMMIT_SEQ).map_err(|e| open_err(path, e))? {
        Some(_) => meta_u64(&db, path, K_COMMIT_SEQ)?,
        None => 0,
    };
    let schema = match db.get(K_SCHEMA).map_err(|e| open_err(path, e))? {
        Some(v) => decode_schema(&v).map_err(|e| corrupt(path, e.to_string()))?,
        None => return Err(corrupt(path, "schema metadata is missing")),
    };
    let indexes: Vec<(String, String)> = match db.get(K_INDEXES).map_err(|e| open_err(path, e))? {
        Some(v) => codec::decode_meta("indexes", &v).map_err(|e| corrupt(path, e.to_string()))?,
        None => return Err(corrupt(path, "index metadata is missing")),
    };
    let labels = load_interner(&db, path, P_LABEL, "label")?;
    let types = load_interner(&db, path, P_TYPE, "type")?;
    let label_count = labels.len();
    let type_count = types.len();
    let state = |topo: Topology| SledState {
        db: db.clone(),
        topo,
        schema: schema.clone(),
        indexes: indexes.clone(),
        next_node,
        next_edge,
        commit_seq,
        persisted_labels: label_count,
        persisted_types: type_count,
        cache: RecordCache::new(0),
        columns: PropColumns::new(0),
        adjcols: AdjColumns::new(0),
        format,
        blocks,
        unsynced: Arc::new(Unsynced::default()),
    };
    let tag = Tag {
        seq: commit_seq,
        next_node,
        next_edge,
        labels: label_count as u32,
        types: type_count as u32,
    };
    match snapshot::read(path, &tag) {
        Ok(parts) => match Topology::from_parts(labels.clone(), types.clone(), parts) {
            Some(topo) => return Ok((state(topo), true)),
            None => tracing::info!("{}: topology snapshot is inconsistent; rebuilding", path.display()),
        },
        Err(Skip::Missing) => {}
        Err(why) => tracing::info!("{}: topology snapshot not used ({why:?}); rebuilding", path.display()),
    }
    let mut topo = Topology::default();
    topo.labels = labels;
    topo.types = types;
    let block_id = |k: &[u8], what: &str| -> StoreResult<u64> {
        match (k.len(), read_u64(&k[1..])) {
            (9, Some(b)) => Ok(b),
            _ => Err(corrupt(path, format!("bad {what} block key"))),
        }
    };
    for kv in db.scan_prefix([P_NODE]) {
        let (k, v) = kv.map_err(|e| open_err(path, e))?;
        let block = block_id(&k, "node")?;
        let entries = decode_block(&v).map_err(|e| corrupt(path, format!("node block {block}: {e}")))?;
        for (slot, rec) in entries {
            let id = match blocks.id(block, slot) {
                Some(id) if id < next_node => id,
                _ => {
                    let id = blocks.first_id(block) + u64::from(slot);
                    return Err(corrupt(path, format!("node {id} is beyond the next node id")));
                }
            };
            let labels = decode_node_labels(rec).map_err(|e| corrupt(path, format!("node {id}: {e}")))?;
            if labels.iter().any(|l| *l as usize >= label_count) {
                return Err(corrupt(path, format!("node {id} has an unknown label id")));
            }
            topo.set_node(id, &labels);
        }
    }
    // Every stored edge takes at least a few bytes on disk: size the table once,
    // without trusting the next-id metadata alone.
    let disk_bound = db.size_on_disk().unwrap_or(0) / 4;
    topo.reserve_edges(usize::try_from(next_edge.min(disk_bound)).unwrap_or(0));
    for kv in db.scan_prefix([P_EDGE]) {
        let (k, v) = kv.map_err(|e| open_err(path, e))?;
        let block = block_id(&k, "edge")?;
        let entries = decode_block(&v).map_err(|e| corrupt(path, format!("edge block {block}: {e}")))?;
        for (slot, rec) in entries {
            let id = blocks.first_id(block) + u64::from(slot);
            let (ty, start, end) = decode_edge_header(rec).map_err(|e| corrupt(path, format!("edge {id}: {e}")))?;
            if blocks.id(block, slot).is_none_or(|id| id >= next_edge) || ty as usize >= type_count {
                return Err(corrupt(path, format!("edge {id} refers to a missing type")));
            }
            topo.load_edge(id, ty, start, end);
        }
    }
    if let Err(id) = topo.finish_edges() {
        return Err(corrupt(path, format!("edge {id} refers to a missing node")));
    }
    topo.shrink();
    Ok((state(topo), false))
}

impl SledStore {
    /// Opens the database at `path` (a directory) for reading and writing,
    /// creating it when missing.
    pub fn open(path: &Path) -> StoreResult<SledStore> {
        Self::open_with(path, OpenOptions::default())
    }

    /// Opens an existing database without allowing writes; a missing database is an error.
    pub fn open_read_only(path: &Path) -> StoreResult<SledStore> {
        Self::open_with(
            path,
            OpenOptions {
                read_only: true,
                ..OpenOptions::default()
            },
        )
    }

    /// Opens the database at `path` with the given options.
    ///
    /// Errors: [`StoreError::Locked`] when another process has it open,
    /// [`StoreError::NewerFormat`] when a newer build wrote it, and
    /// [`StoreError::Corrupt`] for damaged files or a directory that is not a
    /// Lodestone database (nothing is ever overwritten).
    pub fn open_with(path: &Path, options: OpenOptions) -> StoreResult<SledStore> {
        let ioe = |e: std::io::Error| StoreError::Io(format!("{}: {e}", path.display()));
        if path.exists() && !path.is_dir() {
            return Err(corrupt(path, "not a directory"));
        }
        let sled_dir = path.join(SLED_DIR);
        if options.read_only && !sled_dir.is_dir() {
            if path.is_dir() {
                return Err(corrupt(path, "not a Lodestone database"));
            }
            return Err(StoreError::Io(format!("no database at {}", path.display())));
        }
        if path.is_dir() && !sled_dir.exists() {
            let foreign = fs::read_dir(path)
                .map_err(ioe)?
                .filter_map(Result::ok)
                .any(|e| ![LOCK_FILE, INIT_DIR, BULK_FILE].iter().any(|n| e.file_name() == *n));
            if foreign {
                return Err(corrupt(path, "not a Lodestone database"));
            }
        }
        fs::create_dir_all(path).map_err(ioe)?;
        let lock = FsOpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path.join(LOCK_FILE))
            .map_err(ioe)?;
        if lock.try_lock_exclusive().is_err() {
            return Err(StoreError::Locked {
                path: path.to_path_buf(),
            });
        }
        if path.join(BULK_FILE).exists() {
            if options.read_only {
                return Err(corrupt(
                    path,
                    "a bulk load into it did not finish; open it for writing once to discard the partial load",
                ));
            }
            discard_bulk_load(path)?;
        }
        if !sled_dir.exists() {
            let format = options.create_format;
            if !(OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&format) {
                return Err(StoreError::Io(format!(
                    "cannot create a database of format {format}: this build writes formats \
                     {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}"
                )));
            }
            create_database(path, options.cache_bytes, format)?;
        }
        let db = open_sled(path, &sled_dir, options.cache_bytes)?;
        let (records, whole) = redo::read(path)?;
        let sled_had_all = replay_redo(&db, path, &records)?;
        let (mut state, from_snapshot) = load_state(db.clone(), path)?;
        state.cache = RecordCache::new(options.record_cache);
        state.columns = PropColumns::new(options.property_columns);
        state.adjcols = AdjColumns::new(options.adjacency_columns);
        let snapshot_seq = if from_snapshot { state.commit_seq } else { NO_SNAPSHOT };
        if let Some(durable) = commit_record::read(path)?
            && state.mark().older_than(&durable)
        {
            let found = state.mark();
            return Err(corrupt(
                path,
                format!(
                    "the log lost committed transactions: the commit record `{}` says {} commits \
                     (next node {}, next edge {}) were durable, but only {} commits (next node {}, \
                     next edge {}) were recovered",
                    commit_record::COMMIT_FILE,
                    durable.seq,
                    durable.next_node,
                    durable.next_edge,
                    found.seq,
                    found.next_node,
                    found.next_edge
                ),
            ));
        }
        let redo = if options.read_only {
            None
        } else {
            let mut log = RedoLog::open(path, whole)?;
            // Records stay until an open finds sled holding them by itself: commits
            // replayed into sled are as exposed to its recovery as any new write.
            if sled_had_all && !records.is_empty() {
                log.clear()?;
            }
            Some(log)
        };
        let redo_file = redo.as_ref().map(RedoLog::sync_handle).transpose()?;
        let unsynced = state.unsynced.clone();
        Ok(SledStore {
            path: path.to_path_buf(),
            db,
            state: StateLock::new(state),
            writer: Mutex::new(()),
            marking: Mutex::new(()),
            redo: Mutex::new(redo),
            redo_file,
            applied: Mutex::new(Applied::Logged),
            unsynced,
            synced: Mutex::new(0),
            bulk: AtomicBool::new(false),
            broken: AtomicBool::new(false),
            immediate: AtomicBool::new(options.durability == Durability::Immediate),
            snapshot_seq: AtomicU64::new(snapshot_seq),
            from_snapshot,
            read_only: options.read_only,
            _lock: lock,
        })
    }

    /// Appends a commit's record to the redo log, unsynced, and returns its ticket
    /// for [`SledStore::sync_upto`].
    fn log_record(&self, record: &RedoRecord) -> StoreResult<u64> {
        let mut redo = self.redo.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let log = redo.as_mut().ok_or(StoreError::ReadOnly)?;
        log.append(record)?;
        Ok(log.appended())
    }

    /// The redo log's size in bytes (0 when read-only).
    fn redo_len(&self) -> u64 {
        self.redo
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map_or(0, RedoLog::len)
    }

    /// Flushes sled and marks it, then empties the redo log. Commits made since the
    /// last open then rest on sled's flush alone (RELIABILITY.md, finding 10).
    /// Callers hold the writer lock, so no record is appended meanwhile.
    fn fold_redo(&self) -> StoreResult<()> {
        self.flush_and_mark()?;
        match self
            .redo
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_mut()
        {
            Some(log) => log.clear(),
            None => Ok(()),
        }
    }

    /// Makes the redo records up to `ticket` durable. One thread syncs at a time;
    /// the others wait, and find their records covered when the sync before theirs
    /// took them along. Once enough commits wait, their writes go into sled.
    fn sync_upto(&self, ticket: u64) -> StoreResult<()> {
        let mut synced = self.synced.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if *synced >= ticket {
            return Ok(());
        }
        let upto = self.sync_locked(&mut synced)?;
        if self.unsynced.len() >= DRAIN_COMMITS || self.unsynced.bytes() >= DRAIN_BYTES {
            self.drain(upto)?;
        }
        Ok(())
    }

    /// Syncs every redo record appended so far, under the sync lock; returns how
    /// many records that covers.
    fn sync_locked(&self, synced: &mut u64) -> StoreResult<u64> {
        let upto = self
            .redo
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map_or(0, RedoLog::appended);
        if *synced < upto
            && let Some(file) = &self.redo_file
        {
            file.sync_data()
                .map_err(|e| StoreError::Io(format!("{}: {e}", self.path.join(redo::REDO_FILE).display())))?;
        }
        *synced = (*synced).max(upto);
        Ok(upto)
    }

    /// Moves the writes of the commits with redo records up to `upto` (all synced)
    /// into sled.
    fn drain(&self, upto: u64) -> StoreResult<()> {
        self.unsynced
            .drain(upto, K_COMMIT_SEQ, &SledSink(&self.db))
            .map_err(|e| self.sled_failed(e))
    }

    /// Marks sled as failed (see [`SledStore::broken`]) and passes the error on.
    fn sled_failed(&self, e: StoreError) -> StoreError {
        self.broken.store(true, Ordering::SeqCst);
        e
    }

    /// Syncs the redo log and moves every queued write into sled: sled then holds
    /// every commit made so far, and the redo log makes them durable.
    fn settle(&self) -> StoreResult<()> {
        let mut synced = self.synced.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let upto = self.sync_locked(&mut synced)?;
        self.drain(upto)
    }

    /// Flushes sled, then records the flushed position in the commit record. The
    /// position is taken before the flush, so the record never claims more than sled
    /// made durable.
    fn flush_and_mark(&self) -> StoreResult<()> {
        let _marking = self.marking.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mark = {
            // Under the state lock no commit comes in, so sled holds all it marks.
            let state = lock_read(&self.state);
            self.settle()?;
            state.mark()
        };
        self.db.flush_waking().map_err(|e| self.sled_failed(io(e)))?;
        if !self.read_only {
            commit_record::write(&self.path, &mark)?;
        }
        Ok(())
    }

    /// Writes the topology snapshot (`TOPOLOGY`) for the committed state unless
    /// the file already describes it, so the next open can skip the rebuild. The
    /// state is flushed first and stays locked against commits meanwhile, so the
    /// snapshot never describes a state that is not durable. Read-only stores write
    /// nothing.
    pub fn write_topology_snapshot(&self) -> StoreResult<()> {
        if self.read_only {
            return Ok(());
        }
        let _marking = self.marking.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = lock_read(&self.state);
        if self.snapshot_seq.load(Ordering::SeqCst) == state.commit_seq {
            return Ok(());
        }
        self.settle()?;
        self.db.flush_waking().map_err(|e| self.sled_failed(io(e)))?;
        snapshot::write(&self.path, &state.topo, &state.tag())
            .map_err(|e| StoreError::Io(format!("{}: {e}", self.path.join(snapshot::SNAPSHOT_FILE).display())))?;
        self.snapshot_seq.store(state.commit_seq, Ordering::SeqCst);
        Ok(())
    }

    /// Whether opening loaded the topology from a current snapshot (`TOPOLOGY`)
    /// instead of rebuilding it from the records.
    pub fn topology_from_snapshot(&self) -> bool {
        self.from_snapshot
    }

    /// Where the database lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn check_state(&self, state: &SledState) -> StoreResult<CheckReport> {
        let mut problems = Vec::new();
        let topo = &state.topo;
        topo.self_check(&mut problems);
        let mut expected: BTreeMap<Vec<u8>, Vec<(Vec<u8>, u64)>> = BTreeMap::new();
        let (mut nodes, mut edges) = (0u64, 0u64);
        for (k, v) in state.scan(P_NODE)? {
            let Some(block) = read_u64(&k[1..]) else {
                problems.push("malformed node block key".into());
                continue;
            };
            let entries = match decode_block(&v) {
                Ok(e) => e,
                Err(e) => {
                    problems.push(format!("node block {block}: {e}"));
                    continue;
                }
            };
            for (slot, rec) in entries {
                let Some(id) = state.blocks.id(block, slot) else {
                    problems.push(format!("node block {block} has slot {slot}, past its size"));
                    continue;
                };
                let (labels, props, _) = match decode_node(rec) {
                    Ok(r) => r,
                    Err(e) => {
                        problems.push(format!("node {id}: {e}"));
                        continue;
                    }
                };
                nodes += 1;
                if topo.label_ids(id) != Some(&labels[..]) {
                    problems.push(format!("labels of node {id} differ between disk and memory"));
                }
                for key in name_keys(&props) {
                    expected
                        .entry(name_bucket_key(&key))
                        .or_default()
                        .push((key.into_bytes(), id));
                }
                for (i, (label, key)) in state.indexes.iter().enumerate() {
                    if topo.labels.get(label).is_some_and(|l| labels.contains(&l))
                        && let Some(vk) = prop_key(&props, key)
                    {
                        expected.entry(prop_bucket_key(i, &vk)).or_default().push((vk, id));
                    }
                }
            }
        }
        if nodes != topo.node_count() {
            problems.push(format!(
                "{nodes} node records on disk, {} nodes in memory",
                topo.node_count()
            ));
        }
        for (k, v) in state.scan(P_EDGE)? {
            let Some(block) = read_u64(&k[1..]) else {
                problems.push("malformed edge block key".into());
                continue;
            };
            let entries = match decode_block(&v) {
                Ok(e) => e,
                Err(e) => {
                    problems.push(format!("edge block {block}: {e}"));
                    continue;
                }
            };
            for (slot, rec) in entries {
                let Some(id) = state.blocks.id(block, slot) else {
                    problems.push(format!("edge block {block} has slot {slot}, past its size"));
                    continue;
                };
                match decode_edge(rec) {
                    Ok((ty, start, end, _, _)) => {
                        edges += 1;
                        if topo.edge(id).map(|e| (e.ty, e.start, e.end)) != Some((ty, start, end)) {
                            problems.push(format!("edge {id} differs between disk and memory"));
                        }
                        if id >= state.next_edge {
                            problems.push(format!("edge {id} is beyond the next edge id"));
                        }
                    }
                    Err(e) => problems.push(format!("edge {id}: {e}")),
                }
            }
        }
        if edges != topo.edge_count() {
            problems.push(format!(
                "{edges} edge records on disk, {} edges in memory",
                topo.edge_count()
            ));
        }
        let mut found: BTreeMap<Vec<u8>, Vec<(Vec<u8>, u64)>> = BTreeMap::new();
        for prefix in [P_NAME, P_PROP] {
            for (k, v) in state.scan(prefix)? {
                match decode_bucket(&v) {
                    Ok(entries) => {
                        found.insert(k.to_vec(), entries);
                    }
                    Err(e) => problems.push(format!("index bucket: {e}")),
                }
            }
        }
        for list in expected.values_mut() {
            list.sort();
            list.dedup();
        }
        if found != expected {
            let names = |m: &BTreeMap<Vec<u8>, Vec<(Vec<u8>, u64)>>, p: u8| -> usize {
                m.iter().filter(|(k, _)| k[0] == p).map(|(_, v)| v.len()).sum()
            };
            for (p, what) in [(P_NAME, "name"), (P_PROP, "property")] {
                let (f, e) = (names(&found, p), names(&expected, p));
                let differ = found
                    .iter()
                    .filter(|(k, _)| k[0] == p)
                    .ne(expected.iter().filter(|(k, _)| k[0] == p));
                if differ {
                    problems.push(format!(
                        "{what} index disagrees with the records ({f} entries on disk, {e} expected)"
                    ));
                }
            }
        }
        let meta = (
            meta_u64(&state.db, &self.path, K_NEXT_NODE)?,
            meta_u64(&state.db, &self.path, K_NEXT_EDGE)?,
        );
        if meta != (state.next_node, state.next_edge) {
            problems.push("next ids on disk differ from memory".into());
        }
        if let Some(max) = topo.node_ids().last()
            && max >= state.next_node
        {
            problems.push(format!("node {max} is beyond the next node id"));
        }
        Ok(CheckReport { nodes, edges, problems })
    }
}

impl Backend for SledStore {
    type State = SledState;

    fn state(&self) -> &StateLock<SledState> {
        &self.state
    }

    fn writer(&self) -> &Mutex<()> {
        &self.writer
    }

    fn apply(&self, state: &mut SledState, c: ChangeSet) -> StoreResult<()> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(StoreError::Io(format!(
                "{}: the storage engine failed a write earlier; reopen the database to recover \
                 (acknowledged commits are kept)",
                self.path.display()
            )));
        }
        let mut writes = Writes::default();
        // Intern new labels and types first: records store their ids.
        for n in c.node_deltas() {
            if let Some(rec) = n.new {
                state.topo.intern_labels(&rec.labels);
            }
        }
        for e in c.edge_deltas() {
            if let Some(rec) = e.new {
                state.topo.types.intern(&rec.rel_type);
            }
        }
        for (i, name) in state
            .topo
            .labels
            .names()
            .iter()
            .enumerate()
            .skip(state.persisted_labels)
        {
            writes.insert(interned_key(P_LABEL, i as u32), name.as_bytes());
        }
        for (i, name) in state.topo.types.names().iter().enumerate().skip(state.persisted_types) {
            writes.insert(interned_key(P_TYPE, i as u32), name.as_bytes());
        }
        let mut indexes = state.indexes.clone();
        let first_new = indexes.len();
        indexes.extend(c.new_indexes.iter().cloned());
        if !c.new_indexes.is_empty() {
            writes.insert(K_INDEXES, codec::encode_meta("indexes", &indexes)?);
        }
        if let Some(schema) = &c.schema {
            writes.insert(K_SCHEMA, encode_schema(schema)?);
        }
        writes.insert(K_NEXT_NODE, c.next_node.to_be_bytes());
        writes.insert(K_NEXT_EDGE, c.next_edge.to_be_bytes());
        let commit_seq = state.commit_seq.saturating_add(1);
        // Records, grouped into their blocks.
        let mut node_blocks = BlockEdits::new();
        let mut buckets: BTreeMap<BucketId, BucketEdit> = BTreeMap::new();
        for n in c.node_deltas() {
            let (block, slot) = state.blocks.of(n.id);
            let bytes = match n.new {
                Some(rec) => {
                    let labels: Vec<u32> = rec.labels.iter().filter_map(|l| state.topo.labels.get(l)).collect();
                    Some(encode_node(&labels, &rec.props, &rec.citations)?)
                }
                None => None,
            };
            node_blocks.entry(block).or_default().push((slot, bytes));
            let d = index_delta(n.old, n.new, &indexes);
            for k in d.names_del {
                buckets
                    .entry(name_bucket(&k))
                    .or_default()
                    .del
                    .push((k.into_bytes(), n.id));
            }
            for k in d.names_add {
                buckets
                    .entry(name_bucket(&k))
                    .or_default()
                    .add
                    .push((k.into_bytes(), n.id));
            }
            for (i, k) in d.props_del {
                buckets.entry(prop_bucket(i, &k)).or_default().del.push((k, n.id));
            }
            for (i, k) in d.props_add {
                buckets.entry(prop_bucket(i, &k)).or_default().add.push((k, n.id));
            }
        }
        for (pos, k, id) in &c.index_fill {
            let bucket = prop_bucket(first_new + pos, k);
            buckets.entry(bucket).or_default().add.push((k.clone(), *id));
        }
        let mut edge_blocks = BlockEdits::new();
        for e in c.edge_deltas() {
            let (block, slot) = state.blocks.of(e.id);
            let bytes = match e.new {
                Some(rec) => {
                    let ty = state.topo.types.get(&rec.rel_type).unwrap_or(u32::MAX);
                    Some(encode_edge(ty, rec.start.0, rec.end.0, &rec.props, &rec.citations)?)
                }
                None => None,
            };
            edge_blocks.entry(block).or_default().push((slot, bytes));
        }
        // Blocks that may hold committed records are read, edited and rewritten;
        // blocks past the committed ids are written fresh.
        for (prefix, blocks, committed) in [
            (P_NODE, node_blocks, state.next_node),
            (P_EDGE, edge_blocks, state.next_edge),
        ] {
            for (block, edits) in blocks {
                let key = block_key(prefix, block);
                let mut entries: BTreeMap<u8, Vec<u8>> = BTreeMap::new();
                if state.blocks.first_id(block) < committed
                    && let Some(old) = state.get(&key)?
                {
                    for (slot, rec) in decode_block(&old)? {
                        entries.insert(slot, rec.to_vec());
                    }
                }
                for (slot, bytes) in edits {
                    match bytes {
                        Some(b) => entries.insert(slot, b),
                        None => entries.remove(&slot),
                    };
                }
                if entries.is_empty() {
                    writes.remove(key);
                } else {
                    let list: Vec<(u8, Vec<u8>)> = entries.into_iter().collect();
                    writes.insert(key, encode_block(&list));
                }
            }
        }
        for (bucket, edit) in buckets {
            let key = bucket_key(bucket);
            let mut entries = match state.get(&key)? {
                Some(old) => decode_bucket(&old)?,
                None => Vec::new(),
            };
            entries.retain(|e| !edit.del.contains(e));
            entries.extend(edit.add);
            entries.sort();
            entries.dedup();
            if entries.is_empty() {
                writes.remove(key);
            } else {
                writes.insert(key, encode_bucket(&entries));
            }
        }
        // Last: sled recovers a prefix of plain writes, so a recovered sequence
        // number means the commit's other writes came back too.
        writes.insert(K_COMMIT_SEQ, commit_seq.to_be_bytes());
        // Commits are logged in the redo log, but for oversized ones (sled is flushed
        // for them) and a bulk load's (until it ends, an open discards them all).
        let bulk = self.bulk.load(Ordering::SeqCst);
        let logged = !self.read_only && !bulk && writes.bytes() <= REDO_LIMIT;
        let record = RedoRecord {
            seq: commit_seq,
            next_node: state.next_node.max(c.next_node),
            next_edge: state.next_edge.max(c.next_edge),
            ops: writes.into_ops(),
        };
        let applied = if logged && self.immediate.load(Ordering::SeqCst) {
            // Nothing is changed yet if the append fails.
            let ticket = self.log_record(&record)?;
            state.unsynced.push(ticket, commit_seq, &record.ops);
            Applied::Queued(ticket)
        } else {
            // Commits queued before this one reach sled first.
            if !state.unsynced.is_empty() {
                self.settle()?;
            }
            state
                .db
                .apply_batch(redo::batch_of(&record.ops))
                .map_err(|e| self.sled_failed(io(e)))?;
            match logged.then(|| self.log_record(&record)) {
                Some(Ok(_)) => Applied::Logged,
                Some(Err(e)) => {
                    tracing::warn!("appending to the redo log failed ({e}); the commit rests on a sled flush");
                    Applied::Unlogged
                }
                None if bulk => Applied::Bulk,
                None => Applied::Unlogged,
            }
        };
        *self.applied.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = applied;
        // Written (or queued): update memory to match. Cached copies of written records go.
        // Created records were never committed, so never cached.
        for n in &c.nodes {
            state.cache.remove(P_NODE, n.id);
            state.columns.remove(Kind::Node, n.id);
        }
        for e in &c.edges {
            state.cache.remove(P_EDGE, e.id);
            state.columns.remove(Kind::Edge, e.id);
            for r in [&e.old, &e.new].into_iter().flatten() {
                if let Some(ty) = state.topo.types.get(&r.rel_type) {
                    state.adjcols.edge_written(ty, r.start.0, r.end.0);
                }
            }
        }
        state.persisted_labels = state.topo.labels.len();
        state.persisted_types = state.topo.types.len();
        apply_topology(&mut state.topo, &c);
        state.indexes = indexes;
        if let Some(schema) = c.schema {
            state.schema = schema;
        }
        state.next_node = state.next_node.max(c.next_node);
        state.next_edge = state.next_edge.max(c.next_edge);
        state.commit_seq = commit_seq;
        Ok(())
    }

    fn after_commit(&self) -> StoreResult<u64> {
        // The snapshot on disk describes an older state now: it would be ignored
        // at open (its tag differs), so drop it rather than keep dead bytes.
        if self.snapshot_seq.swap(NO_SNAPSHOT, Ordering::SeqCst) != NO_SNAPSHOT
            && let Err(e) = snapshot::remove(&self.path)
        {
            tracing::warn!("removing the topology snapshot of {} failed: {e}", self.path.display());
        }
        let applied = *self.applied.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match applied {
            Applied::Unlogged => self.fold_redo().map(|()| 0),
            Applied::Bulk => Ok(0),
            _ if self.redo_len() > REDO_LIMIT => self.fold_redo().map(|()| 0),
            Applied::Queued(ticket) => Ok(ticket),
            Applied::Logged => Ok(0),
        }
    }

    fn wait_durable(&self, ticket: u64) -> StoreResult<()> {
        if ticket == 0 {
            return Ok(());
        }
        self.sync_upto(ticket)
    }
}

impl Storage for SledStore {
    fn read(&self) -> StoreResult<Box<dyn GraphRead + '_>> {
        Ok(Box::new(Snapshot(lock_read(&self.state))))
    }

    fn write(&self) -> StoreResult<Box<dyn WriteTxn + '_>> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        Ok(Box::new(Txn::begin(self)))
    }

    fn set_durability(&self, durability: Durability) {
        self.immediate
            .store(durability == Durability::Immediate, Ordering::SeqCst);
    }

    fn flush(&self) -> StoreResult<()> {
        self.flush_and_mark()?;
        if let Err(e) = self.write_topology_snapshot() {
            tracing::warn!("writing the topology snapshot failed: {e}");
        }
        Ok(())
    }

    fn begin_bulk_load(&self) -> StoreResult<bool> {
        if self.read_only {
            return Err(StoreError::ReadOnly);
        }
        let _writer = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        {
            let state = lock_read(&self.state);
            if state.commit_seq != 0 || state.next_node != 0 || state.next_edge != 0 {
                return Ok(false);
            }
        }
        let marker = self.path.join(BULK_FILE);
        let file = File::create(&marker).map_err(|e| StoreError::Io(format!("{}: {e}", marker.display())))?;
        file.sync_all()
            .map_err(|e| StoreError::Io(format!("{}: {e}", marker.display())))?;
        sync_dir(&self.path);
        self.bulk.store(true, Ordering::SeqCst);
        Ok(true)
    }

    fn end_bulk_load(&self) -> StoreResult<()> {
        self.flush()?;
        self.bulk.store(false, Ordering::SeqCst);
        let marker = self.path.join(BULK_FILE);
        match fs::remove_file(&marker) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::Io(format!("{}: {e}", marker.display()))),
        }
        sync_dir(&self.path);
        Ok(())
    }

    fn info(&self) -> StoreResult<StoreInfo> {
        let format_version = lock_read(&self.state).format;
        Ok(StoreInfo {
            path: Some(self.path.clone()),
            format_version,
            size_on_disk: self.db.size_on_disk().map_err(io)?,
            read_only: self.read_only,
        })
    }

    fn check(&self) -> StoreResult<CheckReport> {
        let state = lock_read(&self.state);
        // What sled holds is checked: the writes waiting in memory go in first.
        self.settle()?;
        self.check_state(&state)
    }
}

impl Drop for SledStore {
    fn drop(&mut self) {
        if let Err(e) = self.flush_and_mark() {
            tracing::warn!("flushing {} on close failed: {e}", self.path.display());
        } else if let Err(e) = self.write_topology_snapshot() {
            tracing::warn!("writing the topology snapshot of {} failed: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_numerically() {
        assert!(block_key(P_NODE, 255) < block_key(P_NODE, 256));
        let (v1, v2) = (Blocks::of_format(1), Blocks::of_format(2));
        assert_eq!(v1.of(64), (1, 0));
        assert_eq!(v1.of(63), (0, 63));
        assert_eq!(v2.of(64), (4, 0));
        assert_eq!(v2.of(63), (3, 15));
        assert_eq!((v1.id(1, 63), v1.id(1, 64)), (Some(127), None));
        assert_eq!((v2.id(4, 15), v2.id(4, 16)), (Some(79), None));
        assert_eq!(v2.first_id(4), 64);
        assert!(interned_key(P_TYPE, 1) < interned_key(P_TYPE, 256));
    }
}
