//! Behaviour every `Storage` implementation must show, run against each backend.
#![allow(dead_code)]

use lodestone_model::{
    Direction, EdgeKind, EdgeRecord, NodeId, NodeKind, NodeRecord, PropertyDecl, PropertyType, Props, Schema, Value,
    ValueKind,
};
use lodestone_store::{Adjacent, GraphRead, Storage, StoreError};
use std::ops::ControlFlow;

pub fn node(labels: &[&str], props: &[(&str, Value)]) -> NodeRecord {
    NodeRecord {
        labels: labels.iter().map(|s| s.to_string()).collect(),
        props: props.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
        citations: vec![],
    }
}

pub fn edge(t: &str, start: NodeId, end: NodeId) -> EdgeRecord {
    EdgeRecord {
        rel_type: t.to_string(),
        start,
        end,
        props: Props::new(),
        citations: vec![],
    }
}

pub fn adj(g: &dyn GraphRead, n: NodeId, dir: Direction, types: &[&str]) -> Vec<Adjacent> {
    let mut out = Vec::new();
    g.expand(n, dir, types, &mut |a| {
        out.push(a);
        ControlFlow::Continue(())
    })
    .unwrap();
    out.sort_by_key(|a| a.edge);
    out
}

pub fn assert_sound(store: &dyn Storage) {
    let report = store.check().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

fn company_schema() -> Schema {
    let mut s = Schema::default();
    s.nodes.insert(
        "Company".into(),
        NodeKind {
            label: "Company".into(),
            props: vec![PropertyDecl {
                name: "ticker".into(),
                ty: PropertyType {
                    kind: ValueKind::String,
                    list: false,
                },
                required: false,
            }],
        },
    );
    s.edges.insert(
        "OWNS".into(),
        EdgeKind {
            rel_type: "OWNS".into(),
            props: vec![],
            from: vec!["Company".into()],
            to: vec!["Company".into(), "Deposit".into()],
            family: None,
        },
    );
    s
}

/// Creates, reads back, expands by type and direction, looks names up.
pub fn basic_reads(store: &dyn Storage) {
    let mut tx = store.write().unwrap();
    let a = tx
        .create_node(node(
            &["Company"],
            &[("name", "MP Materials Corp.".into()), ("aliases", vec!["MP"].into())],
        ))
        .unwrap();
    let b = tx
        .create_node(node(&["Deposit"], &[("name", "Mountain Pass".into())]))
        .unwrap();
    let c = tx
        .create_node(node(&["Company", "Buyer"], &[("name", "Apple".into())]))
        .unwrap();
    let e1 = tx.create_edge(edge("OWNS", a, b)).unwrap();
    let e2 = tx.create_edge(edge("SUPPLIES", a, c)).unwrap();
    let e3 = tx.create_edge(edge("OWNS", a, a)).unwrap();
    // Own writes are visible inside the transaction.
    assert_eq!(tx.lookup_name("mp").unwrap(), [a]);
    assert_eq!(adj(&*tx, a, Direction::Outgoing, &["OWNS"]).len(), 2);
    assert_eq!(tx.degree(a, Direction::Both, &[]).unwrap(), 3);
    assert_eq!(tx.nodes_with_label("Company").unwrap(), [a, c]);
    tx.commit().unwrap();

    let r = store.read().unwrap();
    assert_eq!(r.node(a).unwrap().unwrap().labels, ["Company"]);
    assert_eq!(r.labels(c).unwrap(), ["Company", "Buyer"]);
    assert_eq!(r.edge_ends(e2).unwrap(), Some(("SUPPLIES".into(), a, c)));
    assert_eq!(r.lookup_name("mp materials").unwrap(), [a]);
    assert_eq!(r.lookup_name("mp").unwrap(), [a]);
    assert!(r.lookup_name("nothing").unwrap().is_empty());
    let out = adj(&*r, a, Direction::Outgoing, &["OWNS"]);
    assert_eq!(out.iter().map(|x| x.edge).collect::<Vec<_>>(), [e1, e3]);
    let both = adj(&*r, a, Direction::Both, &[]);
    assert_eq!(both.len(), 3, "a self-loop is visited once under Both");
    assert!(both.iter().find(|x| x.edge == e3).unwrap().outgoing);
    assert_eq!(r.degree(a, Direction::Both, &[]).unwrap(), 3);
    assert_eq!(r.degree(a, Direction::Incoming, &["OWNS"]).unwrap(), 1);
    assert_eq!(r.degree(b, Direction::Incoming, &["OWNS", "SUPPLIES"]).unwrap(), 1);
    assert_eq!(r.degree(b, Direction::Incoming, &["NOPE"]).unwrap(), 0);
    let inc = adj(&*r, c, Direction::Incoming, &[]);
    assert_eq!(
        inc,
        [Adjacent {
            edge: e2,
            other: a,
            outgoing: false
        }]
    );
    assert_eq!(r.all_nodes().unwrap(), [a, b, c]);
    assert_eq!(r.all_edges().unwrap(), [e1, e2, e3]);
    assert_eq!(r.nodes_with_label("Buyer").unwrap(), [c]);
    let stats = r.stats().unwrap();
    assert_eq!((stats.nodes, stats.edges), (3, 3));
    assert_eq!(stats.labels["Company"], 2);
    assert_eq!(stats.types["OWNS"], 2);
    let keys = r.name_keys().unwrap();
    assert!(keys.contains(&("apple".to_string(), c)));
    drop(r);
    assert_sound(store);
}

/// Updates, deletes, and the error cases; a failed commit leaves no trace.
pub fn updates_and_failures(store: &dyn Storage) {
    let mut tx = store.write().unwrap();
    let a = tx.create_node(node(&["Company"], &[("name", "Alpha".into())])).unwrap();
    let b = tx.create_node(node(&["Company"], &[("name", "Beta".into())])).unwrap();
    let e = tx.create_edge(edge("OWNS", a, b)).unwrap();
    tx.create_index("Company", "ticker").unwrap();
    tx.commit().unwrap();

    // Deleting a node with edges, without detach, fails.
    let mut tx = store.write().unwrap();
    match tx.delete_node(a, false) {
        Err(StoreError::NodeHasEdges { node, edges }) => assert_eq!((node, edges), (a, 1)),
        other => panic!("expected NodeHasEdges, got {other:?}"),
    }
    assert!(matches!(
        tx.create_edge(edge("OWNS", a, NodeId(999))),
        Err(StoreError::NoSuchNode(_))
    ));
    assert!(matches!(
        tx.update_edge(e, edge("FUNDS", a, b)),
        Err(StoreError::EdgeShapeChanged(_))
    ));
    assert!(matches!(
        tx.create_node(node(
            &["X"],
            &[(
                "bad",
                Value::Node(Box::new(lodestone_model::NodeValue {
                    id: a,
                    labels: vec![],
                    props: Props::new()
                }))
            )]
        )),
        Err(StoreError::NotStorable { .. })
    ));
    tx.rollback();

    // Update name and ticker; the name and property indexes follow.
    let mut tx = store.write().unwrap();
    tx.update_node(
        a,
        node(&["Company"], &[("name", "Alpha Two".into()), ("ticker", "ALP".into())]),
    )
    .unwrap();
    assert_eq!(tx.lookup_name("alpha two").unwrap(), [a]);
    assert!(tx.lookup_name("alpha").unwrap().is_empty());
    assert_eq!(
        tx.find_by_property("Company", "ticker", &"ALP".into()).unwrap(),
        Some(vec![a])
    );
    tx.commit().unwrap();
    let r = store.read().unwrap();
    assert_eq!(r.lookup_name("alpha two").unwrap(), [a]);
    assert!(r.lookup_name("alpha").unwrap().is_empty());
    assert_eq!(
        r.find_by_property("Company", "ticker", &"ALP".into()).unwrap(),
        Some(vec![a])
    );
    assert_eq!(r.find_by_property("Company", "name", &"ALP".into()).unwrap(), None);
    assert_eq!(r.indexes().unwrap(), [("Company".to_string(), "ticker".to_string())]);
    drop(r);

    // A schema violation at commit leaves nothing behind.
    let mut tx = store.write().unwrap();
    tx.set_schema(company_schema()).unwrap();
    tx.commit().unwrap();
    let before = store.read().unwrap().stats().unwrap();
    let mut tx = store.write().unwrap();
    let x = tx.create_node(node(&["Company"], &[("name", "Gamma".into())])).unwrap();
    tx.create_edge(edge("OWNS", x, a)).unwrap();
    tx.update_node(
        b,
        node(&["Company"], &[("name", "Beta".into()), ("ticker", Value::Int(3))]),
    )
    .unwrap();
    assert!(matches!(tx.commit(), Err(StoreError::Schema(_))));
    let r = store.read().unwrap();
    assert_eq!(r.stats().unwrap(), before);
    assert!(r.lookup_name("gamma").unwrap().is_empty());
    assert_eq!(r.node(b).unwrap().unwrap().props.get("ticker"), None);
    drop(r);
    // An edge whose end kind is not allowed fails too, and so does relabelling an end.
    let mut tx = store.write().unwrap();
    let p = tx.create_node(node(&["Person"], &[])).unwrap();
    tx.create_edge(edge("OWNS", a, p)).unwrap();
    assert!(matches!(tx.commit(), Err(StoreError::Schema(_))));
    let mut tx = store.write().unwrap();
    tx.update_node(b, node(&["Person"], &[("name", "Beta".into())]))
        .unwrap();
    assert!(matches!(tx.commit(), Err(StoreError::Schema(_))));
    // Setting a schema the data breaks fails at once.
    let mut tx = store.write().unwrap();
    let mut strict = company_schema();
    strict.nodes.get_mut("Company").unwrap().props[0].required = true;
    assert!(matches!(tx.set_schema(strict), Err(StoreError::Schema(_))));
    tx.rollback();
    assert_eq!(store.read().unwrap().schema().unwrap(), company_schema());

    // Detach delete removes the edges too.
    let mut tx = store.write().unwrap();
    tx.delete_node(a, true).unwrap();
    assert!(!tx.has_node(a));
    assert!(tx.edge(e).unwrap().is_none());
    assert_eq!(tx.degree(b, Direction::Both, &[]).unwrap(), 0);
    tx.commit().unwrap();
    let r = store.read().unwrap();
    assert!(r.node(a).unwrap().is_none());
    assert!(r.edge_ends(e).unwrap().is_none());
    assert_eq!(
        r.find_by_property("Company", "ticker", &"ALP".into()).unwrap(),
        Some(vec![])
    );
    assert_eq!(r.stats().unwrap().edges, 0);
    drop(r);

    // Ids are never reused.
    let mut tx = store.write().unwrap();
    let n = tx.create_node(node(&[], &[])).unwrap();
    assert!(n.0 > b.0);
    tx.commit().unwrap();
    assert_sound(store);
}

/// A reader keeps its view while a writer works; it sees the commit only afterwards.
pub fn snapshots(store: &dyn Storage) {
    let mut tx = store.write().unwrap();
    let a = tx.create_node(node(&["T"], &[])).unwrap();
    {
        let r = store.read().unwrap();
        assert!(!r.has_node(a));
    }
    tx.commit().unwrap();
    assert!(store.read().unwrap().has_node(a));
}

/// Null properties are dropped; values of every kind come back as stored.
pub fn values_round_trip(store: &dyn Storage) {
    let v: Vec<(&str, Value)> = vec![
        ("b", Value::Bool(true)),
        ("i", Value::Int(-7)),
        ("f", Value::Float(2.5)),
        ("s", "text".into()),
        ("l", vec![Value::Int(1), Value::from("x")].into()),
        ("d", Value::Date("2025-09".parse().unwrap())),
        ("m", Value::Money("$277M".parse().unwrap())),
        ("p", Value::Percent(lodestone_model::Decimal::new(161, 1))),
        ("n", Value::Null),
    ];
    let mut tx = store.write().unwrap();
    let id = tx.create_node(node(&["V"], &v)).unwrap();
    tx.create_index("V", "i").unwrap();
    tx.commit().unwrap();
    let r = store.read().unwrap();
    let rec = r.node(id).unwrap().unwrap();
    assert_eq!(rec.props.len(), v.len() - 1);
    for (k, val) in v.iter().filter(|(_, x)| !x.is_null()) {
        assert_eq!(rec.props.get(*k), Some(val));
    }
    assert_eq!(
        r.find_by_property("V", "i", &Value::Float(-7.0)).unwrap(),
        Some(vec![id])
    );
}

/// An index created over committed nodes holds every node's committed value, except
/// where the same transaction changed, deleted or created a node: there its value.
pub fn new_index_over_committed_and_changed_nodes(store: &dyn Storage) {
    let mut tx = store.write().unwrap();
    let ids: Vec<NodeId> = (0..300)
        .map(|i| {
            let props: Vec<(&str, Value)> = if i % 7 == 0 {
                vec![]
            } else {
                vec![("code", Value::Int(i % 10))]
            };
            tx.create_node(node(&["Site"], &props)).unwrap()
        })
        .collect();
    tx.create_node(node(&["Other"], &[("code", Value::Int(3))])).unwrap();
    tx.commit().unwrap();
    let mut tx = store.write().unwrap();
    tx.update_node(ids[3], node(&["Site"], &[("code", Value::Int(99))]))
        .unwrap();
    tx.delete_node(ids[13], true).unwrap();
    let fresh = tx.create_node(node(&["Site"], &[("code", Value::Int(3))])).unwrap();
    tx.create_index("Site", "code").unwrap();
    tx.commit().unwrap();
    let r = store.read().unwrap();
    for code in 0..10 {
        let mut want: Vec<NodeId> = (0..300)
            .filter(|i| i % 7 != 0 && (*i as i64) % 10 == code && *i != 3 && *i != 13)
            .map(|i| ids[i])
            .collect();
        if code == 3 {
            want.push(fresh);
        }
        assert_eq!(
            r.find_by_property("Site", "code", &Value::Int(code)).unwrap(),
            Some(want),
            "code {code}"
        );
    }
    assert_eq!(
        r.find_by_property("Site", "code", &Value::Int(99)).unwrap(),
        Some(vec![ids[3]])
    );
}

pub fn all(store: &dyn Storage) {
    basic_reads(store);
    snapshots(store);
    values_round_trip(store);
}

/// Readers running beside a writer always see whole commits: each commit adds one
/// `Item` node and one edge to the hub and bumps the hub's `count` property.
pub fn readers_never_see_half_commits(store: &(dyn Storage + Sync)) {
    let mut tx = store.write().unwrap();
    let hub = tx.create_node(node(&["Hub"], &[("count", Value::Int(0))])).unwrap();
    tx.commit().unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let mut views = 0;
                while !done.load(std::sync::atomic::Ordering::SeqCst) || views == 0 {
                    let r = store.read().unwrap();
                    let count = match r.node(hub).unwrap().unwrap().props.get("count") {
                        Some(Value::Int(c)) => *c as u64,
                        other => panic!("bad count {other:?}"),
                    };
                    assert_eq!(r.nodes_with_label("Item").unwrap().len() as u64, count);
                    assert_eq!(r.degree(hub, Direction::Incoming, &[]).unwrap(), count);
                    assert_eq!(r.stats().unwrap().edges, count);
                    views += 1;
                }
            });
        }
        for i in 1..=60 {
            let mut tx = store.write().unwrap();
            let n = tx.create_node(node(&["Item"], &[])).unwrap();
            tx.create_edge(edge("IN", n, hub)).unwrap();
            tx.update_node(hub, node(&["Hub"], &[("count", Value::Int(i))]))
                .unwrap();
            tx.commit().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    assert_sound(store);
}

