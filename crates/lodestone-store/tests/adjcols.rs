//! `neighbors_with_property` gives what `neighbors` and `edge_property` give, position
//! by position, for every backend, view, direction and type filter, across commits
//! that create, change and delete relationships and nodes, and whatever the budget
//! of the adjacency-ordered columns (off, too small for a column, ample).

mod common;

use common::{edge, node};
use lodestone_model::{Direction, EdgeId, NodeId, Value};
use lodestone_store::{Adjacent, Durability, GraphRead, MemStore, OpenOptions, SledStore, Storage};
use proptest::prelude::*;

const TYPES: [&str; 3] = ["FUNDS", "OWNS", "SUPPLIES"];

fn filters() -> Vec<Vec<&'static str>> {
    vec![
        vec![],
        vec!["FUNDS"],
        vec!["OWNS", "FUNDS"],
        vec!["MISSING", "SUPPLIES"],
        vec!["MISSING"],
    ]
}

/// Every node, direction and filter, in two rounds (the first may build columns,
/// the second reads them): the values agree with reading each relationship.
fn check_view(g: &dyn GraphRead, nodes: &[NodeId]) {
    let (mut adj, mut vals, mut plain) = (Vec::new(), Vec::new(), Vec::<Adjacent>::new());
    for _round in 0..2 {
        for dir in [Direction::Outgoing, Direction::Incoming, Direction::Both] {
            for types in filters() {
                for key in ["amount", "note"] {
                    for n in nodes {
                        g.neighbors_with_property(*n, dir, &types, key, &mut adj, &mut vals)
                            .unwrap();
                        g.neighbors(*n, dir, &types, &mut plain).unwrap();
                        assert_eq!(adj, plain, "adjacency of {n} {dir:?} {types:?}");
                        let expected: Vec<Value> = plain
                            .iter()
                            .map(|a| g.edge_property(a.edge, key).unwrap().unwrap_or(Value::Null))
                            .collect();
                        assert_eq!(vals, expected, "{key} at {n} {dir:?} {types:?}");
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Step {
    Create {
        ty: usize,
        a: usize,
        b: usize,
        amount: Option<i64>,
    },
    Set {
        edge: usize,
        amount: Option<i64>,
    },
    DeleteEdge {
        edge: usize,
    },
    DeleteNode {
        node: usize,
    },
    AddNode,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0..3usize, 0..40usize, 0..40usize, proptest::option::of(-5..50i64))
            .prop_map(|(ty, a, b, amount)| Step::Create { ty, a, b, amount }),
        2 => (0..200usize, proptest::option::of(-5..50i64)).prop_map(|(edge, amount)| Step::Set { edge, amount }),
        1 => (0..200usize).prop_map(|edge| Step::DeleteEdge { edge }),
        1 => (0..40usize).prop_map(|node| Step::DeleteNode { node }),
        1 => Just(Step::AddNode),
    ]
}

fn with_amount(ty: &str, a: NodeId, b: NodeId, amount: Option<i64>, seq: usize) -> lodestone_model::EdgeRecord {
    let mut e = edge(ty, a, b);
    if let Some(x) = amount {
        e.props.insert("amount".into(), Value::Int(x));
    }
    if seq.is_multiple_of(3) {
        e.props.insert("note".into(), Value::String(format!("edge {seq}")));
    }
    e
}

/// Runs `commits` (each a list of steps) on `store`, checking every view after the
/// first commit and after each later one.
fn run(store: &dyn Storage, start: &[(usize, usize, usize, Option<i64>)], commits: &[Vec<Step>]) {
    let mut nodes: Vec<NodeId> = Vec::new();
    let mut edges: Vec<EdgeId> = Vec::new();
    let mut tx = store.write().unwrap();
    for _ in 0..12 {
        nodes.push(tx.create_node(node(&["N"], &[])).unwrap());
    }
    for (i, &(ty, a, b, amount)) in start.iter().enumerate() {
        let (a, b) = (nodes[a % nodes.len()], nodes[b % nodes.len()]);
        edges.push(tx.create_edge(with_amount(TYPES[ty % 3], a, b, amount, i)).unwrap());
    }
    tx.commit().unwrap();
    check_view(&*store.read().unwrap(), &nodes);
    let mut seq = start.len();
    for commit in commits {
        let mut tx = store.write().unwrap();
        for s in commit {
            seq += 1;
            let live_edges: Vec<EdgeId> = edges
                .iter()
                .copied()
                .filter(|e| tx.edge(*e).unwrap().is_some())
                .collect();
            let live_nodes: Vec<NodeId> = nodes.iter().copied().filter(|n| tx.has_node(*n)).collect();
            match s.clone() {
                Step::Create { ty, a, b, amount } if !live_nodes.is_empty() => {
                    let (a, b) = (live_nodes[a % live_nodes.len()], live_nodes[b % live_nodes.len()]);
                    edges.push(tx.create_edge(with_amount(TYPES[ty], a, b, amount, seq)).unwrap());
                }
                Step::Set { edge, amount } if !live_edges.is_empty() => {
                    let id = live_edges[edge % live_edges.len()];
                    let mut r = tx.edge(id).unwrap().unwrap();
                    match amount {
                        Some(x) => r.props.insert("amount".into(), Value::Int(x)),
                        None => r.props.remove("amount"),
                    };
                    tx.update_edge(id, r).unwrap();
                }
                Step::DeleteEdge { edge } if !live_edges.is_empty() => {
                    tx.delete_edge(live_edges[edge % live_edges.len()]).unwrap();
                }
                Step::DeleteNode { node } if live_nodes.len() > 1 => {
                    tx.delete_node(live_nodes[node % live_nodes.len()], true).unwrap();
                }
                Step::AddNode => nodes.push(tx.create_node(node(&["N"], &[])).unwrap()),
                _ => {}
            }
        }
        tx.commit().unwrap();
        check_view(&*store.read().unwrap(), &nodes);
    }
}

fn sled(dir: &std::path::Path, adjacency_columns: usize) -> SledStore {
    let options = OpenOptions {
        durability: Durability::Deferred,
        adjacency_columns,
        ..OpenOptions::default()
    };
    SledStore::open_with(dir, options).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn values_follow_commits(
        start in proptest::collection::vec((0..3usize, 0..12usize, 0..12usize, proptest::option::of(0..100i64)), 0..40),
        commits in proptest::collection::vec(proptest::collection::vec(step(), 1..6), 0..8),
    ) {
        // Ample, none, and room for the start arrays only (every column too large).
        for budget in [64 << 20, 0, 200] {
            let dir = tempfile::tempdir().unwrap();
            let store = sled(dir.path(), budget);
            run(&store, &start, &commits);
            // After a reopen the columns are built again from disk.
            drop(store);
            let store = sled(dir.path(), budget);
            let nodes: Vec<NodeId> = store.read().unwrap().all_nodes().unwrap();
            check_view(&*store.read().unwrap(), &nodes);
        }
        run(&MemStore::new(), &start, &commits);
    }
}

/// A commit that writes relationships at more nodes than a column tolerates as stale
/// drops the column; the next read builds it again and sees the commit.
#[test]
fn many_stale_nodes_rebuild_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let store = sled(dir.path(), 64 << 20);
    let n = 6000;
    let mut tx = store.write().unwrap();
    let nodes: Vec<NodeId> = (0..n).map(|_| tx.create_node(node(&["N"], &[])).unwrap()).collect();
    let mut first = Vec::new();
    for i in 0..n {
        first.push(
            tx.create_edge(with_amount("FUNDS", nodes[i], nodes[(i + 1) % n], Some(i as i64), 1))
                .unwrap(),
        );
    }
    tx.commit().unwrap();
    let sum = |store: &SledStore| -> i64 {
        let g = store.read().unwrap();
        let (mut adj, mut vals) = (Vec::new(), Vec::new());
        let mut total = 0;
        for n in &nodes {
            g.neighbors_with_property(*n, Direction::Outgoing, &["FUNDS"], "amount", &mut adj, &mut vals)
                .unwrap();
            total += vals
                .iter()
                .map(|v| if let Value::Int(x) = v { *x } else { 0 })
                .sum::<i64>();
        }
        total
    };
    let base: i64 = (0..n as i64).sum();
    assert_eq!(sum(&store), base);
    // Every amount doubled: 6,000 stale start nodes, over the limit.
    let mut tx = store.write().unwrap();
    for e in &first {
        let mut r = tx.edge(*e).unwrap().unwrap();
        let Some(Value::Int(x)) = r.props.get("amount").cloned() else {
            panic!("amount")
        };
        r.props.insert("amount".into(), Value::Int(2 * x));
        tx.update_edge(*e, r).unwrap();
    }
    tx.commit().unwrap();
    assert_eq!(sum(&store), 2 * base);
    // A few changes stay under the limit: the column is kept, those nodes read records.
    let mut tx = store.write().unwrap();
    for e in &first[..10] {
        tx.delete_edge(*e).unwrap();
    }
    tx.create_edge(with_amount("FUNDS", nodes[0], nodes[1], Some(1_000_000), 1))
        .unwrap();
    tx.commit().unwrap();
    let removed: i64 = (0..10).map(|i| 2 * i).sum();
    assert_eq!(sum(&store), 2 * base - removed + 1_000_000);
}
