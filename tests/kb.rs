//! The bundled knowledge base (data/*.lq): it loads cleanly through the library,
//! declares its schema, and every node and relationship cites a seed document at a
//! line that exists. Also checks, from code, the question layer on it: sourced
//! answers, EXPLAIN, and the errors for unknown and ambiguous names.
//!
//! The seed documents are read from `../shared/seeds` relative to the workspace root
//! (override with `LODESTONE_SEEDS`); without them the line checks are skipped with a
//! message, and the file-name checks still run.

use lodestone::{Database, Params, QueryError, Value};
use lodestone_query::ast::{Clause, Statement};
use lodestone_query::parse;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The five seed documents every citation must name.
const SEEDS: [&str; 5] = [
    "000_e819e3ef52d77416.txt",
    "001_c4d8c0f322816db8.txt",
    "002_ec04befc287a69d1.txt",
    "003_2307a99fede2c25b.txt",
    "004_cf42bf0cf5884917.txt",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("data"))
        .expect("data/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "lq"))
        .collect();
    files.sort();
    files
}

/// Whether a statement creates or merges elements (and so must change something).
fn creates(statement: &Statement) -> bool {
    match statement {
        Statement::Query(q) => q
            .first
            .clauses
            .iter()
            .any(|c| matches!(c, Clause::Create { .. } | Clause::Merge { .. })),
        _ => false,
    }
}

/// A fresh in-memory database with the knowledge base loaded. Every statement must
/// succeed, and every creating statement must change something: a `MATCH ... CREATE`
/// whose MATCH finds nothing (a misspelt name, a deal linked before it exists)
/// creates nothing without an error, and would silently drop a fact.
fn load() -> Database {
    let db = Database::in_memory();
    let files = data_files();
    assert!(!files.is_empty(), "data/ holds no .lq files");
    let mut silent = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable data file");
        let outputs = match db.execute_script(&text) {
            Ok(outputs) => outputs,
            Err(e) => panic!("{} does not load cleanly:\n{}", f.display(), e.render()),
        };
        let statements = parse::parse_script(&text).expect("the script parses");
        assert_eq!(statements.len(), outputs.len());
        for ((statement, span), out) in statements.iter().zip(&outputs) {
            if creates(statement) && out.counters.is_empty() {
                let (line, _) = lodestone_query::line_col(&text, span.start);
                let first = text[span.start..span.end].lines().next().unwrap_or("");
                silent.push(format!("{}:{line}: {first}", f.display()));
            }
        }
    }
    assert!(
        silent.is_empty(),
        "statements that changed nothing:\n{}",
        silent.join("\n")
    );
    db
}

/// Lines of each seed document, or `None` (with a message) when they are not available.
fn seed_lines() -> Option<BTreeMap<String, Vec<String>>> {
    let dir = std::env::var_os("LODESTONE_SEEDS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("..").join("shared").join("seeds"));
    let mut out = BTreeMap::new();
    for name in SEEDS {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(text) => {
                out.insert(name.to_string(), text.lines().map(str::to_string).collect());
            }
            Err(_) => {
                println!(
                    "skipping the line checks: seed document {} not found in {}",
                    name,
                    dir.display()
                );
                return None;
            }
        }
    }
    Some(out)
}

#[test]
fn knowledge_base_loads_with_schema_and_valid_citations() {
    let db = load();
    let seeds = seed_lines();
    let read = db.read().expect("read view");

    let schema = read.schema().expect("schema");
    assert!(!schema.is_empty(), "the knowledge base declares no schema");

    let mut problems = Vec::new();
    let mut check = |what: String, citations: &[lodestone::Citation]| {
        let good: Vec<_> = citations
            .iter()
            .filter(|c| SEEDS.contains(&c.source.as_str()))
            .collect();
        if good.is_empty() {
            problems.push(format!("{what}: no citation of a seed document ({citations:?})"));
        }
        for c in citations {
            if !SEEDS.contains(&c.source.as_str()) {
                problems.push(format!("{what}: cites `{}`, which is not a seed document", c.source));
                continue;
            }
            let Some(line) = c.line else {
                problems.push(format!("{what}: citation of {} without a line", c.source));
                continue;
            };
            if let Some(seeds) = &seeds {
                let lines = &seeds[&c.source];
                match lines.get((line as usize).wrapping_sub(1)) {
                    None => problems.push(format!(
                        "{what}: {}:{line} is past the end ({} lines)",
                        c.source,
                        lines.len()
                    )),
                    Some(text) if text.trim().is_empty() => {
                        problems.push(format!("{what}: {}:{line} is a blank line", c.source))
                    }
                    Some(_) => {}
                }
            }
        }
    };

    let nodes = read.all_nodes().expect("nodes");
    assert!(nodes.len() > 100, "only {} nodes loaded", nodes.len());
    let mut labels = BTreeSet::new();
    for id in &nodes {
        let node = read.node(*id).expect("read").expect("node exists");
        labels.extend(node.labels.iter().cloned());
        let name = match node.props.get("name") {
            Some(Value::String(s)) => s.clone(),
            _ => format!("node {id}"),
        };
        check(format!("{} ({})", name, node.labels.join(":")), &node.citations);
    }
    let edges = read.all_edges().expect("edges");
    assert!(edges.len() > 100, "only {} relationships loaded", edges.len());
    let mut types = BTreeSet::new();
    for id in &edges {
        let edge = read.edge(*id).expect("read").expect("edge exists");
        types.insert(edge.rel_type.clone());
        let end_name = |n| {
            read.node(n)
                .ok()
                .flatten()
                .and_then(|r| r.props.get("name").map(Value::to_plain_string))
                .unwrap_or_default()
        };
        check(
            format!("{} -[{}]-> {}", end_name(edge.start), edge.rel_type, end_name(edge.end)),
            &edge.citations,
        );
    }
    assert!(
        problems.is_empty(),
        "{} citation problems:\n{}",
        problems.len(),
        problems.join("\n")
    );

    for label in &labels {
        assert!(
            schema.nodes.contains_key(label),
            "label {label} is used but not declared"
        );
    }
    for t in &types {
        let kind = schema
            .edges
            .get(t)
            .unwrap_or_else(|| panic!("type {t} is used but not declared"));
        assert!(kind.family.is_some(), "edge kind {t} has no family");
    }
}

