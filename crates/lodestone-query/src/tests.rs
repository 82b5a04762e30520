//! Engine tests that the statement files cannot express: counters, budgets,
//! cancellation, error codes and spans, and the transaction entry points.

use crate::{CancelToken, Counters, ExecOptions, Limits, QueryError, is_read_only, parse, run, run_in_txn, run_read};
use lodestone_model::Value;
use lodestone_store::{MemStore, Storage};
use std::time::Duration;

fn exec(store: &MemStore, text: &str) -> Result<crate::Output, QueryError> {
    exec_with(store, text, &ExecOptions::default())
}

fn exec_with(store: &MemStore, text: &str, opts: &ExecOptions) -> Result<crate::Output, QueryError> {
    let stmt = parse::parse_statement(text)?;
    run(store, &stmt, opts)
}

fn count(store: &MemStore, text: &str) -> i64 {
    match exec(store, text).unwrap().rows[0][0] {
        Value::Int(i) => i,
        ref other => panic!("not a count: {other}"),
    }
}

#[test]
fn counters_report_every_change() {
    let store = MemStore::new();
    let out = exec(&store, "CREATE (a:A:B {x: 1, y: 2, z: null})-[:R {w: 1}]->(b:C)").unwrap();
    assert_eq!(
        out.counters,
        Counters {
            nodes_created: 2,
            relationships_created: 1,
            properties_set: 3,
            labels_added: 3,
            ..Counters::default()
        }
    );
    let out = exec(&store, "MATCH (a:A) SET a.x = 5, a:D REMOVE a:B, a.y").unwrap();
    assert_eq!(out.counters.properties_set, 2);
    assert_eq!(out.counters.labels_added, 1);
    assert_eq!(out.counters.labels_removed, 1);
    let out = exec(&store, "MATCH (a:A) DETACH DELETE a").unwrap();
    assert_eq!(out.counters.nodes_deleted, 1);
    assert_eq!(out.counters.relationships_deleted, 1);
    let out = exec(&store, "MATCH (n) RETURN n").unwrap();
    assert!(out.counters.is_empty());
    let out = exec(&store, "MERGE (x:M {k: 1}) ON CREATE SET x.new = true").unwrap();
    assert_eq!(out.counters.nodes_created, 1);
    assert_eq!(out.counters.properties_set, 2);
    let out = exec(&store, "MERGE (x:M {k: 1}) ON CREATE SET x.new = true").unwrap();
    assert!(out.counters.is_empty());
}

