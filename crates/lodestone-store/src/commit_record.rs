//! The commit record: a small sidecar file (`COMMIT`) holding the last commit known
//! to be durable. It is written only after sled's flush returns, so the state sled
//! recovers is never older than it; when it is, the log lost committed data.

use crate::{StoreError, StoreResult};
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

/// The sidecar's file name in the database directory.
pub(crate) const COMMIT_FILE: &str = "COMMIT";
/// The temporary name a new commit record is written under before the rename.
const COMMIT_TMP: &str = "COMMIT.tmp";
/// The first bytes of a commit record.
const MAGIC: &[u8; 8] = b"LSCOMMIT";
/// Length of a commit record: magic, seq, next node, next edge, checksum.
const LEN: usize = 40;

/// What a durable commit left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CommitMark {
    /// Number of commits applied since the database was created.
    pub seq: u64,
    /// The next node id to assign.
    pub next_node: u64,
    /// The next edge id to assign.
    pub next_edge: u64,
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl CommitMark {
    /// True when `self` (what was recovered) is older than `durable` in any part.
    pub(crate) fn older_than(&self, durable: &CommitMark) -> bool {
        self.seq < durable.seq || self.next_node < durable.next_node || self.next_edge < durable.next_edge
    }

    fn encode(&self) -> [u8; LEN] {
        let mut out = [0u8; LEN];
        out[..8].copy_from_slice(MAGIC);
        out[8..16].copy_from_slice(&self.seq.to_be_bytes());
        out[16..24].copy_from_slice(&self.next_node.to_be_bytes());
        out[24..32].copy_from_slice(&self.next_edge.to_be_bytes());
        let sum = fnv(&out[..32]);
        out[32..].copy_from_slice(&sum.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<CommitMark> {
        if bytes.len() != LEN || &bytes[..8] != MAGIC {
            return None;
        }
        let word = |i: usize| {
            bytes
                .get(i..i + 8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
        };
        if word(32)? != fnv(&bytes[..32]) {
            return None;
        }
        Some(CommitMark {
            seq: word(8)?,
            next_node: word(16)?,
            next_edge: word(24)?,
        })
    }
}

/// Reads the commit record of the database at `dir`; `None` when there is none.
pub(crate) fn read(dir: &Path) -> StoreResult<Option<CommitMark>> {
    let path = dir.join(COMMIT_FILE);
    match fs::read(&path) {
        Ok(bytes) => CommitMark::decode(&bytes).map(Some).ok_or_else(|| StoreError::Corrupt {
            path: dir.to_path_buf(),
            reason: format!("the commit record `{COMMIT_FILE}` is damaged"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::Io(format!("{}: {e}", path.display()))),
    }
}

/// Replaces the commit record atomically: written and fsynced under a temporary
/// name, then renamed over the old one (a crash leaves the old or the new record).
pub(crate) fn write(dir: &Path, mark: &CommitMark) -> StoreResult<()> {
    let tmp = dir.join(COMMIT_TMP);
    let ioe = |e: std::io::Error| StoreError::Io(format!("{}: {e}", tmp.display()));
    let mut f = File::create(&tmp).map_err(ioe)?;
    f.write_all(&mark.encode()).map_err(ioe)?;
    f.sync_all().map_err(ioe)?;
    drop(f);
    fs::rename(&tmp, dir.join(COMMIT_FILE)).map_err(ioe)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_round_trips_and_damage_is_detected() {
        let m = CommitMark {
            seq: 7,
            next_node: 3000,
            next_edge: 12,
        };
        let mut bytes = m.encode();
        assert_eq!(CommitMark::decode(&bytes), Some(m));
        bytes[20] ^= 1;
        assert_eq!(CommitMark::decode(&bytes), None);
        assert!(CommitMark { seq: 6, ..m }.older_than(&m));
        assert!(!CommitMark { seq: 8, ..m }.older_than(&m));
    }
}
