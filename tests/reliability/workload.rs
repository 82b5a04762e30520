//! The crash workload and its verifier.
//!
//! Statement `k` (k = 1, 2, ...) is one write that, all at once: sets the counter
//! node to `k`, creates item `k` (named `item-k`) with a `COUNTED_BY` edge to the
//! counter, and moves an amount between two accounts chosen from `k`. So the whole
//! database after statements `1..=v` is known from `v` alone, and any partly
//! applied statement shows up as a mismatch. Bulk batches add a mark node and
//! `size` member nodes linked to it, in one statement: all or nothing.
//!
//! Used by the library crash test and (through `#[path]`) by the CLI's.

use lodestone::{Database, Direction, GraphRead, NodeId, Params, Value, normalize_name};
use std::collections::{BTreeMap, BTreeSet};

/// Number of accounts money moves between.
pub const ACCOUNTS: i64 = 8;
/// Each account's balance before any transfer.
pub const START_BALANCE: i64 = 1000;

/// Creates the counter and the accounts.
pub fn setup_statement() -> String {
    let accounts: Vec<String> = (0..ACCOUNTS)
        .map(|i| format!("(:Account {{no: {i}, balance: {START_BALANCE}}})"))
        .collect();
    format!(
        "CREATE (:Counter {{name: 'counter', value: 0}}), {}",
        accounts.join(", ")
    )
}

/// The transfer of statement `k`: from, to (never equal), amount.
pub fn transfer(k: i64) -> (i64, i64, i64) {
    let from = k % ACCOUNTS;
    let to = (from + 1 + (k / ACCOUNTS) % (ACCOUNTS - 1)) % ACCOUNTS;
    (from, to, 1 + k % 7)
}

/// Statement `k`; it returns one row with `k`.
pub fn item_statement(k: i64) -> String {
    let (from, to, amount) = transfer(k);
    format!(
        "MATCH (c:Counter), (a:Account {{no: {from}}}), (b:Account {{no: {to}}}) \
         SET c.value = {k}, a.balance = a.balance - {amount}, b.balance = b.balance + {amount} \
         CREATE (:Item {{seq: {k}, name: 'item-{k}'}})-[:COUNTED_BY]->(c) RETURN c.value AS k"
    )
}

/// A bulk batch: a mark node and `size` members linked to it, in one statement.
pub fn bulk_statement(batch: i64, size: i64) -> String {
    format!(
        "CREATE (m:BulkMark {{batch: {batch}, size: {size}}}) WITH m UNWIND range(1, {size}) AS i \
         CREATE (:Bulk {{batch: {batch}, i: i}})-[:IN_BATCH]->(m)"
    )
}

/// Account balances after statements `1..=v`, by account number.
pub fn expected_balances(v: i64) -> Vec<i64> {
    let mut b = vec![START_BALANCE; ACCOUNTS as usize];
    for k in 1..=v {
        let (from, to, amount) = transfer(k);
        b[from as usize] -= amount;
        b[to as usize] += amount;
    }
    b
}

/// What a verified database holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verified {
    /// Whether the setup statement has committed.
    pub set_up: bool,
    /// The counter: statements `1..=items` are all present.
    pub items: i64,
    /// Bulk batches present, each whole.
    pub batches: BTreeSet<i64>,
}

