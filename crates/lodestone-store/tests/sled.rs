//! The sled backend: the shared behaviour suite, persistence, and opening errors.

mod common;

use common::{edge, node};
use lodestone_model::{Direction, NodeId, Value};
use lodestone_store::{Durability, OpenOptions, SledStore, Storage, StoreError};

#[test]
fn sled_basic_reads() {
    let dir = tempfile::tempdir().unwrap();
    common::basic_reads(&SledStore::open(dir.path()).unwrap());
}

#[test]
fn sled_updates_and_failures() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    common::updates_and_failures(&store);
    drop(store);
    // Everything, including the schema and index declarations, survives a reopen.
    let store = SledStore::open(dir.path()).unwrap();
    common::assert_sound(&store);
    let r = store.read().unwrap();
    assert!(!r.schema().unwrap().is_empty());
    assert_eq!(r.indexes().unwrap().len(), 1);
}

#[test]
fn sled_snapshots_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let s = SledStore::open(dir.path()).unwrap();
    common::snapshots(&s);
    common::values_round_trip(&s);
}

#[test]
fn persists_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, e) = {
        let store = SledStore::open(dir.path()).unwrap();
        let mut tx = store.write().unwrap();
        let a = tx
            .create_node(node(&["Company"], &[("name", "Lynas Rare Earths".into())]))
            .unwrap();
        let b = tx
            .create_node(node(&["Facility"], &[("name", "Seadrift".into())]))
            .unwrap();
        let e = tx.create_edge(edge("OPERATES", a, b)).unwrap();
        tx.create_index("Facility", "name").unwrap();
        tx.commit().unwrap();
        (a, b, e)
    };
    let store = SledStore::open(dir.path()).unwrap();
    let r = store.read().unwrap();
    assert_eq!(r.lookup_name("lynas rare earths").unwrap(), [a]);
    assert_eq!(r.edge_ends(e).unwrap(), Some(("OPERATES".into(), a, b)));
    assert_eq!(r.degree(b, Direction::Incoming, &["OPERATES"]).unwrap(), 1);
    assert_eq!(
        r.find_by_property("Facility", "name", &Value::from("Seadrift"))
            .unwrap(),
        Some(vec![b])
    );
    assert_eq!(r.node(b).unwrap().unwrap().labels, ["Facility"]);
    drop(r);
    // New ids continue after the persisted ones.
    let mut tx = store.write().unwrap();
    let c = tx.create_node(node(&[], &[])).unwrap();
    assert!(c > b);
    tx.commit().unwrap();
    common::assert_sound(&store);
    let info = store.info().unwrap();
    assert_eq!(info.format_version, lodestone_store::FORMAT_VERSION);
    assert!(!info.read_only);
}

#[test]
fn deferred_durability_and_flush() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SledStore::open_with(
            dir.path(),
            OpenOptions {
                durability: Durability::Deferred,
                ..OpenOptions::default()
            },
        )
        .unwrap();
        let mut tx = store.write().unwrap();
        for i in 0..100 {
            tx.create_node(node(&["N"], &[("name", format!("n{i}").into())]))
                .unwrap();
        }
        tx.commit().unwrap();
        store.flush().unwrap();
        store.set_durability(Durability::Immediate);
    }
    let store = SledStore::open(dir.path()).unwrap();
    assert_eq!(store.read().unwrap().stats().unwrap().nodes, 100);
}

#[test]
fn read_only_refuses_writes_and_never_creates() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    assert!(SledStore::open_read_only(&missing).is_err());
    assert!(!missing.exists());
    {
        let store = SledStore::open(dir.path()).unwrap();
        let mut tx = store.write().unwrap();
        tx.create_node(node(&["X"], &[])).unwrap();
        tx.commit().unwrap();
    }
    let store = SledStore::open_read_only(dir.path()).unwrap();
    assert!(matches!(store.write(), Err(StoreError::ReadOnly)));
    assert_eq!(store.read().unwrap().all_nodes().unwrap(), [NodeId(0)]);
    assert!(store.info().unwrap().read_only);
}

#[test]
fn second_open_in_process_is_locked() {
    let dir = tempfile::tempdir().unwrap();
    let _store = SledStore::open(dir.path()).unwrap();
    assert!(matches!(SledStore::open(dir.path()), Err(StoreError::Locked { .. })));
}