/// Inside one transaction, indexes over created nodes follow creates, updates and
/// deletes, also after they were first consulted.
pub fn overlay_indexes_follow_changes(store: &dyn Storage) {
    let mut tx = store.write().unwrap();
    tx.create_index("Company", "ticker").unwrap();
    tx.commit().unwrap();
    let mut tx = store.write().unwrap();
    let mut ids = Vec::new();
    for i in 0..200 {
        let n = tx
            .create_node(node(
                &["Company"],
                &[("name", format!("Firm {i}").into()), ("ticker", format!("T{i}").into())],
            ))
            .unwrap();
        ids.push(n);
        if i % 50 == 0 {
            // Consulting the indexes part-way must not hide later creates.
            assert_eq!(tx.lookup_name(&format!("firm {i}")).unwrap(), [n]);
            assert_eq!(
                tx.find_by_property("Company", "ticker", &format!("T{i}").into())
                    .unwrap(),
                Some(vec![n])
            );
        }
    }
    assert_eq!(tx.lookup_name("firm 199").unwrap(), [ids[199]]);
    // Rename and relabel a created node that the indexes already hold.
    tx.update_node(ids[10], node(&["Person"], &[("name", "Renamed".into())]))
        .unwrap();
    assert!(tx.lookup_name("firm 10").unwrap().is_empty());
    assert_eq!(tx.lookup_name("renamed").unwrap(), [ids[10]]);
    assert_eq!(
        tx.find_by_property("Company", "ticker", &"T10".into()).unwrap(),
        Some(vec![])
    );
    assert_eq!(tx.nodes_with_label("Person").unwrap(), [ids[10]]);
    assert_eq!(tx.nodes_with_label("Company").unwrap().len(), 199);
    tx.delete_node(ids[20], false).unwrap();
    assert!(tx.lookup_name("firm 20").unwrap().is_empty());
    let e = tx.create_edge(edge("OWNS", ids[1], ids[2])).unwrap();
    assert_eq!(adj(&*tx, ids[2], Direction::Incoming, &["OWNS"]).len(), 1);
    tx.delete_edge(e).unwrap();
    assert!(adj(&*tx, ids[2], Direction::Incoming, &[]).is_empty());
    let stats = tx.stats().unwrap();
    assert_eq!((stats.nodes, stats.edges, stats.labels["Company"]), (199, 0, 198));
    tx.commit().unwrap();
    let r = store.read().unwrap();
    assert_eq!(r.lookup_name("renamed").unwrap(), [ids[10]]);
    assert_eq!(
        r.find_by_property("Company", "ticker", &"T11".into()).unwrap(),
        Some(vec![ids[11]])
    );
    assert!(!r.has_node(ids[20]));
    assert_eq!(r.stats().unwrap(), stats);
    drop(r);
    // Updating and deleting committed nodes shows in the next transaction's reads.
    let mut tx = store.write().unwrap();
    tx.update_node(
        ids[11],
        node(&["Company"], &[("name", "Firm 11".into()), ("ticker", "NEW".into())]),
    )
    .unwrap();
    assert_eq!(
        tx.find_by_property("Company", "ticker", &"T11".into()).unwrap(),
        Some(vec![])
    );
    assert_eq!(
        tx.find_by_property("Company", "ticker", &"NEW".into()).unwrap(),
        Some(vec![ids[11]])
    );
    tx.delete_node(ids[12], true).unwrap();
    assert!(tx.lookup_name("firm 12").unwrap().is_empty());
    assert!(!tx.nodes_with_label("Company").unwrap().contains(&ids[12]));
    assert!(!tx.all_nodes().unwrap().contains(&ids[12]));
    tx.commit().unwrap();
    assert_sound(store);
}
