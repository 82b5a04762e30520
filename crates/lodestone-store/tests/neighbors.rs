//! The batch adjacency reads (`neighbors`, `neighbors_of`) give exactly what `expand`
//! visits, in the same order, for every backend, view, direction and type filter.

mod common;

use common::{edge, node};
use lodestone_model::{Direction, NodeId};
use lodestone_store::{Adjacent, Durability, GraphRead, MemStore, OpenOptions, SledStore, Storage};
use proptest::prelude::*;
use std::ops::ControlFlow;

const TYPES: [&str; 6] = ["OWNS", "FUNDS", "SUPPLIES", "PARTNERS_WITH", "OPERATES", "PRODUCES"];

fn expanded(g: &dyn GraphRead, n: NodeId, dir: Direction, types: &[&str]) -> Vec<Adjacent> {
    let mut out = Vec::new();
    g.expand(n, dir, types, &mut |a| {
        out.push(a);
        ControlFlow::Continue(())
    })
    .unwrap();
    out
}

/// Every node, direction and filter: `neighbors` and `neighbors_of` agree with `expand`.
fn check_view(g: &dyn GraphRead, nodes: &[NodeId], filters: &[Vec<&str>]) {
    let mut one = Vec::new();
    let mut batch = Vec::new();
    for dir in [Direction::Outgoing, Direction::Incoming, Direction::Both] {
        for types in filters {
            let mut expected = Vec::new();
            for (i, n) in nodes.iter().enumerate() {
                let e = expanded(g, *n, dir, types);
                g.neighbors(*n, dir, types, &mut one).unwrap();
                assert_eq!(one, e, "neighbors of {n} {dir:?} {types:?}");
                expected.extend(e.into_iter().map(|a| (i, a)));
            }
            g.neighbors_of(nodes, dir, types, &mut batch).unwrap();
            assert_eq!(batch, expected, "neighbors_of {dir:?} {types:?}");
        }
    }
}

fn filters() -> Vec<Vec<&'static str>> {
    vec![
        vec![],
        vec!["OWNS"],
        vec!["FUNDS", "OWNS", "FUNDS"],
        vec!["MISSING"],
        vec!["PRODUCES", "OWNS", "MISSING", "SUPPLIES", "FUNDS", "OPERATES", "OWNS"],
        TYPES.to_vec(),
    ]
}

fn build(store: &dyn Storage, n: usize, edges: &[(usize, usize, usize)]) -> Vec<NodeId> {
    let mut tx = store.write().unwrap();
    let ids: Vec<NodeId> = (0..n).map(|_| tx.create_node(node(&["N"], &[])).unwrap()).collect();
    for &(a, b, t) in edges {
        tx.create_edge(edge(TYPES[t % TYPES.len()], ids[a % n], ids[b % n]))
            .unwrap();
    }
    tx.commit().unwrap();
    ids
}

fn check_store(store: &dyn Storage, n: usize, edges: &[(usize, usize, usize)]) {
    let mut ids = build(store, n, edges);
    // Ids past the last node and a deleted node have no edges.
    ids.push(NodeId(10_000));
    check_view(&*store.read().unwrap(), &ids, &filters());
    // A write transaction's view, with deleted and new edges in its overlay.
    let mut tx = store.write().unwrap();
    if let Some(&(a, b, t)) = edges.first() {
        tx.create_edge(edge(TYPES[(t + 1) % TYPES.len()], ids[b % n], ids[a % n]))
            .unwrap();
    }
    tx.delete_node(ids[0], true).unwrap();
    check_view(&*tx, &ids, &filters());
    tx.commit().unwrap();
    check_view(&*store.read().unwrap(), &ids, &filters());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn batch_reads_match_expand(n in 1usize..24, edges in prop::collection::vec((0usize..24, 0usize..24, 0usize..6), 0..80)) {
        check_store(&MemStore::new(), n, &edges);
        let dir = tempfile::tempdir().unwrap();
        let options = OpenOptions { durability: Durability::Deferred, ..OpenOptions::default() };
        let sled = SledStore::open_with(dir.path(), options).unwrap();
        check_store(&sled, n, &edges);
    }
}
