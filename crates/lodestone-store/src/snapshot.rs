//! The topology snapshot (`TOPOLOGY`): the in-memory topology written to one file
//! so that opening can load it instead of rebuilding it from every record.
//!
//! The file is optional data. It is tagged with the committed position it describes
//! (commit sequence number, next ids, label and type counts) and checksummed; a
//! missing, stale, damaged or unreadable file is ignored and the topology rebuilt
//! from the records, so a bad snapshot costs time, never correctness. The layout is
//! in `docs/format.md`.

use crate::topo::{Adj, Csr, EdgeSlot, TopoParts, Topology};
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

/// The snapshot's file name in the database directory.
pub(crate) const SNAPSHOT_FILE: &str = "TOPOLOGY";
/// Where a new snapshot is written before it is renamed into place.
const SNAPSHOT_TMP: &str = "TOPOLOGY.tmp";
/// The first bytes of the file.
const MAGIC: &[u8; 8] = b"LSTOPOLO";
/// The snapshot layout version.
pub(crate) const SNAPSHOT_VERSION: u32 = 1;
/// Elements per checksummed chunk of a section.
const CHUNK: usize = 1 << 14;

/// The committed position a snapshot describes; it is used only when every field
/// equals the opened database's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tag {
    /// Commits applied since creation.
    pub seq: u64,
    /// Next node id.
    pub next_node: u64,
    /// Next edge id.
    pub next_edge: u64,
    /// Interned labels.
    pub labels: u32,
    /// Interned edge types.
    pub types: u32,
}

/// Checksum state: a word-wise multiply-xor hash, chunk by chunk.
struct Sum(u64);

impl Sum {
    fn add(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ (bytes.len() as u64);
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            let mut b = [0u8; 8];
            b.copy_from_slice(w);
            h = (h ^ u64::from_le_bytes(b))
                .wrapping_mul(0x0000_0100_0000_01B3)
                .rotate_left(29);
        }
        for &b in words.remainder() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
        }
        self.0 = h ^ (h >> 31);
    }
}

/// Writes fixed-size elements in checksummed chunks.
struct Out<W: Write> {
    w: W,
    sum: Sum,
    buf: Vec<u8>,
}

impl<W: Write> Out<W> {
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.sum.add(bytes);
        self.w.write_all(bytes)
    }

    fn section<T>(&mut self, items: impl Iterator<Item = T>, put: impl Fn(&T, &mut Vec<u8>)) -> std::io::Result<()> {
        let mut n = 0;
        self.buf.clear();
        for item in items {
            put(&item, &mut self.buf);
            n += 1;
            if n == CHUNK {
                let buf = std::mem::take(&mut self.buf);
                self.raw(&buf)?;
                self.buf = buf;
                self.buf.clear();
                n = 0;
            }
        }
        if n > 0 {
            let buf = std::mem::take(&mut self.buf);
            self.raw(&buf)?;
            self.buf = buf;
        }
        Ok(())
    }
}

/// Reads fixed-size elements in checksummed chunks, never trusting a count beyond
/// the bytes the file still holds.
struct In<R: Read> {
    r: R,
    sum: Sum,
    left: u64,
    buf: Vec<u8>,
}

impl<R: Read> In<R> {
    fn raw(&mut self, n: usize) -> Option<&[u8]> {
        if n as u64 > self.left {
            return None;
        }
        self.buf.resize(n, 0);
        self.r.read_exact(&mut self.buf).ok()?;
        self.left -= n as u64;
        self.sum.add(&self.buf);
        Some(&self.buf)
    }

    fn u64(&mut self) -> Option<u64> {
        self.raw(8).map(le64)
    }

    fn section<T>(&mut self, count: u64, size: usize, get: impl Fn(&[u8]) -> T) -> Option<Vec<T>> {
        if count.checked_mul(size as u64)? > self.left {
            return None;
        }
        let count = usize::try_from(count).ok()?;
        let mut out = Vec::with_capacity(count);
        let mut done = 0;
        while done < count {
            let n = (count - done).min(CHUNK);
            let bytes = self.raw(n * size)?;
            out.extend(bytes.chunks_exact(size).map(&get));
            done += n;
        }
        Some(out)
    }
}

fn le64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

fn le32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_le_bytes(a)
}

fn put_adj(a: &Adj, out: &mut Vec<u8>) {
    out.extend_from_slice(&a.ty.to_le_bytes());
    out.extend_from_slice(&a.edge.to_le_bytes());
    out.extend_from_slice(&a.other.to_le_bytes());
}

fn get_adj(b: &[u8]) -> Adj {
    Adj {
        ty: le32(b),
        edge: le64(&b[4..]),
        other: le64(&b[12..]),
    }
}

fn tag_bytes(tag: &Tag) -> Vec<u8> {
    let mut b = Vec::with_capacity(32);
    b.extend_from_slice(&tag.seq.to_le_bytes());
    b.extend_from_slice(&tag.next_node.to_le_bytes());
    b.extend_from_slice(&tag.next_edge.to_le_bytes());
    b.extend_from_slice(&tag.labels.to_le_bytes());
    b.extend_from_slice(&tag.types.to_le_bytes());
    b
}