fn q(db: &Database, text: &str) -> Vec<Vec<Value>> {
    match db.query(text, &Params::new()) {
        Ok(out) => out.rows,
        Err(e) => panic!("verification query failed: {}\n{text}", e.render()),
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

fn int_map(rows: Vec<Vec<Value>>) -> BTreeMap<i64, i64> {
    rows.iter().map(|r| (int(&r[0]), int(&r[1]))).collect()
}

/// Checks a reopened database against the workload: the store's own index check,
/// every acknowledged statement present, nothing partial, indexes agree with records.
/// Panics with a description of the first disagreement.
pub fn verify(db: &Database, acked_items: i64, acked_batches: &BTreeSet<i64>) -> Verified {
    let report = db.check().expect("check runs");
    assert!(
        report.problems.is_empty(),
        "integrity check failed: {:?}",
        report.problems
    );
    let stats = db.stats().expect("stats");
    let counter = q(db, "MATCH (c:Counter) RETURN c.value");
    let mut out = Verified::default();
    match counter.as_slice() {
        [] => {
            assert_eq!(acked_items, 0, "acknowledged statements but the counter is missing");
            assert_eq!(
                stats.labels.get("Account").copied().unwrap_or(0),
                0,
                "accounts without a counter"
            );
        }
        [row] => {
            out.set_up = true;
            out.items = int(&row[0]);
        }
        many => panic!("{} counter nodes", many.len()),
    }
    let v = out.items;
    assert!(
        v >= acked_items,
        "lost acknowledged statement: counter is {v}, {acked_items} acknowledged"
    );
    if out.set_up {
        // Items: exactly 1..=v, each once.
        let seqs: Vec<i64> = q(db, "MATCH (i:Item) RETURN i.seq AS s ORDER BY s")
            .iter()
            .map(|r| int(&r[0]))
            .collect();
        assert!(
            seqs.iter().copied().eq(1..=v),
            "items are not exactly 1..={v}: {} found",
            seqs.len()
        );
        // Balances: exactly what statements 1..=v produce.
        let balances: Vec<i64> = q(db, "MATCH (a:Account) RETURN a.no AS no, a.balance AS b ORDER BY no")
            .iter()
            .map(|r| int(&r[1]))
            .collect();
        assert_eq!(
            balances,
            expected_balances(v),
            "account balances do not match counter {v}"
        );
        // Adjacency: through the engine and through the store's index.
        let linked = q(db, "MATCH (:Item)-[:COUNTED_BY]->(c:Counter) RETURN count(*)");
        assert_eq!(
            int(&linked[0][0]),
            v,
            "COUNTED_BY edges (query) disagree with counter {v}"
        );
        let read = db.read().expect("read view");
        check_adjacency_and_names(read.as_ref(), v);
    }
    // Bulk batches: each whole, marks and members and edges agree.
    let marks = int_map(q(db, "MATCH (m:BulkMark) RETURN m.batch, m.size"));
    let members = int_map(q(db, "MATCH (b:Bulk) RETURN b.batch AS batch, count(*)"));
    let linked = int_map(q(
        db,
        "MATCH (:Bulk)-[:IN_BATCH]->(m:BulkMark) RETURN m.batch AS batch, count(*)",
    ));
    assert_eq!(members, marks, "bulk members disagree with their marks");
    assert_eq!(linked, marks, "bulk edges disagree with their marks");
    out.batches = marks.keys().copied().collect();
    let lost: Vec<&i64> = acked_batches.difference(&out.batches).collect();
    assert!(lost.is_empty(), "acknowledged bulk batches lost: {lost:?}");
    out
}

fn check_adjacency_and_names(read: &dyn GraphRead, v: i64) {
    let counters = read.nodes_with_label("Counter").expect("label index");
    assert_eq!(counters.len(), 1);
    let counter = counters[0];
    let degree = read
        .degree(counter, Direction::Incoming, &["COUNTED_BY"])
        .expect("degree");
    assert_eq!(
        degree as i64, v,
        "counter's incoming adjacency disagrees with its value"
    );
    let items = read.nodes_with_label("Item").expect("label index");
    assert_eq!(items.len() as i64, v, "label index disagrees with counter {v}");
    let mut by_seq: BTreeMap<i64, NodeId> = BTreeMap::new();
    for id in &items {
        let rec = read
            .node(*id)
            .expect("record reads")
            .expect("indexed item has a record");
        let seq = rec.props.get("seq").map(int).expect("item has seq");
        by_seq.insert(seq, *id);
        assert_eq!(
            read.degree(*id, Direction::Outgoing, &[]).expect("degree"),
            1,
            "item {seq} edges"
        );
    }
    // Name index: every item's name finds exactly that item.
    let keys: BTreeMap<String, Vec<NodeId>> =
        read.name_keys()
            .expect("name keys")
            .into_iter()
            .fold(BTreeMap::new(), |mut m, (k, id)| {
                m.entry(k).or_default().push(id);
                m
            });
    for (seq, id) in &by_seq {
        let key = normalize_name(&format!("item-{seq}"));
        assert_eq!(keys.get(&key), Some(&vec![*id]), "name index entry of item {seq}");
        assert_eq!(
            read.lookup_name(&key).expect("lookup"),
            vec![*id],
            "name lookup of item {seq}"
        );
    }
    let item_keys = keys
        .values()
        .flatten()
        .filter(|id| items.binary_search(id).is_ok())
        .count();
    assert_eq!(
        item_keys as i64, v,
        "name index holds entries for items that do not exist"
    );
}

/// Every node and relationship with labels, type, endpoints and properties, one
/// line each in id order: equal dumps mean equal databases.
pub fn dump(db: &Database) -> Vec<String> {
    let read = db.read().expect("read view");
    let mut lines = Vec::new();
    for id in read.all_nodes().expect("nodes") {
        let rec = read.node(id).expect("node reads");
        lines.push(format!("node {id:?} {rec:?}"));
    }
    for id in read.all_edges().expect("edges") {
        let rec = read.edge(id).expect("edge reads");
        lines.push(format!("edge {id:?} {rec:?}"));
    }
    lines.push(format!("schema {:?}", read.schema().expect("schema")));
    lines.push(format!("indexes {:?}", read.indexes().expect("indexes")));
    lines
}