#[test]
fn semantic_errors_carry_code_and_span() {
    let store = MemStore::new();
    let text = "MATCH (n) RETURN m";
    match exec(&store, text) {
        Err(QueryError::Semantic { code, span, .. }) => {
            assert_eq!(code, "UndefinedVariable");
            assert_eq!(&text[span.start..span.end], "m");
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = "MATCH (n) WHERE count(n) > 1 RETURN n";
    match exec(&store, text) {
        Err(QueryError::Semantic { code, span, .. }) => {
            assert_eq!(code, "InvalidAggregation");
            assert_eq!(&text[span.start..span.end], "count(n)");
        }
        other => panic!("unexpected {other:?}"),
    }
    let text = "RETURN toUpper('a', 'b')";
    match exec(&store, text) {
        Err(
            e @ QueryError::Semantic {
                code: "InvalidNumberOfArguments",
                ..
            },
        ) => {
            assert!(e.is_compile_time());
            assert!(e.render(text).contains("line 1, column 8"), "{}", e.render(text));
        }
        other => panic!("unexpected {other:?}"),
    }
    for (text, code) in [
        ("MATCH (a)-[a]->() RETURN a", "VariableTypeConflict"),
        ("RETURN max(min(1))", "NestedAggregation"),
        ("RETURN 1 AS x LIMIT -1", "NegativeIntegerArgument"),
        ("RETURN 1 AS x SKIP 1.5", "InvalidArgumentType"),
        ("RETURN 1 AS a, 2 AS a", "ColumnNameConflict"),
        ("RETURN 1 AS a UNION RETURN 2 AS b", "DifferentColumnsInUnion"),
        ("MATCH (n) DELETE n.x", "InvalidArgumentType"),
        ("RETURN frobnicate(1)", "UnknownFunction"),
        ("MATCH (n) RETURN n.x + count(*)", "AmbiguousAggregationExpression"),
        ("CREATE (a)-[:R]-(b)", "RequiresDirectedRelationship"),
    ] {
        match exec(&store, text) {
            Err(QueryError::Semantic { code: c, .. }) => assert_eq!(c, code, "{text}"),
            other => panic!("{text}: unexpected {other:?}"),
        }
    }
}

#[test]
fn missing_parameter_is_found_before_running() {
    let store = MemStore::new();
    let text = "CREATE (:X) WITH 1 AS one RETURN $gone";
    match exec(&store, text) {
        Err(QueryError::MissingParameter { name, span }) => {
            assert_eq!(name, "gone");
            assert_eq!(&text[span.start..span.end], "$gone");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(count(&store, "MATCH (n:X) RETURN count(n)"), 0);
}

#[test]
fn row_budget_stops_a_statement_and_rolls_back() {
    let store = MemStore::new();
    let opts = ExecOptions {
        limits: Limits {
            max_rows: Some(1000),
            ..Limits::default()
        },
        ..ExecOptions::default()
    };
    let err = exec_with(&store, "UNWIND range(1, 5000) AS x CREATE (:Row {x: x})", &opts).unwrap_err();
    assert!(matches!(err, QueryError::RowLimit { limit: 1000 }), "{err:?}");
    assert_eq!(count(&store, "MATCH (n:Row) RETURN count(n)"), 0);
    // Under the budget it runs.
    exec_with(&store, "UNWIND range(1, 500) AS x CREATE (:Row {x: x})", &opts).unwrap();
    assert_eq!(count(&store, "MATCH (n:Row) RETURN count(n)"), 500);
}

#[test]
fn time_budget_stops_a_runaway_query() {
    let store = MemStore::new();
    let opts = ExecOptions {
        limits: Limits {
            timeout: Some(Duration::from_millis(50)),
            max_rows: None,
            ..Limits::default()
        },
        ..ExecOptions::default()
    };
    let text = "UNWIND range(1, 100000) AS a UNWIND range(1, 100000) AS b RETURN count(*)";
    let err = exec_with(&store, text, &opts).unwrap_err();
    assert!(matches!(err, QueryError::TimeLimit { millis: 50 }), "{err:?}");
    // The store stays usable, for writes too.
    exec(&store, "CREATE (:After)").unwrap();
    assert_eq!(count(&store, "MATCH (n:After) RETURN count(n)"), 1);
}

#[test]
fn time_budget_stops_a_path_explosion() {
    let store = MemStore::new();
    exec(&store, "UNWIND range(1, 30) AS i CREATE (:K {i: i})").unwrap();
    exec(&store, "MATCH (a:K), (b:K) WHERE a <> b CREATE (a)-[:E]->(b)").unwrap();
    let opts = ExecOptions {
        limits: Limits {
            timeout: Some(Duration::from_millis(100)),
            max_rows: None,
            max_hops: 15,
        },
        ..ExecOptions::default()
    };
    let err = exec_with(&store, "MATCH (a:K {i: 1})-[:E*]->(b) RETURN count(*)", &opts).unwrap_err();
    assert!(matches!(err, QueryError::TimeLimit { .. }), "{err:?}");
    // The distinct endpoints of the same pattern come from a breadth-first search at once.
    let out = exec_with(&store, "MATCH (a:K {i: 1})-[:E*]->(b) RETURN count(DISTINCT b)", &opts).unwrap();
    assert_eq!(out.rows, vec![vec![Value::Int(30)]]);
}

#[test]
fn cancellation_stops_a_running_query() {
    let store = MemStore::new();
    let token = CancelToken::new();
    let opts = ExecOptions {
        cancel: token.clone(),
        limits: Limits {
            timeout: None,
            max_rows: None,
            ..Limits::default()
        },
        ..ExecOptions::default()
    };
    token.cancel();
    let err = exec_with(&store, "RETURN 1", &opts).unwrap_err();
    assert!(matches!(err, QueryError::Cancelled));
    token.reset();
    let canceller = {
        let token = token.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            token.cancel();
        })
    };
    let text = "UNWIND range(1, 100000) AS a UNWIND range(1, 100000) AS b RETURN count(*)";
    let err = exec_with(&store, text, &opts).unwrap_err();
    canceller.join().unwrap();
    assert!(matches!(err, QueryError::Cancelled), "{err:?}");
}

#[test]
fn max_hops_bounds_unbounded_patterns() {
    let store = MemStore::new();
    exec(&store, "UNWIND range(0, 9) AS i CREATE (:C {i: i})").unwrap();
    exec(&store, "MATCH (a:C), (b:C) WHERE b.i = a.i + 1 CREATE (a)-[:N]->(b)").unwrap();
    let opts = ExecOptions {
        limits: Limits {
            max_hops: 3,
            ..Limits::default()
        },
        ..ExecOptions::default()
    };
    let out = exec_with(&store, "MATCH (a:C {i: 0})-[:N*]->(b) RETURN max(b.i)", &opts).unwrap();
    assert_eq!(out.rows, vec![vec![Value::Int(3)]]);
    let out = exec_with(&store, "MATCH (a:C {i: 0})-[:N*..5]->(b) RETURN max(b.i)", &opts).unwrap();
    assert_eq!(out.rows, vec![vec![Value::Int(5)]]);
}

#[test]
fn transaction_entry_points() {
    let store = MemStore::new();
    let create = parse::parse_statement("CREATE (:T)").unwrap();
    let read = parse::parse_statement("MATCH (n:T) RETURN count(n)").unwrap();
    assert!(!is_read_only(&create));
    assert!(is_read_only(&read));
    {
        let mut txn = store.write().unwrap();
        run_in_txn(&mut *txn, &create, &ExecOptions::default()).unwrap();
        let inside = run_in_txn(&mut *txn, &read, &ExecOptions::default()).unwrap();
        assert_eq!(inside.rows, vec![vec![Value::Int(1)]]);
        txn.rollback();
    }
    assert_eq!(count(&store, "MATCH (n:T) RETURN count(n)"), 0);
    {
        let snap = store.read().unwrap();
        let err = run_read(&*snap, &create, &ExecOptions::default()).unwrap_err();
        assert!(matches!(err, QueryError::Unsupported { .. }));
        let out = run_read(&*snap, &read, &ExecOptions::default()).unwrap();
        assert_eq!(out.rows, vec![vec![Value::Int(0)]]);
    }
}

#[test]
fn explain_runs_nothing_and_profile_counts_rows() {
    let store = MemStore::new();
    exec(&store, "UNWIND range(1, 5) AS i CREATE (:P {i: i})").unwrap();
    let out = exec(&store, "EXPLAIN MATCH (p:P) WHERE p.i > 2 RETURN p.i").unwrap();
    assert!(out.rows.is_empty() && out.columns.is_empty());
    let plan = out.plan.unwrap();
    assert!(plan.contains("NodeByLabelScan (p:P)"), "{plan}");
    let out = exec(&store, "PROFILE MATCH (p:P) WHERE p.i > 2 RETURN p.i").unwrap();
    assert_eq!(out.rows.len(), 3);
    let plan = out.plan.unwrap();
    assert!(plan.contains("NodeByLabelScan (p:P)  (rows=5,"), "{plan}");
    assert!(plan.contains("Filter p.i > 2  (rows=3,"), "{plan}");
}

#[test]
fn anchored_lookup_uses_the_name_index() {
    let store = MemStore::new();
    exec(
        &store,
        "UNWIND range(1, 200) AS i CREATE (:Company {name: 'c' + toString(i)})",
    )
    .unwrap();
    exec(
        &store,
        "CREATE (:Company {name: 'MP Materials Corp.', aliases: ['MP']})",
    )
    .unwrap();
    let out = exec(
        &store,
        "PROFILE MATCH (c:Company {name: 'MP Materials Corp.'}) RETURN c.name",
    )
    .unwrap();
    assert_eq!(out.rows, vec![vec![Value::from("MP Materials Corp.")]]);
    let plan = out.plan.unwrap();
    assert!(plan.contains("NodeByNameSeek"), "{plan}");
    assert!(plan.contains("(rows=1,"), "{plan}");
    // The seek normalizes, the filter keeps the exact value: an alias alone does not match.
    let out = exec(&store, "MATCH (c:Company {name: 'MP'}) RETURN c.name").unwrap();
    assert!(out.rows.is_empty());
    let out = exec(&store, "MATCH (c:Company {name: 'mp materials corp.'}) RETURN c.name").unwrap();
    assert!(out.rows.is_empty());
}

#[test]
fn kind_errors_are_found_early_when_kinds_are_known() {
    let store = MemStore::new();
    let text = "RETURN 1 + true";
    match exec(&store, text) {
        Err(QueryError::Semantic { code, span, .. }) => {
            assert_eq!(code, "InvalidArgumentType");
            assert_eq!(&text[span.start..span.end], "1 + true");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Through a property the kind is known only while running.
    exec(&store, "CREATE (:V {x: 1})").unwrap();
    let err = exec(&store, "MATCH (v:V) RETURN v.x + true").unwrap_err();
    assert!(matches!(err, QueryError::Type { .. }), "{err:?}");
    assert!(!err.is_compile_time());
}

#[test]
fn very_long_statements_are_refused_not_crashing() {
    let store = MemStore::new();
    let mut q = String::from("UNWIND [1] AS x0 ");
    for i in 1..1000 {
        q.push_str(&format!("WITH x{} + 1 AS x{i} ", i - 1));
    }
    q.push_str("RETURN x999");
    let err = exec(&store, &q).unwrap_err();
    assert!(matches!(err, QueryError::Unsupported { .. }), "{err:?}");
    // Long but within the bound: runs (in a thread with a small stack, as tests use).
    let mut q = String::from("UNWIND [1] AS x0 ");
    for i in 1..300 {
        q.push_str(&format!("WITH x{} + 1 AS x{i} ", i - 1));
    }
    q.push_str("RETURN x299");
    let out = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || exec(&store, &q).map(|o| o.rows))
        .unwrap()
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(out, vec![vec![Value::Int(300)]]);
}

fn argument_error(store: &MemStore, text: &str) -> String {
    match exec(store, text) {
        Err(e @ QueryError::Argument { .. }) => e.to_string(),
        other => panic!("{text}: expected an argument error, got {other:?}"),
    }
}

#[test]
fn runtime_nesting_is_bounded() {
    let store = MemStore::new();
    for text in [
        "RETURN reduce(acc = [], i IN range(1, 100000) | [acc]) AS s",
        "RETURN size(reduce(acc = [], i IN range(1, 100) | [acc])) AS s",
        "WITH reduce(acc = {}, i IN range(1, 100) | {a: acc}) AS m RETURN m = m",
        "RETURN reduce(acc = [], i IN range(1, 100) | [1] + [acc]) AS s",
        "RETURN reduce(acc = [], i IN range(1, 100) | [x IN [1] | acc]) AS s",
        "CREATE (:X {p: reduce(acc = [], i IN range(1, 100) | [acc])})",
    ] {
        let shown = argument_error(&store, text);
        assert!(shown.contains("nested deeper than 64"), "{text}: {shown}");
    }
    // Nesting up to the limit is fine.
    let out = exec(&store, "RETURN size(reduce(acc = [], i IN range(1, 63) | [acc])) AS s").unwrap();
    assert_eq!(out.rows, vec![vec![Value::Int(1)]]);
    let out = exec(
        &store,
        "UNWIND [1, 2] AS i WITH collect(reduce(acc = [], j IN range(1, 62) | [acc])) AS c RETURN size(c)",
    )
    .unwrap();
    assert_eq!(out.rows, vec![vec![Value::Int(2)]]);
    let shown = argument_error(
        &store,
        "UNWIND [1, 2] AS i WITH collect(reduce(acc = [], j IN range(1, 63) | [acc])) AS c RETURN size(c)",
    );
    assert!(shown.contains("nested deeper"), "{shown}");
}

#[test]
fn runtime_sizes_are_bounded() {
    let store = MemStore::new();
    for text in [
        "RETURN size(reduce(s = 'x', i IN range(1, 40) | s + s))",
        "RETURN size(range(1, 50000000))",
        "RETURN size(replace(reduce(s = 'x', i IN range(1, 20) | s + s), 'x', reduce(s = 'y', i IN range(1, 7) | s + s)))",
    ] {
        let shown = argument_error(&store, text);
        assert!(shown.contains("too large"), "{text}: {shown}");
    }
    let out = exec(&store, "RETURN size(reduce(s = 'x', i IN range(1, 10) | s + s))").unwrap();
    assert_eq!(out.rows, vec![vec![Value::Int(1024)]]);
}

#[test]
fn time_budget_reaches_inside_expressions() {
    let store = MemStore::new();
    let opts = ExecOptions {
        limits: Limits {
            timeout: Some(Duration::from_millis(50)),
            max_rows: None,
            ..Limits::default()
        },
        ..ExecOptions::default()
    };
    for text in [
        "RETURN [x IN range(1, 5000) | size([y IN range(1, 5000) WHERE y > x])]",
        "RETURN reduce(n = 0, x IN range(1, 5000) | n + reduce(m = 0, y IN range(1, 5000) | m + y))",
        "RETURN any(x IN range(1, 5000) WHERE any(y IN range(1, 5000) WHERE x < 0))",
    ] {
        let err = exec_with(&store, text, &opts).unwrap_err();
        assert!(matches!(err, QueryError::TimeLimit { millis: 50 }), "{text}: {err:?}");
    }
}
