//! The same queries on Apache Spark: every read query of the data-driven suite
//! (tests/cases/**/*.test) that the Spark compiler accepts returns the same rows on
//! Spark as in the embedded engine, and so does the benchmark workload on the
//! synthetic 100K-node graph (benches/out/db-100000 when the harness has built it,
//! else generated with `lodestone-gen` and imported under target/spark-tables).
//!
//! All queries run in one Spark session. The test is skipped with a message when
//! `python3 -c "import pyspark"` fails or Java is missing (`LODE_PYTHON` picks the
//! interpreter). Rows are compared in order when the record is `query` and the query
//! ends in ORDER BY, as multisets otherwise; a query that fails in both engines counts
//! as agreeing, one that fails in only one is a mismatch. `LODE_SPARK_FILTER=text`
//! keeps only the test files whose path contains `text` (and skips the 100K graph).

use lodestone::spark::SparkQuery;
use lodestone::{Database, ExecOptions, Value};
use lodestone_cli::spark::{BatchOptions, SparkJob, compile, export_tables, run_batch, spark_available};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[path = "support/test_file.rs"]
mod test_file;
use test_file::{Record, parse_file};

#[path = "../benches/support/mod.rs"]
mod support;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_in(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The 100K-node benchmark database and its data directory: the harness's when it
/// has been run (benches/out), else one generated with `lodestone-gen` and imported
/// under target/spark-tables the first time.
fn benchmark_graph() -> (PathBuf, PathBuf) {
    let db = root().join("benches/out/db-100000/lodestone");
    let data = root().join("benches/out/data-100000");
    if db.exists() && data.join("params.json").is_file() {
        return (db, data);
    }
    let base = root().join("target/spark-tables");
    let (db, data) = (base.join("gen-db-100000"), base.join("gen-data-100000"));
    if db.join("COMMIT").is_file() && data.join("params.json").is_file() {
        return (db, data);
    }
    let _ = std::fs::remove_dir_all(&db);
    let generated = std::process::Command::new(env!("CARGO_BIN_EXE_lodestone-gen"))
        .args(["--nodes", "100000", "--seed", "42", "--out"])
        .arg(&data)
        .status()
        .expect("run lodestone-gen");
    assert!(generated.success(), "lodestone-gen failed: {generated}");
    let started = Instant::now();
    let store = Database::open(&db).expect("create the 100K database");
    support::import_generated(&store, &data).expect("import the 100K graph");
    store.flush().expect("flush the 100K graph");
    println!("generated and imported the 100K graph in {:.1?}", started.elapsed());
    (db, data)
}

/// A query accepted by the compiler, with the embedded engine's answer.
struct Case {
    label: String,
    text: String,
    query: SparkQuery,
    unordered: bool,
    tables: PathBuf,
    embedded: Result<Vec<Vec<Value>>, String>,
}

#[derive(Default)]
struct Tally {
    accepted: usize,
    refused: usize,
    reasons: BTreeMap<String, usize>,
}

impl Tally {
    fn refuse(&mut self, message: &str) {
        self.refused += 1;
        let reason = message.lines().next().unwrap_or("").to_string();
        let short: String = reason.chars().take(90).collect();
        *self.reasons.entry(short).or_default() += 1;
    }
}

/// Exports the database's current state, reusing an earlier directory with the same content.
struct Exports {
    dir: PathBuf,
    by_content: HashMap<u64, PathBuf>,
    n: usize,
}

impl Exports {
    fn export(&mut self, db: &Database) -> PathBuf {
        use std::hash::{Hash, Hasher};
        let scratch = self.dir.join(format!("state-{}", self.n));
        self.n += 1;
        let _ = std::fs::remove_dir_all(&scratch);
        export_tables(db, &scratch).expect("export the tables");
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for f in ["nodes.jsonl", "edges.jsonl", "schema.json"] {
            std::fs::read(scratch.join(f)).expect("read an export").hash(&mut h);
        }
        let key = h.finish();
        if let Some(existing) = self.by_content.get(&key) {
            let _ = std::fs::remove_dir_all(&scratch);
            return existing.clone();
        }
        self.by_content.insert(key, scratch.clone());
        scratch
    }
}

fn load_dataset(db: &Database) {
    for f in files_in(&root().join("data"), "lq") {
        let text = std::fs::read_to_string(&f).expect("read the dataset");
        db.execute_script(&text).expect("load the dataset");
    }
}

fn embedded(db: &Database, text: &str, opts: &ExecOptions) -> Result<Vec<Vec<Value>>, String> {
    db.query_with(text, opts).map(|o| o.rows).map_err(|e| e.to_string())
}

fn replay(path: &Path, exports: &mut Exports, tally: &mut Tally, cases: &mut Vec<Case>) {
    let text = std::fs::read_to_string(path).expect("read a test file");
    let (load_kb, records) = parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let db = Database::in_memory();
    if load_kb {
        load_dataset(&db);
    }
    let mut opts = ExecOptions::default();
    let mut tables: Option<PathBuf> = None;
    let name = path
        .strip_prefix(root().join("tests/cases"))
        .unwrap_or(path)
        .display()
        .to_string();
    for r in records {
        match r {
            Record::Ok { text, .. } | Record::Error { text, .. } => {
                let _ = db.execute_script_with(&text, &opts);
                tables = None;
            }
            Record::Param { name, expr, .. } => {
                if let Ok(out) = db.query_with(&format!("RETURN {expr} AS v"), &opts) {
                    let v = out.rows.first().and_then(|r| r.first()).cloned().unwrap_or(Value::Null);
                    opts.params.insert(name, v);
                }
            }
            Record::Query {
                text, unordered, line, ..
            } => {
                let dir = match &tables {
                    Some(d) => d.clone(),
                    None => {
                        let d = exports.export(&db);
                        tables = Some(d.clone());
                        d
                    }
                };
                match compile(&db, &dir, &text, &opts.params) {
                    Ok(query) => {
                        tally.accepted += 1;
                        cases.push(Case {
                            label: format!("{name}:{line}"),
                            embedded: embedded(&db, &text, &opts),
                            text,
                            query,
                            unordered,
                            tables: dir,
                        });
                    }
                    Err(e) => {
                        tally.refuse(&e.to_string());
                        // A refused query may write: run it and export again before the next one.
                        let _ = db.query_with(&text, &opts);
                        tables = None;
                    }
                }
            }
        }
    }
}

/// The benchmark workload on the synthetic graph, with literal ids from its params.json;
/// `name_of` gives a company's name for the `who funds` question.
fn bench_queries(data: &Path, name_of: impl Fn(i64) -> Option<String>) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(data.join("params.json")) else {
        return Vec::new();
    };
    let Ok(p) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    let q = &p["queries"];
    let first = |k: &str| q[k].as_array().and_then(|a| a.first()).cloned().unwrap_or_default();
    let id = |v: &serde_json::Value| v["id"].as_i64().unwrap_or(0);
    let label = |v: &serde_json::Value| v["label"].as_str().unwrap_or("Company").to_string();
    let mut out = Vec::new();
    let hub = first("hop1_hub");
    out.push(format!(
        "MATCH (:Company {{id: {}}})-[:OWNS]->(c:Company) RETURN c.id AS id, c.name AS name",
        id(&hub)
    ));
    if let Some(name) = name_of(id(&first("who_funds_company"))) {
        out.push(format!("who funds '{name}'"));
    }
    for key in ["who_funds_company", "who_funds_deposit"] {
        let t = first(key);
        out.push(format!(
            "MATCH (:{l} {{id: {i}}})<-[:OWNS|DEVELOPS|OPERATES]-(:Company)<-[:FUNDS]-(:Deal)<-[:FUNDS]-(f) \
             RETURN f.name AS name UNION \
             MATCH (:Company {{id: {i}}})<-[:FUNDS]-(:Deal)<-[:FUNDS]-(f) RETURN f.name AS name",
            l = label(&t),
            i = id(&t)
        ));
    }
    out.push(format!(
        "MATCH (:Company {{id: {}}})-[:OWNS*1..4]->(c:Company) RETURN count(DISTINCT c) AS n",
        id(&first("reach_typical"))
    ));
    out.push(format!(
        "MATCH (:Company {{id: {}}})-[:OWNS*1..3]->(c:Company) RETURN c.name AS name, count(*) AS walks ORDER BY walks DESC, name LIMIT 20",
        id(&hub)
    ));
    let sp = first("shortest_path");
    out.push(format!(
        "MATCH p = shortestPath((:{} {{id: {}}})-[*..8]-(:{} {{id: {}}})) RETURN length(p) AS n",
        label(&sp["a"]),
        id(&sp["a"]),
        label(&sp["b"]),
        id(&sp["b"])
    ));
    out.push(
        "MATCH (f)-[r:FUNDS]->() WHERE f:Government OR f:Agency \
         RETURN f.name AS name, sum(r.amount) AS total ORDER BY total DESC, name LIMIT 10"
            .into(),
    );
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a directory");
    for entry in std::fs::read_dir(from).expect("list a directory").flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy a file");
        }
    }
}

