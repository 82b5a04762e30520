//! The topology snapshot (`TOPOLOGY`): loading it gives the same graph as rebuilding
//! from the records, and a stale, damaged or foreign file is ignored.

mod common;

use common::{edge, node};
use lodestone_model::{Direction, NodeId, Value};
use lodestone_store::{OpenOptions, SledStore, Storage};
use std::path::Path;

const SNAPSHOT: &str = "TOPOLOGY";

fn open(dir: &Path) -> SledStore {
    SledStore::open(dir).unwrap()
}

/// Everything the topology answers, in a comparable form.
fn topology_view(store: &SledStore) -> String {
    let r = store.read().unwrap();
    let mut out = String::new();
    out += &format!("{:?}\n", r.stats().unwrap());
    let nodes = r.all_nodes().unwrap();
    out += &format!("nodes {nodes:?}\nedges {:?}\n", r.all_edges().unwrap());
    for label in ["Company", "Deposit", "Listed", "Gone"] {
        out += &format!("{label} {:?}\n", r.nodes_with_label(label).unwrap());
    }
    for n in 0..nodes.last().map_or(0, |n| n.0 + 2) {
        let id = NodeId(n);
        out += &format!("{n}: {} {:?}", r.has_node(id), r.labels(id).unwrap());
        for dir in [Direction::Outgoing, Direction::Incoming, Direction::Both] {
            for types in [&[][..], &["OWNS"][..], &["FUNDS", "OWNS"][..]] {
                out += &format!(" {:?}", common::adj(&*r, id, dir, types));
                out += &format!(" {}", r.degree(id, dir, types).unwrap());
            }
        }
        out += "\n";
    }
    for e in r.all_edges().unwrap() {
        out += &format!("{e:?} {:?}\n", r.edge_ends(e).unwrap());
    }
    out
}

/// A graph with several commits: creations, updates, deletions, self-loops.
fn build(dir: &Path) {
    let store = open(dir);
    let mut tx = store.write().unwrap();
    let mut ids = Vec::new();
    for i in 0..40 {
        let labels: &[&str] = if i % 3 == 0 {
            &["Company", "Listed"]
        } else {
            &["Company"]
        };
        ids.push(
            tx.create_node(node(labels, &[("name", Value::String(format!("c{i}")))]))
                .unwrap(),
        );
    }
    for i in 0..120usize {
        let t = ["OWNS", "FUNDS", "SUPPLIES"][i % 3];
        tx.create_edge(edge(t, ids[(i * 7) % 40], ids[(i * 13 + 1) % 40]))
            .unwrap();
    }
    tx.create_edge(edge("OWNS", ids[5], ids[5])).unwrap();
    tx.commit().unwrap();
    let mut tx = store.write().unwrap();
    tx.delete_node(ids[3], true).unwrap();
    tx.update_node(ids[4], node(&["Deposit"], &[])).unwrap();
    let d = tx.create_node(node(&["Deposit"], &[])).unwrap();
    tx.create_edge(edge("FUNDS", d, ids[0])).unwrap();
    tx.create_edge(edge("OWNS", ids[0], d)).unwrap();
    tx.commit().unwrap();
}

#[test]
fn snapshot_load_equals_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    assert!(dir.path().join(SNAPSHOT).exists(), "closing writes the snapshot");
    let store = open(dir.path());
    assert!(store.topology_from_snapshot());
    let loaded = topology_view(&store);
    assert!(store.check().unwrap().problems.is_empty());
    // Reads and a further commit work on a loaded topology.
    let mut tx = store.write().unwrap();
    tx.create_edge(edge("OWNS", NodeId(1), NodeId(2))).unwrap();
    tx.commit().unwrap();
    assert!(!dir.path().join(SNAPSHOT).exists(), "a commit drops the old snapshot");
    let after_commit = topology_view(&store);
    drop(store);

    // The same graph rebuilt from the records.
    std::fs::remove_file(dir.path().join(SNAPSHOT)).unwrap();
    let ro = SledStore::open_read_only(dir.path()).unwrap();
    assert!(!ro.topology_from_snapshot());
    assert_eq!(topology_view(&ro), after_commit);
    drop(ro);
    assert!(!dir.path().join(SNAPSHOT).exists(), "a read-only store writes nothing");
    assert_ne!(loaded, after_commit);

    let store = open(dir.path());
    assert!(!store.topology_from_snapshot());
    drop(store);
    let store = open(dir.path());
    assert!(store.topology_from_snapshot());
    assert_eq!(topology_view(&store), after_commit);
    assert!(store.check().unwrap().problems.is_empty());
}

#[test]
fn flush_writes_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut tx = store.write().unwrap();
    let a = tx.create_node(node(&["Company"], &[])).unwrap();
    tx.create_edge(edge("OWNS", a, a)).unwrap();
    tx.commit().unwrap();
    assert!(!dir.path().join(SNAPSHOT).exists());
    store.flush().unwrap();
    assert!(dir.path().join(SNAPSHOT).exists());
}

