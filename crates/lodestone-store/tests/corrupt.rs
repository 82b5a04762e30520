//! Damaged, truncated, foreign and newer-format databases give clear errors, never
//! a panic, and are never overwritten.

mod common;

use common::{edge, node};
use lodestone_store::{FORMAT_VERSION, SledStore, Storage, StoreError};
use std::path::Path;

fn make_db(dir: &Path, nodes: u64) {
    let store = SledStore::open(dir).unwrap();
    let mut tx = store.write().unwrap();
    let mut prev = None;
    for i in 0..nodes {
        let n = tx
            .create_node(node(&["Company"], &[("name", format!("Company number {i}").into())]))
            .unwrap();
        if let Some(p) = prev {
            tx.create_edge(edge("OWNS", p, n)).unwrap();
        }
        prev = Some(n);
    }
    tx.commit().unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Either a clear `Corrupt` error, or an open store whose check finds nothing wrong
/// (the damage hit space sled no longer uses).
fn assert_clear_outcome(dir: &Path, what: &str) -> bool {
    match SledStore::open(dir) {
        Err(StoreError::Corrupt { reason, .. }) => {
            assert!(!reason.is_empty());
            true
        }
        Err(e) => panic!("{what}: expected a Corrupt error, got {e:?}"),
        Ok(store) => {
            let report = store.check().unwrap();
            assert!(report.problems.is_empty(), "{what}: {:?}", report.problems);
            false
        }
    }
}

/// Opens the underlying sled database directly, waiting until a store dropped in
/// this process has released sled's file lock.
fn raw_sled(dir: &Path) -> sled::Db {
    for _ in 0..500 {
        match sled::open(dir.join("sled")) {
            Ok(db) => return db,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(10)),
        }
    }
    panic!("sled stayed locked")
}

fn db_file(dir: &Path) -> std::path::PathBuf {
    dir.join("sled").join("db")
}

#[test]
fn truncated_files_are_reported() {
    let base = tempfile::tempdir().unwrap();
    make_db(base.path(), 2000);
    let len = std::fs::metadata(db_file(base.path())).unwrap().len();
    let mut corrupt_seen = 0;
    for percent in [0u64, 1, 10, 30, 50, 70] {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(base.path(), dir.path());
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(db_file(dir.path()))
            .unwrap();
        f.set_len(len * percent / 100).unwrap();
        drop(f);
        if assert_clear_outcome(dir.path(), &format!("truncated to {percent}%")) {
            corrupt_seen += 1;
        }
    }
    assert!(corrupt_seen > 0, "no truncation was detected at all");
}

#[test]
fn garbage_bytes_are_reported() {
    let base = tempfile::tempdir().unwrap();
    make_db(base.path(), 2000);
    let file = db_file(base.path());
    let len = std::fs::metadata(&file).unwrap().len();
    let mut corrupt_seen = 0;
    for i in 0..8u64 {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(base.path(), dir.path());
        let path = db_file(dir.path());
        let mut bytes = std::fs::read(&path).unwrap();
        let at = (len * i / 8) as usize;
        for (j, b) in bytes.iter_mut().skip(at).take(4096).enumerate() {
            *b = (j as u8).wrapping_mul(31).wrapping_add(7);
        }
        std::fs::write(&path, &bytes).unwrap();
        if assert_clear_outcome(dir.path(), &format!("garbage at {at}")) {
            corrupt_seen += 1;
        }
    }
    // Overwriting the whole file is always detected.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(base.path(), dir.path());
    std::fs::write(db_file(dir.path()), vec![0xA5u8; len as usize]).unwrap();
    assert!(assert_clear_outcome(dir.path(), "all garbage"));
    assert!(corrupt_seen + 1 > 0);
}

#[test]
fn a_sled_database_that_is_not_lodestone_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = raw_sled(dir.path());
        db.insert(b"hello", b"world").unwrap();
        db.flush().unwrap();
    }
    match SledStore::open(dir.path()) {
        Err(StoreError::Corrupt { reason, .. }) => assert!(reason.contains("not a Lodestone database"), "{reason}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    // Nothing was written: the foreign key is still the only one.
    let db = raw_sled(dir.path());
    assert_eq!(db.len(), 1);
}

#[test]
fn newer_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    make_db(dir.path(), 3);
    {
        let db = raw_sled(dir.path());
        db.insert(b"Mformat", &(FORMAT_VERSION + 1).to_be_bytes()).unwrap();
        db.flush().unwrap();
    }
    match SledStore::open(dir.path()) {
        Err(StoreError::NewerFormat { found, supported, .. }) => {
            assert_eq!((found, supported), (FORMAT_VERSION + 1, FORMAT_VERSION));
        }
        other => panic!("expected NewerFormat, got {other:?}"),
    }
    let err = SledStore::open_read_only(dir.path()).unwrap_err();
    assert!(err.to_string().contains("format version"), "{err}");
}

#[test]
fn damaged_record_is_reported_by_open() {
    let dir = tempfile::tempdir().unwrap();
    make_db(dir.path(), 3);
    {
        let db = raw_sled(dir.path());
        let mut key = vec![b'N'];
        key.extend_from_slice(&0u64.to_be_bytes());
        db.insert(key, &[1u8, 5, 0, 0xff][..]).unwrap();
        db.flush().unwrap();
    }
    // With a current topology snapshot, opening reads no records: the damage shows
    // when the record is read and in the integrity check.
    assert!(dir.path().join("TOPOLOGY").exists());
    {
        let store = SledStore::open_read_only(dir.path()).unwrap();
        assert!(store.topology_from_snapshot());
        assert!(store.read().unwrap().node(lodestone_model::NodeId(0)).is_err());
        assert!(!store.check().unwrap().problems.is_empty());
    }
    // Rebuilding the topology reads every record, so opening reports it.
    std::fs::remove_file(dir.path().join("TOPOLOGY")).unwrap();
    assert!(matches!(SledStore::open(dir.path()), Err(StoreError::Corrupt { .. })));
}

#[test]
fn an_older_log_than_the_commit_record_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let old = tempfile::tempdir().unwrap();
    make_db(dir.path(), 10);
    copy_dir(dir.path(), old.path());
    make_db(dir.path(), 10);
    // The older log with the newer commit record: committed data is missing.
    std::fs::copy(dir.path().join("COMMIT"), old.path().join("COMMIT")).unwrap();
    let before = std::fs::read(old.path().join("sled").join("db")).unwrap();
    match SledStore::open(old.path()) {
        Err(StoreError::Corrupt { reason, .. }) => {
            assert!(reason.contains("lost committed transactions"), "{reason}")
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert_eq!(std::fs::read(old.path().join("sled").join("db")).unwrap(), before);
    // The intact database opens with both commits.
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.read().unwrap().stats().unwrap().nodes, 20);
}
