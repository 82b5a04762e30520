//! The sled backend's decoded-record cache: reads after a commit see the commit,
//! a rollback changes nothing, and concurrent readers see whole commits only.

mod common;

use common::{edge, node};
use lodestone_model::{EdgeId, NodeId, Value};
use lodestone_store::{Durability, GraphRead, OpenOptions, SledStore, Storage};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn open(dir: &std::path::Path, record_cache: usize) -> SledStore {
    open_with_columns(dir, record_cache, OpenOptions::default().property_columns)
}

fn open_with_columns(dir: &std::path::Path, record_cache: usize, property_columns: usize) -> SledStore {
    SledStore::open_with(
        dir,
        OpenOptions {
            durability: Durability::Deferred,
            record_cache,
            property_columns,
            ..OpenOptions::default()
        },
    )
    .unwrap()
}

fn name_of(g: &dyn GraphRead, id: NodeId) -> Option<Value> {
    g.node(id).unwrap().and_then(|r| r.props.get("name").cloned())
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

fn reads_follow_commits(record_cache: usize, property_columns: usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = open_with_columns(dir.path(), record_cache, property_columns);
    let mut tx = store.write().unwrap();
    let a = tx.create_node(node(&["Company"], &[("name", s("A"))])).unwrap();
    let b = tx.create_node(node(&["Company"], &[("name", s("B"))])).unwrap();
    let e = tx.create_edge(edge("OWNS", a, b)).unwrap();
    tx.commit().unwrap();

    // Fill the cache, then change both records.
    {
        let r = store.read().unwrap();
        assert_eq!(name_of(&*r, a), Some(s("A")));
        assert_eq!(r.node_property(b, "name").unwrap(), Some(s("B")));
        assert_eq!(r.node_property(a, "name").unwrap(), Some(s("A")));
        assert_eq!(r.edge_property(e, "share").unwrap(), None);
        assert!(r.edge(e).unwrap().unwrap().props.is_empty());
    }
    let mut tx = store.write().unwrap();
    tx.update_node(a, node(&["Company", "Listed"], &[("name", s("A2"))]))
        .unwrap();
    let mut er = edge("OWNS", a, b);
    er.props.insert("share".into(), Value::Int(51));
    tx.update_edge(e, er).unwrap();
    tx.commit().unwrap();
    {
        let r = store.read().unwrap();
        assert_eq!(name_of(&*r, a), Some(s("A2")));
        assert_eq!(r.node_shared(a).unwrap().unwrap().labels, ["Company", "Listed"]);
        assert!(r.has_labels(a, &["Listed", "Company"]).unwrap());
        assert!(!r.has_labels(b, &["Listed"]).unwrap());
        assert_eq!(r.edge_property(e, "share").unwrap(), Some(Value::Int(51)));
        assert_eq!(r.node_property(a, "name").unwrap(), Some(s("A2")));
        assert_eq!(r.edge_shared(e).unwrap().unwrap().props.len(), 1);
        assert_eq!(name_of(&*r, b), Some(s("B")));
    }

    // A rolled-back change is never seen, and the cached record stays right.
    let mut tx = store.write().unwrap();
    tx.update_node(b, node(&["Company"], &[("name", s("B-rolled-back"))]))
        .unwrap();
    assert_eq!(name_of(&*tx, b), Some(s("B-rolled-back")));
    tx.rollback();
    assert_eq!(name_of(&*store.read().unwrap(), b), Some(s("B")));

    // Deletions: the cached records must not outlive them.
    let mut tx = store.write().unwrap();
    tx.delete_node(a, true).unwrap();
    tx.commit().unwrap();
    {
        let r = store.read().unwrap();
        assert!(r.node(a).unwrap().is_none());
        assert!(r.node_shared(a).unwrap().is_none());
        assert_eq!(r.node_property(a, "name").unwrap(), None);
        assert!(r.edge(e).unwrap().is_none());
        assert_eq!(r.edge_property(e, "share").unwrap(), None);
        assert!(!r.has_labels(a, &[]).unwrap());
    }
    // Ids past the last one never have records.
    let r = store.read().unwrap();
    assert!(r.node(NodeId(1_000)).unwrap().is_none());
    assert!(r.edge(EdgeId(1_000)).unwrap().is_none());
    drop(r);
    common::assert_sound(&store);

    // The same answers after a reopen (empty cache).
    drop(store);
    let store = open_with_columns(dir.path(), record_cache, property_columns);
    let r = store.read().unwrap();
    assert!(r.node(a).unwrap().is_none());
    assert_eq!(name_of(&*r, b), Some(s("B")));
}

#[test]
fn cached_reads_follow_commits_and_rollbacks() {
    reads_follow_commits(1 << 10, 1 << 20);
}

#[test]
fn reads_without_cache_follow_commits() {
    reads_follow_commits(0, 0);
}

#[test]
fn property_columns_alone_follow_commits() {
    reads_follow_commits(0, 1 << 20);
}

#[test]
fn tiny_property_columns_empty_and_stay_correct() {
    reads_follow_commits(0, 200);
}

#[test]
fn a_tiny_cache_evicts_and_stays_correct() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path(), 4);
    let mut tx = store.write().unwrap();
    let ids: Vec<NodeId> = (0..300)
        .map(|i| tx.create_node(node(&["N"], &[("i", Value::Int(i))])).unwrap())
        .collect();
    tx.commit().unwrap();
    for round in 0..3i64 {
        let r = store.read().unwrap();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(
                r.node_property(*id, "i").unwrap(),
                Some(Value::Int(i as i64 + round * 1000))
            );
        }
        drop(r);
        let mut tx = store.write().unwrap();
        for (i, id) in ids.iter().enumerate() {
            tx.update_node(*id, node(&["N"], &[("i", Value::Int(i as i64 + (round + 1) * 1000))]))
                .unwrap();
        }
        tx.commit().unwrap();
    }
}