fn rendered(rows: &[Vec<Value>]) -> Vec<String> {
    rows.iter()
        .map(|r| r.iter().map(Value::to_string).collect::<Vec<_>>().join(" | "))
        .collect()
}

#[test]
fn spark_returns_the_embedded_rows() {
    if let Err(why) = spark_available() {
        println!("SKIP spark: {why}");
        return;
    }
    let started = Instant::now();
    let work = root().join("target/spark-test");
    let _ = std::fs::remove_dir_all(&work);
    let mut exports = Exports {
        dir: work.clone(),
        by_content: HashMap::new(),
        n: 0,
    };
    let mut tally = Tally::default();
    let mut cases = Vec::new();
    // LODE_SPARK_FILTER=text keeps only the test files whose path contains it.
    let filter = std::env::var("LODE_SPARK_FILTER").unwrap_or_default();
    for sub in ["core", "kb"] {
        for f in files_in(&root().join("tests/cases").join(sub), "test") {
            if f.to_string_lossy().contains(filter.as_str()) {
                replay(&f, &mut exports, &mut tally, &mut cases);
            }
        }
    }
    let suite_cases = cases.len();

    // The synthetic graph: its tables are exported once and kept between runs. A
    // clone without benches/out generates and imports it here.
    let (bench_db, bench_data) = if filter.is_empty() {
        benchmark_graph()
    } else {
        (PathBuf::new(), PathBuf::new())
    };
    let mut bench_refused = Vec::new();
    if bench_db.exists() && filter.is_empty() {
        // Another process (a benchmark) may hold the database: read a copy then.
        let db = Database::open_read_only(&bench_db).unwrap_or_else(|_| {
            let copy = root().join("target/spark-tables/db-100000-copy");
            if !copy.join("COMMIT").exists() {
                let _ = std::fs::remove_dir_all(&copy);
                copy_dir(&bench_db, &copy);
            }
            Database::open_read_only(&copy).expect("open a copy of the 100K benchmark database")
        });
        // Tables kept from an earlier run are reused only when they were exported from
        // this database in its current state (its path and commit record), in the
        // current table layout.
        let tables = root().join("target/spark-tables/bench-100000");
        let source = format!(
            "{}\n{:?}\nlayout {}",
            bench_db.display(),
            std::fs::read(bench_db.join("COMMIT")).ok(),
            lodestone_cli::spark::LAYOUT_VERSION
        );
        let marker = tables.join("source.txt");
        if !tables.join("schema.json").is_file() || std::fs::read_to_string(&marker).ok().as_deref() != Some(&source) {
            let _ = std::fs::remove_dir_all(&tables);
            export_tables(&db, &tables).expect("export the 100K graph");
            std::fs::write(&marker, &source).expect("write the export's source marker");
        }
        let opts = ExecOptions::default();
        let name_of = |id: i64| {
            db.query_with(&format!("MATCH (c:Company {{id: {id}}}) RETURN c.name AS n"), &opts)
                .ok()
                .and_then(|o| {
                    o.rows
                        .first()
                        .and_then(|r| r.first())
                        .and_then(|v| v.as_str().map(str::to_string))
                })
        };
        let texts = bench_queries(&bench_data, name_of);
        for text in texts {
            match compile(&db, &tables, &text, &opts.params) {
                Ok(query) => cases.push(Case {
                    label: "bench-100000".into(),
                    embedded: embedded(&db, &text, &opts),
                    text,
                    query,
                    unordered: false,
                    tables: tables.clone(),
                }),
                Err(e) => bench_refused.push(format!("{text}\n  {e}")),
            }
        }
    } else {
        println!("note: {} is missing; the 100K workload is skipped", bench_db.display());
    }
    let prepared = started.elapsed();

    let jobs: Vec<SparkJob> = cases
        .iter()
        .map(|c| SparkJob {
            sql: c.query.sql.clone(),
            tables: Some(c.tables.clone()),
        })
        .collect();
    let options = BatchOptions {
        cache: false,
        ..BatchOptions::default()
    };
    let results = run_batch(None, &jobs, &options).expect("run the batch on Spark");

    let mut mismatches = Vec::new();
    let mut both_failed = 0;
    for (case, result) in cases.iter().zip(&results) {
        let spark = match result {
            Ok(rows) => case.query.finish(&rows.rows).map(|o| o.rows).map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        match (&case.embedded, &spark) {
            (Ok(a), Ok(b)) => {
                let (mut x, mut y) = (rendered(a), rendered(b));
                let ordered = !case.unordered && case.query.ordered;
                if !ordered {
                    x.sort();
                    y.sort();
                }
                if x != y {
                    mismatches.push(format!(
                        "{} ({}):\n{}\n  embedded:\n    {}\n  spark:\n    {}",
                        case.label,
                        if ordered { "ordered" } else { "unordered" },
                        case.text,
                        x.join("\n    "),
                        y.join("\n    ")
                    ));
                }
            }
            (Err(_), Err(_)) => both_failed += 1,
            (a, b) => mismatches.push(format!(
                "{}:\n{}\n  embedded: {:?}\n  spark: {:?}",
                case.label,
                case.text,
                a.as_ref().map(|r| rendered(r)),
                b.as_ref().map(|r| rendered(r))
            )),
        }
    }
    println!(
        "spark: suite queries accepted {} / refused {}; benchmark queries compared {} (refused {}); \
         compared {} in all, {} failed in both engines, {} mismatches; {} table states; \
         prepared in {:.1}s, total {:.1}s",
        tally.accepted,
        tally.refused,
        cases.len() - suite_cases,
        bench_refused.len(),
        cases.len(),
        both_failed,
        mismatches.len(),
        exports.by_content.len(),
        prepared.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    println!("refusals by reason:");
    let mut reasons: Vec<(&String, &usize)> = tally.reasons.iter().collect();
    reasons.sort_by(|a, b| b.1.cmp(a.1));
    for (reason, n) in reasons {
        println!("  {n:4}  {reason}");
    }
    assert!(
        mismatches.is_empty() && bench_refused.is_empty(),
        "{} queries differ between Spark and the embedded engine:\n\n{}\n\nbenchmark queries refused:\n{}",
        mismatches.len(),
        mismatches.join("\n\n"),
        bench_refused.join("\n")
    );
}