#[test]
fn stale_snapshot_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let old = std::fs::read(dir.path().join(SNAPSHOT)).unwrap();
    let store = open(dir.path());
    let mut tx = store.write().unwrap();
    let x = tx.create_node(node(&["Company"], &[])).unwrap();
    tx.create_edge(edge("OWNS", NodeId(0), x)).unwrap();
    tx.delete_edge(lodestone_model::EdgeId(0)).unwrap();
    tx.commit().unwrap();
    let expected = topology_view(&store);
    drop(store);
    // Put back the snapshot of the state before the commit.
    std::fs::write(dir.path().join(SNAPSHOT), &old).unwrap();
    let store = open(dir.path());
    assert!(!store.topology_from_snapshot());
    assert_eq!(topology_view(&store), expected);
    assert!(store.check().unwrap().problems.is_empty());
    drop(store);
    // Closing replaced it with a current one.
    let store = open(dir.path());
    assert!(store.topology_from_snapshot());
    assert_eq!(topology_view(&store), expected);
}

#[test]
fn damaged_snapshots_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let path = dir.path().join(SNAPSHOT);
    let good = std::fs::read(&path).unwrap();
    let expected = {
        let ro = SledStore::open_read_only(dir.path()).unwrap();
        assert!(ro.topology_from_snapshot());
        topology_view(&ro)
    };
    let mut cases: Vec<Vec<u8>> = vec![Vec::new(), b"LSTOPOLO".to_vec(), good[..good.len() / 2].to_vec()];
    for at in [
        0,
        9,
        20,
        60,
        good.len() / 3,
        good.len() / 2,
        good.len() - 9,
        good.len() - 1,
    ] {
        let mut bad = good.clone();
        bad[at] ^= 0x41;
        cases.push(bad);
    }
    let mut longer = good.clone();
    longer.extend_from_slice(&[0; 16]);
    cases.push(longer);
    for (i, bad) in cases.iter().enumerate() {
        std::fs::write(&path, bad).unwrap();
        let ro = SledStore::open_read_only(dir.path()).unwrap();
        assert!(!ro.topology_from_snapshot(), "case {i} was used");
        assert_eq!(topology_view(&ro), expected, "case {i}");
        assert!(ro.check().unwrap().problems.is_empty());
    }
    // A writable open replaces the damaged file at close.
    drop(open(dir.path()));
    let ro = SledStore::open_read_only(dir.path()).unwrap();
    assert!(ro.topology_from_snapshot());
    assert_eq!(topology_view(&ro), expected);
}

#[test]
fn snapshot_of_another_database_is_ignored() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    build(a.path());
    let store = open(b.path());
    let mut tx = store.write().unwrap();
    tx.create_node(node(&["Company"], &[])).unwrap();
    tx.commit().unwrap();
    let expected = topology_view(&store);
    drop(store);
    std::fs::copy(a.path().join(SNAPSHOT), b.path().join(SNAPSHOT)).unwrap();
    let store = SledStore::open_with(
        b.path(),
        OpenOptions {
            read_only: true,
            ..OpenOptions::default()
        },
    )
    .unwrap();
    assert!(!store.topology_from_snapshot());
    assert_eq!(topology_view(&store), expected);
    let r = store.read().unwrap();
    assert_eq!(r.stats().unwrap().nodes, 1);
}

#[test]
fn snapshots_written_while_committing_stay_exact() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path());
    let store = std::sync::Arc::new(open(dir.path()));
    let flusher = {
        let store = store.clone();
        std::thread::spawn(move || {
            for _ in 0..20 {
                store.flush().unwrap();
                let r = store.read().unwrap();
                assert!(r.stats().unwrap().nodes > 0);
            }
        })
    };
    for i in 0..20u64 {
        let mut tx = store.write().unwrap();
        let n = tx.create_node(node(&["Company"], &[])).unwrap();
        tx.create_edge(edge("OWNS", NodeId([0, 1, 2, 5, 6][i as usize % 5]), n))
            .unwrap();
        if i % 5 == 4 {
            tx.delete_node(NodeId(10 + i), true).unwrap();
        }
        tx.commit().unwrap();
    }
    flusher.join().unwrap();
    store.flush().unwrap();
    let expected = topology_view(&store);
    drop(store);
    let loaded = SledStore::open_read_only(dir.path()).unwrap();
    assert!(loaded.topology_from_snapshot());
    assert_eq!(topology_view(&loaded), expected);
    drop(loaded);
    std::fs::remove_file(dir.path().join(SNAPSHOT)).unwrap();
    let rebuilt = SledStore::open_read_only(dir.path()).unwrap();
    assert!(!rebuilt.topology_from_snapshot());
    assert_eq!(topology_view(&rebuilt), expected);
}