#[test]
fn foreign_directory_is_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    assert!(matches!(SledStore::open(dir.path()), Err(StoreError::Corrupt { .. })));
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["notes.txt"]);
    let file = dir.path().join("notes.txt");
    assert!(matches!(SledStore::open(&file), Err(StoreError::Corrupt { .. })));
}

#[test]
fn sled_readers_never_see_half_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open_with(
        dir.path(),
        OpenOptions {
            durability: Durability::Deferred,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    common::readers_never_see_half_commits(&store);
}

#[test]
fn sled_new_index_over_committed_and_changed_nodes() {
    let dir = tempfile::tempdir().unwrap();
    common::new_index_over_committed_and_changed_nodes(&SledStore::open(dir.path()).unwrap());
    // The buckets written at commit hold the same after a reopen.
    let store = SledStore::open(dir.path()).unwrap();
    let r = store.read().unwrap();
    let n = r
        .find_by_property("Site", "code", &lodestone_model::Value::Int(5))
        .unwrap();
    assert_eq!(n.map(|v| v.len()), Some(26));
}

#[test]
fn sled_overlay_indexes_follow_changes() {
    let dir = tempfile::tempdir().unwrap();
    common::overlay_indexes_follow_changes(&SledStore::open(dir.path()).unwrap());
}

#[test]
fn a_bulk_load_is_kept_when_ended_and_discarded_when_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let load = |store: &SledStore, n: usize| {
        for _ in 0..n {
            let mut tx = store.write().unwrap();
            let a = tx.create_node(node(&["A"], &[("v", Value::Int(1))])).unwrap();
            let b = tx.create_node(node(&["A"], &[])).unwrap();
            tx.create_edge(edge("R", a, b)).unwrap();
            tx.commit().unwrap();
        }
    };
    let count = |store: &SledStore| store.read().unwrap().stats().unwrap().nodes;

    // Ended: every batch stays, and the marker is gone.
    let store = SledStore::open(&path).unwrap();
    assert!(store.begin_bulk_load().unwrap());
    assert!(path.join("BULK").exists());
    load(&store, 3);
    // The load's commits bypass the redo log: the marker covers them.
    let redo_len = || std::fs::metadata(path.join("REDO")).map_or(0, |m| m.len());
    assert_eq!(redo_len(), 0);
    store.end_bulk_load().unwrap();
    assert!(!path.join("BULK").exists());
    // A store that holds commits loads in one transaction instead, logged again.
    assert!(!store.begin_bulk_load().unwrap());
    assert!(!path.join("BULK").exists());
    load(&store, 1);
    assert!(redo_len() > 0);
    drop(store);
    let store = SledStore::open(&path).unwrap();
    assert_eq!(count(&store), 8);
    drop(store);

    // Not ended: a read-only open refuses, the next writable open empties the store,
    // which then takes a new bulk load.
    let other = dir.path().join("other");
    let store = SledStore::open(&other).unwrap();
    assert!(store.begin_bulk_load().unwrap());
    load(&store, 2);
    drop(store);
    let read_only = OpenOptions {
        read_only: true,
        ..OpenOptions::default()
    };
    let err = SledStore::open_with(&other, read_only).err().unwrap();
    assert!(err.to_string().contains("bulk load"), "{err}");
    let store = SledStore::open(&other).unwrap();
    assert_eq!(count(&store), 0);
    assert!(!other.join("BULK").exists());
    common::assert_sound(&store);
    assert!(store.begin_bulk_load().unwrap());
    load(&store, 1);
    store.end_bulk_load().unwrap();
    drop(store);
    assert_eq!(count(&SledStore::open(&other).unwrap()), 2);

    // The in-memory store has no bulk mode.
    assert!(!lodestone_store::MemStore::new().begin_bulk_load().unwrap());
}

