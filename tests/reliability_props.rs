//! Property tests that mirror the cargo-fuzz targets, so their properties run in
//! the normal suite:
//!
//! - parser: token soup and mutated valid statements parse to a statement or an
//!   error (never a panic); whatever parses also runs (under small limits) to a
//!   result or an error, and the error renders;
//! - execution: random well-formed pattern queries on random small graphs give
//!   exactly the rows a brute-force evaluator gives (see `reliability/naive.rs`);
//! - regressions: inputs the fuzzers found, replayed.
//!
//! `PROPTEST_CASES` sets the number of cases (default 256 each, more under `LODESTONE_SOAK`).

mod reliability;

use lodestone::{Database, ExecOptions, Limits};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::time::Duration;

fn cases(default: u32) -> u32 {
    reliability::count_from_env("PROPTEST_CASES", u64::from(default), 20) as u32
}

/// Runs a property on a thread with a generous stack (generation and shrinking recurse).
fn run<S: Strategy + Send + 'static>(strategy: S, n: u32, test: fn(&S::Value) -> Result<(), TestCaseError>)
where
    S::Value: Send,
{
    let worker = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let config = Config {
                cases: n,
                failure_persistence: None,
                ..Config::default()
            };
            TestRunner::new(config)
                .run(&strategy, |v| test(&v))
                .map_err(|e| e.to_string())
        })
        .expect("spawn");
    if let Err(message) = worker.join().expect("property thread") {
        panic!("{message}");
    }
}

// ---------------------------------------------------------------- parser

const TOKENS: &[&str] = &[
    "MATCH",
    "OPTIONAL",
    "CREATE",
    "MERGE",
    "SET",
    "REMOVE",
    "DELETE",
    "DETACH",
    "WITH",
    "UNWIND",
    "AS",
    "RETURN",
    "WHERE",
    "ORDER BY",
    "SKIP",
    "LIMIT",
    "UNION",
    "ALL",
    "DISTINCT",
    "CITE",
    "SOURCE",
    "LINE",
    "NOTE",
    "AS OF",
    "EXPLAIN",
    "PROFILE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "AND",
    "OR",
    "XOR",
    "NOT",
    "IN",
    "IS NULL",
    "STARTS WITH",
    "CONTAINS",
    "NODE KIND",
    "EDGE KIND",
    "FAMILY",
    "FROM",
    "TO",
    "DROP",
    "INDEX ON",
    "SHOW SCHEMA",
    "who funds",
    "who owns",
    "path from",
    "conflicts",
    "sources of",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "-",
    "->",
    "<-",
    "--",
    ":",
    ",",
    ".",
    "..",
    "*",
    "|",
    "=",
    "<>",
    "<",
    ">=",
    "+",
    "/",
    "%",
    " % ",
    "^",
    ";",
    "\n",
    "n",
    "m",
    "r",
    "p",
    "Company",
    "OWNS",
    "FUNDS",
    "name",
    "x",
    "`odd name`",
    "$p",
    "$277M",
    "$1.3B",
    "USD 18M",
    "EUR 4B",
    "15%",
    "@2025-09",
    "@2026-01-30",
    "@1",
    "date('2025-09')",
    "0",
    "1",
    "-1",
    "9223372036854775807",
    "9223372036854775808",
    "1e308",
    "0.5",
    "0x1F",
    "'text'",
    "\"q\"",
    "'unterminated",
    "'\\u00e9'",
    "'\\",
    "//",
    "/*",
    "*/",
    "count(*)",
    "sum(",
    "id(",
    "range(1, 5)",
    "shortestPath(",
    "[x IN l | x]",
    "é",
    "日本",
    "\u{1F600}",
    "\u{0}",
    "\t",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec((0..TOKENS.len(), any::<bool>()), 0..40).prop_map(|picks| {
        let mut s = String::new();
        for (i, space) in picks {
            s.push_str(TOKENS[i]);
            if space {
                s.push(' ');
            }
        }
        s
    })
}

const VALID: &[&str] = &[
    "CREATE (a:Company {name: 'A', v: 1})-[:OWNS {share: 15%}]->(b:Company {name: 'B', v: 2})",
    "MATCH (a)-[r]->(b) RETURN a.name, type(r), b.name ORDER BY a.name",
    "MATCH (a:Company) WHERE a.v > 0 SET a.v = a.v * 2 RETURN a.v",
    "MATCH (a)-[*1..3]-(b) RETURN count(*)",
    "UNWIND range(1, 5) AS i WITH i WHERE i % 2 = 0 RETURN collect(i)",
    "MERGE (c:Company {name: 'C'}) ON CREATE SET c.v = 3 RETURN c",
    "MATCH (n) DETACH DELETE n",
    "RETURN $1.3B + $277M, 15% * 2, @2025-09 < @2026",
    "CREATE NODE KIND Company (name STRING NOT NULL, v INTEGER)",
    "who owns B",
];

