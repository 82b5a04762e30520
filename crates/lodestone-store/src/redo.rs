//! The redo log (`REDO`): the storage-engine writes of each durable commit, appended
//! and synced before the commit is acknowledged.
//!
//! sled can come back from a power loss with fewer commits than it had synced
//! (RELIABILITY.md, finding 10). The redo log makes that recoverable: at open, the
//! commits sled lost are applied again from here. A record is the exact list of key
//! writes and removals of one commit, so replaying records `r+1..=n` onto the state
//! of commit `r` gives the state of commit `n`.
//!
//! Frame layout (integers big-endian): magic `LSREDO01` (8 bytes), payload length
//! (u64), FNV-1a 64 checksum of the payload (u64), payload. Payload: commit seq,
//! next node id, next edge id (u64 each), op count (u64), then per op a tag byte (1
//! write, 0 removal), key length (u32), key, and for writes value length (u32) and
//! value. Reading stops at the first frame that is short or fails its checksum: a
//! torn tail is a commit that was never acknowledged.

use crate::{StoreError, StoreResult};
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The redo log's file name in the database directory.
pub(crate) const REDO_FILE: &str = "REDO";
const MAGIC: &[u8; 8] = b"LSREDO01";
const HEADER: usize = 24;

/// One key write (`Some` value) or removal (`None`).
pub(crate) type Op = (Vec<u8>, Option<Vec<u8>>);