#[test]
fn databases_of_the_older_format_open_read_and_write() {
    // Format 1 packs 64 records to a block, format 2 packs 16: the same graph, written
    // and rewritten across block boundaries, reads the same from both.
    let dir = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    for format in [lodestone_store::OLDEST_FORMAT_VERSION, lodestone_store::FORMAT_VERSION] {
        let path = dir.path().join(format!("v{format}"));
        let options = OpenOptions {
            create_format: format,
            ..OpenOptions::default()
        };
        let store = SledStore::open_with(&path, options).unwrap();
        assert_eq!(store.info().unwrap().format_version, format);
        let mut tx = store.write().unwrap();
        let ids: Vec<NodeId> = (0..150)
            .map(|i| tx.create_node(node(&["N"], &[("i", Value::Int(i))])).unwrap())
            .collect();
        for w in ids.windows(2) {
            tx.create_edge(edge("NEXT", w[0], w[1])).unwrap();
        }
        tx.commit().unwrap();
        let mut tx = store.write().unwrap();
        for id in ids.iter().step_by(7) {
            tx.update_node(*id, node(&["N", "Seventh"], &[("i", Value::Int(-1))]))
                .unwrap();
        }
        tx.delete_node(ids[70], true).unwrap();
        tx.commit().unwrap();
        drop(store);
        // Reopened: the topology is rebuilt from the blocks, not the snapshot.
        let _ = std::fs::remove_file(path.join("TOPOLOGY"));
        let store = SledStore::open(&path).unwrap();
        assert_eq!(store.info().unwrap().format_version, format);
        common::assert_sound(&store);
        let r = store.read().unwrap();
        let values: Vec<Option<Value>> = ids.iter().map(|id| r.node_property(*id, "i").unwrap()).collect();
        let degrees: Vec<u64> = ids
            .iter()
            .map(|id| r.degree(*id, Direction::Both, &[]).unwrap())
            .collect();
        seen.push((values, degrees, r.stats().unwrap()));
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[0].2.nodes, 149);
    assert_eq!(seen[0].2.labels.get("Seventh"), Some(&21));

    // A format this build does not write is refused before anything is created.
    let options = OpenOptions {
        create_format: lodestone_store::FORMAT_VERSION + 1,
        ..OpenOptions::default()
    };
    assert!(SledStore::open_with(&dir.path().join("v9"), options).is_err());
    assert!(!dir.path().join("v9").join("sled").exists());
}

/// Durable commits wait for their redo records' sync before reaching sled; a commit
/// that starts meanwhile must build on them. Writers on several threads create and
/// update records sharing blocks and index buckets; every write must be there in
/// the open store, after a reopen, and in `check`.
#[test]
fn concurrent_durable_commits_build_on_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let (threads, per_thread) = (4u64, 40u64);
    let expected: Vec<(NodeId, String)> = {
        let store = SledStore::open(dir.path()).unwrap();
        let created = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for t in 0..threads {
                let (store, created) = (&store, &created);
                s.spawn(move || {
                    for i in 0..per_thread {
                        let name = format!("w{t} {i}");
                        let mut tx = store.write().unwrap();
                        let id = tx.create_node(node(&["W"], &[("name", name.clone().into())])).unwrap();
                        tx.commit().unwrap();
                        // Rename it in a second commit: a rewrite of a block and two buckets.
                        let renamed = format!("{name} renamed");
                        let mut tx = store.write().unwrap();
                        tx.update_node(id, node(&["W"], &[("name", renamed.clone().into())]))
                            .unwrap();
                        tx.commit().unwrap();
                        created.lock().unwrap().push((id, renamed));
                    }
                });
            }
        });
        let created = created.into_inner().unwrap();
        assert_everything_there(&store, &created);
        created
    };
    assert_eq!(expected.len() as u64, threads * per_thread);
    let store = SledStore::open(dir.path()).unwrap();
    assert_everything_there(&store, &expected);
}

fn assert_everything_there(store: &SledStore, created: &[(NodeId, String)]) {
    common::assert_sound(store);
    let r = store.read().unwrap();
    assert_eq!(r.stats().unwrap().nodes, created.len() as u64);
    for (id, name) in created {
        let rec = r.node(*id).unwrap().unwrap_or_else(|| panic!("node {id:?} is missing"));
        assert_eq!(rec.props.get("name"), Some(&Value::from(name.as_str())));
        assert_eq!(r.lookup_name(name).unwrap(), [*id], "{name}");
    }
}