#[test]
fn concurrent_cached_reads_see_whole_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(dir.path(), 64));
    let mut tx = store.write().unwrap();
    let nodes: Vec<NodeId> = (0..40)
        .map(|_| tx.create_node(node(&["N"], &[("v", Value::Int(0))])).unwrap())
        .collect();
    let mut edges = Vec::new();
    for w in nodes.windows(2) {
        let mut er = edge("NEXT", w[0], w[1]);
        er.props.insert("v".into(), Value::Int(0));
        edges.push(tx.create_edge(er).unwrap());
    }
    tx.commit().unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (store, done, nodes, edges) = (store.clone(), done.clone(), nodes.clone(), edges.clone());
            std::thread::spawn(move || {
                let mut last = 0i64;
                let mut views = 0u64;
                while !done.load(Ordering::SeqCst) || views < 5 {
                    let r = store.read().unwrap();
                    // Every record in one view carries the same commit's value.
                    let Some(Value::Int(first)) = r.node_property(nodes[0], "v").unwrap() else {
                        panic!("missing value");
                    };
                    for n in &nodes {
                        assert_eq!(r.node_property(*n, "v").unwrap(), Some(Value::Int(first)));
                    }
                    for e in &edges {
                        assert_eq!(r.edge(*e).unwrap().unwrap().props["v"], Value::Int(first));
                    }
                    assert!(first >= last, "a view went back in time: {first} after {last}");
                    last = first;
                    views += 1;
                }
                last
            })
        })
        .collect();
    for k in 1..=60i64 {
        let mut tx = store.write().unwrap();
        for n in &nodes {
            tx.update_node(*n, node(&["N"], &[("v", Value::Int(k))])).unwrap();
        }
        for (e, w) in edges.iter().zip(nodes.windows(2)) {
            let mut er = edge("NEXT", w[0], w[1]);
            er.props.insert("v".into(), Value::Int(k));
            tx.update_edge(*e, er).unwrap();
        }
        tx.commit().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    for r in readers {
        let last = r.join().unwrap();
        assert!(last <= 60);
    }
    let r = store.read().unwrap();
    for n in &nodes {
        assert_eq!(r.node_property(*n, "v").unwrap(), Some(Value::Int(60)));
    }
}