fn ask(db: &Database, text: &str) -> lodestone::Output {
    db.query(text, &Params::new())
        .unwrap_or_else(|e| panic!("{text}: {}", e.render()))
}

fn column(out: &lodestone::Output, name: &str) -> Vec<Value> {
    let i = out
        .columns
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    out.rows.iter().map(|r| r[i].clone()).collect()
}

#[test]
fn every_question_answer_row_is_sourced() {
    let db = load();
    for q in [
        "who funds Round Top",
        "who funds MP Materials",
        "who owns MP Materials",
        "who supplies Department of Defense",
        "partners of United States",
        "what does Department of Defense fund",
        "what does MP Materials operate",
        "path from Apple to Mountain Pass",
        "conflicts",
    ] {
        let out = ask(&db, q);
        assert!(!out.rows.is_empty(), "{q}: no rows");
        for source in column(&out, "sources") {
            let Value::List(items) = &source else {
                panic!("{q}: sources is {source}")
            };
            assert!(!items.is_empty(), "{q}: a row without sources");
            for item in items {
                let text = item.to_plain_string();
                assert!(
                    SEEDS.iter().any(|s| text.starts_with(&format!("{s}:"))),
                    "{q}: source {text} is not a seed line"
                );
            }
        }
    }
}

#[test]
fn who_funds_round_top_walks_through_the_developer() {
    let db = load();
    let out = ask(&db, "who funds Round Top");
    assert_eq!(
        out.columns,
        [
            "funder",
            "instrument",
            "amount",
            "bound",
            "date",
            "status",
            "via",
            "sources"
        ]
    );
    let via: Vec<String> = column(&out, "via").iter().map(Value::to_plain_string).collect();
    assert!(
        via.contains(
            &"Department of Commerce -[FUNDS grantor]-> Federal grants to USA Rare Earth -[FUNDS grantee]-> \
              USA Rare Earth -[DEVELOPS]-> Round Top"
                .to_string()
        ),
        "{via:#?}"
    );
    assert!(
        via.iter()
            .all(|v| v.ends_with("USA Rare Earth -[DEVELOPS]-> Round Top")),
        "{via:#?}"
    );
}

#[test]
fn explain_shows_the_compiled_pattern_query_and_its_plan() {
    let db = load();
    let out = ask(&db, "EXPLAIN who funds Round Top");
    let plan = out.plan.expect("a plan");
    assert!(plan.contains("question: who funds 'Round Top'"), "{plan}");
    assert!(plan.contains("MATCH (d:Deal)-[fout:FUNDS]->(r)"), "{plan}");
    assert!(plan.contains("OPTIONAL MATCH (f)-[fin:FUNDS]->(d)"), "{plan}");
    assert!(plan.contains("DEVELOPS|OPERATES|OWNS"), "{plan}");
    assert!(plan.contains("plan:"), "{plan}");
    assert!(out.rows.is_empty());
}

#[test]
fn unknown_names_suggest_the_closest() {
    let db = load();
    let err = db
        .query("who funds Round Tp", &Params::new())
        .expect_err("a typo is an error");
    match err.query_error() {
        Some(QueryError::UnknownEntity { name, suggestions, .. }) => {
            assert_eq!(name, "Round Tp");
            assert_eq!(suggestions.first().map(String::as_str), Some("Round Top"));
        }
        other => panic!("expected UnknownEntity, got {other:?}"),
    }
    assert!(err.to_string().contains("did you mean Round Top"), "{err}");
    assert!(err.render().contains("^^^^^^^^"), "{}", err.render());
}

#[test]
fn names_shared_by_two_claims_are_ambiguous() {
    let db = load();
    let err = db
        .query(
            "sources of USA Rare Earth acquisition of Less Common Metals",
            &Params::new(),
        )
        .expect_err("two deal claims share the name");
    match err.query_error() {
        Some(QueryError::AmbiguousEntity { candidates, .. }) => {
            assert_eq!(
                candidates,
                &[
                    "USA Rare Earth acquisition of Less Common Metals (Deal, completed)",
                    "USA Rare Earth acquisition of Less Common Metals (Deal, pending)",
                ]
            );
        }
        other => panic!("expected AmbiguousEntity, got {other:?}"),
    }
}