/// One commit's writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RedoRecord {
    /// The commit's sequence number.
    pub seq: u64,
    /// The next node id after the commit.
    pub next_node: u64,
    /// The next edge id after the commit.
    pub next_edge: u64,
    /// The commit's key writes and removals, in order.
    pub ops: Vec<Op>,
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) -> StoreResult<()> {
    let len = u32::try_from(bytes.len()).map_err(|_| StoreError::Io("a redo entry is over 4 GiB".into()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

impl RedoRecord {
    fn encode(&self) -> StoreResult<Vec<u8>> {
        let mut payload = Vec::new();
        for word in [self.seq, self.next_node, self.next_edge, self.ops.len() as u64] {
            payload.extend_from_slice(&word.to_be_bytes());
        }
        for (key, value) in &self.ops {
            payload.push(u8::from(value.is_some()));
            put_bytes(&mut payload, key)?;
            if let Some(v) = value {
                put_bytes(&mut payload, v)?;
            }
        }
        let mut frame = Vec::with_capacity(HEADER + payload.len());
        frame.extend_from_slice(MAGIC);
        frame.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        frame.extend_from_slice(&fnv(&payload).to_be_bytes());
        frame.extend_from_slice(&payload);
        Ok(frame)
    }

    fn decode(payload: &[u8]) -> Option<RedoRecord> {
        let mut at = 0usize;
        let mut take = |n: usize| -> Option<&[u8]> {
            let s = payload.get(at..at.checked_add(n)?)?;
            at += n;
            Some(s)
        };
        let mut word = || take(8).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes);
        let (seq, next_node, next_edge, count) = (word()?, word()?, word()?, word()?);
        let mut ops = Vec::with_capacity(count.min(1024) as usize);
        for _ in 0..count {
            let tag = *take(1)?.first()?;
            let mut bytes = || -> Option<Vec<u8>> {
                let len = u32::from_be_bytes(take(4)?.try_into().ok()?) as usize;
                Some(take(len)?.to_vec())
            };
            let key = bytes()?;
            let value = match tag {
                1 => Some(bytes()?),
                0 => None,
                _ => return None,
            };
            ops.push((key, value));
        }
        (at == payload.len()).then_some(RedoRecord {
            seq,
            next_node,
            next_edge,
            ops,
        })
    }
}

/// One commit's key writes and removals, in order, with their size as the redo log
/// frames them. Logged commits go to sled from these after their sync; the others go
/// as one batch built from them ([`batch_of`]).
#[derive(Default)]
pub(crate) struct Writes {
    ops: Vec<Op>,
    bytes: u64,
}

impl Writes {
    fn keep(&mut self, key: &[u8], value: Option<&[u8]>) {
        self.bytes += (key.len() + value.map_or(0, <[u8]>::len) + 9) as u64;
        self.ops.push((key.to_vec(), value.map(<[u8]>::to_vec)));
    }

    /// Writes `value` under `key`.
    pub(crate) fn insert(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) {
        self.keep(key.as_ref(), Some(value.as_ref()));
    }

    /// Removes `key`.
    pub(crate) fn remove(&mut self, key: impl AsRef<[u8]>) {
        self.keep(key.as_ref(), None);
    }

    /// Bytes the writes take in a redo frame.
    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The writes, in order.
    pub(crate) fn into_ops(self) -> Vec<Op> {
        self.ops
    }
}

/// The sled batch of a commit's writes (also what replays a record).
pub(crate) fn batch_of(ops: &[Op]) -> sled::Batch {
    let mut batch = sled::Batch::default();
    for (key, value) in ops {
        match value {
            Some(v) => batch.insert(key.as_slice(), v.as_slice()),
            None => batch.remove(key.as_slice()),
        }
    }
    batch
}

/// The redo log of one database, open for appending.
#[derive(Debug)]
pub(crate) struct RedoLog {
    path: PathBuf,
    file: File,
    /// Records appended since the log was opened (never reset, also not by `clear`).
    appended: u64,
    /// Where the records end: the next one is written here.
    len: u64,
    /// The file's length. Past `len` it holds zeros written ahead of the records
    /// (or the remains of a failed write, which reading stops at), so a sync after
    /// a record overwrites blocks the file already has and needs no change of its
    /// size.
    allocated: u64,
}

/// How far ahead of the records the log is filled with zeros at a time.
const PREALLOCATE: u64 = 1 << 20;

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Io(format!("{}: {e}", path.display()))
}

impl RedoLog {
    /// Opens (or creates) the redo log of the database at `dir`, cut back to
    /// `whole` bytes (where its whole records end, from [`read`]): records appended
    /// after a torn one would never be read back.
    pub(crate) fn open(dir: &Path, whole: u64) -> StoreResult<RedoLog> {
        let path = dir.join(REDO_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io(&path))?;
        let mut len = file.metadata().map_err(io(&path))?.len();
        if len > whole {
            file.set_len(whole).map_err(io(&path))?;
            file.sync_all().map_err(io(&path))?;
            len = whole;
        }
        Ok(RedoLog {
            path,
            file,
            appended: 0,
            len,
            allocated: len,
        })
    }

    /// Appends a record; it is durable once a sync of a [`RedoLog::sync_handle`]
    /// has run after this.
    /// A failed append leaves the end of the records where it was (the next record
    /// is written over whatever the failed one left), and blanks what it wrote so
    /// that a record that failed never reads back.
    pub(crate) fn append(&mut self, record: &RedoRecord) -> StoreResult<()> {
        use std::os::unix::fs::FileExt;
        let frame = record.encode()?;
        let end = self.len + frame.len() as u64;
        if end > self.allocated {
            let more = PREALLOCATE.max(end - self.allocated);
            let zeros = vec![0u8; usize::try_from(more).map_err(|_| StoreError::Io("redo record too large".into()))?];
            self.file.write_all_at(&zeros, self.allocated).map_err(io(&self.path))?;
            self.allocated += more;
        }
        if let Err(e) = self.file.write_all_at(&frame, self.len) {
            if self.file.write_all_at(&vec![0u8; frame.len()], self.len).is_err() {
                tracing::warn!("{}: blanking a failed append failed", self.path.display());
            }
            return Err(io(&self.path)(e));
        }
        self.len = end;
        self.appended += 1;
        Ok(())
    }

    /// How many records were appended since the log was opened.
    pub(crate) fn appended(&self) -> u64 {
        self.appended
    }

    /// A second handle on the log file, to sync it without holding the log.
    pub(crate) fn sync_handle(&self) -> StoreResult<File> {
        self.file.try_clone().map_err(io(&self.path))
    }

    /// Empties the log once the storage engine is known to hold every record.
    pub(crate) fn clear(&mut self) -> StoreResult<()> {
        self.file.set_len(0).map_err(io(&self.path))?;
        self.len = 0;
        self.allocated = 0;
        self.file.sync_all().map_err(io(&self.path))
    }

    /// Makes every appended record durable.
    #[cfg(test)]
    pub(crate) fn sync(&mut self) -> StoreResult<()> {
        self.file.sync_data().map_err(io(&self.path))
    }

    /// The bytes its records take.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }
}

/// Every whole record of the redo log at `dir`, in order, and the length in bytes
/// they span; a torn or damaged tail is left out. No file reads as an empty log.
pub(crate) fn read(dir: &Path) -> StoreResult<(Vec<RedoRecord>, u64)> {
    let path = dir.join(REDO_FILE);
    let mut bytes = Vec::new();
    match File::open(&path) {
        Ok(mut f) => {
            f.read_to_end(&mut bytes).map_err(io(&path))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(io(&path)(e)),
    }
    let mut records = Vec::new();
    let mut at = 0usize;
    while let Some(header) = bytes.get(at..at + HEADER) {
        if &header[..8] != MAGIC {
            break;
        }
        let len = u64::from_be_bytes(header[8..16].try_into().unwrap_or_default());
        let sum = u64::from_be_bytes(header[16..24].try_into().unwrap_or_default());
        let Some(end) = usize::try_from(len).ok().and_then(|l| (at + HEADER).checked_add(l)) else {
            break;
        };
        let Some(payload) = bytes.get(at + HEADER..end) else {
            break;
        };
        if fnv(payload) != sum {
            break;
        }
        let Some(record) = RedoRecord::decode(payload) else {
            break;
        };
        records.push(record);
        at = end;
    }
    Ok((records, at as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64) -> RedoRecord {
        RedoRecord {
            seq,
            next_node: seq * 10,
            next_edge: seq * 7,
            ops: vec![
                (vec![1, 2, seq as u8], Some(vec![9; seq as usize])),
                (vec![3], None),
                (vec![], Some(vec![])),
            ],
        }
    }

    #[test]
    fn records_round_trip_in_order() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).unwrap().0.is_empty());
        let mut log = RedoLog::open(dir.path(), 0).unwrap();
        for seq in 1..=5 {
            log.append(&record(seq)).unwrap();
            log.sync().unwrap();
        }
        let (got, _) = read(dir.path()).unwrap();
        assert_eq!(got, (1..=5).map(record).collect::<Vec<_>>());
        log.clear().unwrap();
        assert!(read(dir.path()).unwrap().0.is_empty());
        log.append(&record(6)).unwrap();
        log.sync().unwrap();
        assert_eq!(read(dir.path()).unwrap().0, vec![record(6)]);
    }

    #[test]
    fn a_torn_or_damaged_tail_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = RedoLog::open(dir.path(), 0).unwrap();
        for seq in 1..=3 {
            log.append(&record(seq)).unwrap();
            log.sync().unwrap();
        }
        let path = dir.path().join(REDO_FILE);
        // Zeros written ahead follow the records and read as the end.
        let file = std::fs::read(&path).unwrap();
        assert!(file.len() as u64 > log.len());
        assert_eq!(
            read(dir.path()).unwrap(),
            ((1..=3).map(record).collect::<Vec<_>>(), log.len())
        );
        let whole = file[..log.len() as usize].to_vec();
        let third = record(3).encode().unwrap().len();
        // Every cut inside the last frame keeps the first two records.
        for cut in (whole.len() - third)..whole.len() {
            std::fs::write(&path, &whole[..cut]).unwrap();
            assert_eq!(read(dir.path()).unwrap().0, vec![record(1), record(2)], "cut at {cut}");
        }
        // A flipped byte in the last frame's payload fails its checksum.
        let mut bad = whole.clone();
        let last = bad.len() - 2;
        bad[last] ^= 0x40;
        std::fs::write(&path, &bad).unwrap();
        assert_eq!(read(dir.path()).unwrap().0, vec![record(1), record(2)]);
        // A length that claims more than the file holds is a torn tail, not an allocation.
        let mut huge = whole[..whole.len() - third].to_vec();
        huge.extend_from_slice(MAGIC);
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        huge.extend_from_slice(&0u64.to_be_bytes());
        std::fs::write(&path, &huge).unwrap();
        assert_eq!(read(dir.path()).unwrap().0, vec![record(1), record(2)]);
    }

    #[test]
    fn records_appended_after_a_torn_tail_are_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = RedoLog::open(dir.path(), 0).unwrap();
        for seq in 1..=2 {
            log.append(&record(seq)).unwrap();
        }
        log.sync().unwrap();
        drop(log);
        let path = dir.path().join(REDO_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        let torn = record(3).encode().unwrap();
        bytes.extend_from_slice(&torn[..torn.len() / 2]);
        std::fs::write(&path, &bytes).unwrap();
        let (records, whole) = read(dir.path()).unwrap();
        assert_eq!(records, vec![record(1), record(2)]);
        let mut log = RedoLog::open(dir.path(), whole).unwrap();
        log.append(&record(3)).unwrap();
        log.sync().unwrap();
        assert_eq!(read(dir.path()).unwrap().0, vec![record(1), record(2), record(3)]);
    }
}