/// Writes the snapshot of `topo` (which is at position `tag`) into the database
/// directory: to a side file, then renamed over the old one.
pub(crate) fn write(dir: &Path, topo: &Topology, tag: &Tag) -> std::io::Result<()> {
    let tmp = dir.join(SNAPSHOT_TMP);
    let file = File::create(&tmp)?;
    let mut out = Out {
        w: BufWriter::with_capacity(1 << 20, file),
        sum: Sum(0),
        buf: Vec::new(),
    };
    let sets = topo.node_sets();
    let n = sets.len() as u64;
    let lists = |dir_out: bool| (0..n).map(move |i| topo.adjacency(i, dir_out));
    let count = |dir_out: bool| lists(dir_out).map(|l| l.len() as u64).sum::<u64>();
    let (n_out, n_in) = (count(true), count(false));
    let set_ids: u64 = topo.labelsets().iter().map(|s| s.len() as u64).sum();
    out.raw(MAGIC)?;
    out.raw(&SNAPSHOT_VERSION.to_le_bytes())?;
    out.raw(&tag_bytes(tag))?;
    for v in [
        topo.labelsets().len() as u64,
        set_ids,
        n,
        topo.edge_slots().len() as u64,
        n_out,
        n_in,
    ] {
        out.raw(&v.to_le_bytes())?;
    }
    out.section(topo.labelsets().iter(), |s, b| {
        b.extend_from_slice(&(s.len() as u32).to_le_bytes())
    })?;
    out.section(topo.labelsets().iter().flat_map(|s| s.iter()), |l, b| {
        b.extend_from_slice(&l.to_le_bytes())
    })?;
    out.section(sets.iter(), |s, b| b.extend_from_slice(&s.to_le_bytes()))?;
    out.section(topo.edge_slots().iter(), |e, b| {
        b.extend_from_slice(&e.ty.to_le_bytes());
        b.extend_from_slice(&e.start.to_le_bytes());
        b.extend_from_slice(&e.end.to_le_bytes());
    })?;
    for dir_out in [true, false] {
        let offsets = std::iter::once(0u64).chain(lists(dir_out).scan(0u64, |at, l| {
            *at += l.len() as u64;
            Some(*at)
        }));
        out.section(offsets, |o, b| b.extend_from_slice(&o.to_le_bytes()))?;
        out.section(lists(dir_out).flat_map(|l| l.iter()), |a, b| put_adj(a, b))?;
    }
    let sum = out.sum.0;
    out.w.write_all(&sum.to_le_bytes())?;
    let file = out.w.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, dir.join(SNAPSHOT_FILE))
}

/// Removes the snapshot (it no longer describes the committed state).
pub(crate) fn remove(dir: &Path) -> std::io::Result<()> {
    match fs::remove_file(dir.join(SNAPSHOT_FILE)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Why a snapshot was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Skip {
    /// There is no snapshot file.
    Missing,
    /// It describes another committed position.
    Stale,
    /// Its bytes are damaged, truncated or inconsistent.
    Damaged,
}

/// Reads the parts of a snapshot at position `tag`.
pub(crate) fn read(dir: &Path, tag: &Tag) -> Result<TopoParts, Skip> {
    let file = File::open(dir.join(SNAPSHOT_FILE)).map_err(|_| Skip::Missing)?;
    let len = file.metadata().map_err(|_| Skip::Damaged)?.len();
    let mut inp = In {
        r: BufReader::with_capacity(1 << 20, file),
        sum: Sum(0),
        left: len.checked_sub(8).ok_or(Skip::Damaged)?,
        buf: Vec::new(),
    };
    if inp.raw(8).ok_or(Skip::Damaged)? != MAGIC {
        return Err(Skip::Damaged);
    }
    if inp.raw(4).map(le32) != Some(SNAPSHOT_VERSION) {
        return Err(Skip::Damaged);
    }
    if inp.raw(32).ok_or(Skip::Damaged)? != tag_bytes(tag).as_slice() {
        return Err(Skip::Stale);
    }
    let mut head = [0u64; 6];
    for h in &mut head {
        *h = inp.u64().ok_or(Skip::Damaged)?;
    }
    let [n_sets, set_ids, n, n_edges, n_out, n_in] = head;
    let parts = (|| {
        let lens = inp.section(n_sets, 4, le32)?;
        let ids = inp.section(set_ids, 4, le32)?;
        if lens.iter().map(|l| u64::from(*l)).sum::<u64>() != ids.len() as u64 {
            return None;
        }
        let mut at = 0usize;
        let labelsets = lens
            .iter()
            .map(|l| {
                let s: Box<[u32]> = ids[at..at + *l as usize].into();
                at += *l as usize;
                s
            })
            .collect();
        let sets = inp.section(n, 4, le32)?;
        let edges = inp.section(n_edges, 20, |b| EdgeSlot {
            ty: le32(b),
            start: le64(&b[4..]),
            end: le64(&b[12..]),
        })?;
        let mut rows = [Csr::default(), Csr::default()];
        for (row, count) in rows.iter_mut().zip([n_out, n_in]) {
            row.off = inp.section(n.checked_add(1)?, 8, le64)?;
            row.adj = inp.section(count, 20, get_adj)?;
        }
        let [out, inn] = rows;
        Some(TopoParts {
            labelsets,
            sets,
            edges,
            out,
            inn,
        })
    })()
    .ok_or(Skip::Damaged)?;
    if inp.left != 0 {
        return Err(Skip::Damaged);
    }
    let mut stored = [0u8; 8];
    inp.r.read_exact(&mut stored).map_err(|_| Skip::Damaged)?;
    if u64::from_le_bytes(stored) != inp.sum.0 {
        return Err(Skip::Damaged);
    }
    Ok(parts)
}