fn mutated() -> impl Strategy<Value = String> {
    (
        0..VALID.len(),
        prop::collection::vec((any::<u16>(), 0u8..4, 0..TOKENS.len()), 1..6),
    )
        .prop_map(|(i, edits)| {
            let mut s = VALID[i].to_string();
            for (at, kind, tok) in edits {
                let mut at = usize::from(at) % (s.len() + 1);
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                match kind {
                    0 => s.insert_str(at, TOKENS[tok]),
                    1 => s.truncate(at),
                    2 => {
                        let mut end = (at + 1 + tok % 8).min(s.len());
                        while !s.is_char_boundary(end) {
                            end -= 1;
                        }
                        s.replace_range(at..end, "");
                    }
                    _ => {
                        let (a, b) = s.split_at(at);
                        s = format!("{b}{a}");
                    }
                }
            }
            s
        })
}

fn small_limits() -> ExecOptions {
    ExecOptions {
        limits: Limits {
            timeout: Some(Duration::from_millis(250)),
            max_rows: Some(10_000),
            max_hops: 4,
        },
        ..ExecOptions::default()
    }
}

/// Parses `text`; if it parses, runs it on a small graph. Neither may panic, and
/// every error must render with its caret.
#[allow(clippy::ptr_arg)]
fn parse_and_run(text: &String) -> Result<(), TestCaseError> {
    let parsed = lodestone_query::parse::parse_script(text);
    if let Err(e) = &parsed {
        let shown = e.render(text);
        prop_assert!(!shown.is_empty());
    }
    let db = Database::in_memory();
    db.execute_script("CREATE (a:Company {name: 'A', v: 1})-[:OWNS]->(b:Company {name: 'B', v: 2})-[:OWNS]->(a)")
        .map_err(|e| TestCaseError::fail(e.render()))?;
    if parsed.is_ok() {
        let before = db.check().map_err(|e| TestCaseError::fail(e.to_string()))?;
        if let Err(e) = db.execute_script_with(text, &small_limits()) {
            prop_assert!(!e.render().is_empty());
        }
        let after = db.check().map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(after.problems.is_empty(), "{:?} after {text}", after.problems);
        prop_assert!(before.problems.is_empty());
    }
    Ok(())
}

#[test]
fn token_soup_parses_or_fails_cleanly() {
    run(soup(), cases(512), parse_and_run);
}

#[test]
fn mutated_statements_parse_or_fail_cleanly() {
    run(mutated(), cases(512), parse_and_run);
}

// ---------------------------------------------------------------- execution

// The runner hands each property a reference to the generated value.
#[allow(clippy::ptr_arg)]
fn agrees_with_naive(data: &Vec<u8>) -> Result<(), TestCaseError> {
    reliability::naive::check(data).map(|_| ()).map_err(TestCaseError::fail)
}

#[test]
fn pattern_queries_agree_with_a_naive_evaluator() {
    run(
        prop::collection::vec(any::<u8>(), 0..160),
        cases(1024),
        agrees_with_naive,
    );
}

/// Fixed inputs for the evaluator comparison: the graph shapes most likely to
/// disagree (self-loops, parallel edges, zero-length and undirected variable
/// length, cycles back to the start), as byte strings for `naive::case`.
#[test]
fn naive_evaluator_regressions() {
    let mut failures = Vec::new();
    let mut compared = 0;
    for data in reliability_regressions() {
        match reliability::naive::check(&data) {
            Ok(reliability::naive::Checked::Agree(_)) => compared += 1,
            Ok(reliability::naive::Checked::Skipped) => {}
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(compared > 600, "only {compared} cases were small enough to compare");
}

fn reliability_regressions() -> Vec<Vec<u8>> {
    let mut all: Vec<Vec<u8>> = Vec::new();
    // Every byte value alone and a few repeated patterns, then a fixed-seed sweep.
    for b in 0..=255u8 {
        all.push(vec![b; 96]);
    }
    let mut rng = reliability::Rng::new(0x5eed_1234);
    for _ in 0..512 {
        all.push((0..128).map(|_| rng.next_u64() as u8).collect());
    }
    all
}

#[test]
fn the_evaluator_sees_what_it_should() {
    // The comparison is only worth something if both sides return rows: check on a
    // fixed sweep that most cases produce some, and that some are non-trivial.
    let mut rng = reliability::Rng::new(42);
    let mut nonempty = 0;
    for _ in 0..300 {
        let data: Vec<u8> = (0..128).map(|_| rng.next_u64() as u8).collect();
        let c = reliability::naive::case(&data);
        let (_, n, e) = reliability::naive::load(&c.graph);
        let interesting = match reliability::naive::evaluate(&c.graph, &c.query, &n, &e).as_deref() {
            None | Some([]) => false,
            Some([row]) => row != &vec![Some(0)],
            Some(_) => true,
        };
        nonempty += usize::from(interesting);
    }
    println!("{nonempty} of 300 generated cases have non-trivial answers");
    assert!(nonempty > 75, "only {nonempty} of 300 generated cases have rows");
}
