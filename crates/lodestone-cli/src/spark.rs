//! `lode spark`: the same queries on Apache Spark.
//!
//! The database is exported as two JSON Lines tables with a schema file
//! (`nodes.jsonl`, `edges.jsonl`, `schema.json`; see `lodestone::spark::Catalog` for
//! the columns); the Python runner embedded below converts them to Parquet on first
//! use, registers them as views, runs the compiled SQL and prints rows as JSON,
//! which are decoded back into the engine's values and rendered like any result.

use crate::app::{Session, stdout_render_options};
use crate::format::render;
use crate::report::{CliError, CliResult};
use clap::Args;
use lodestone::spark::{Catalog, Cell, PropColumn, PropType, RawCell, SparkError, SparkQuery, prop_cells};
use lodestone::{Database, NodeId, Params, Value};
use serde_json::{Value as Json, json};
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The Python program that runs SQL on Spark (given on the command line with `-c`).
pub const RUNNER: &str = include_str!("../spark/lode_spark.py");

/// Version of the table layout written in `schema.json`.
pub const LAYOUT_VERSION: u64 = 2;

/// Options of `lode spark`.
#[derive(Debug, Args)]
pub struct SparkArgs {
    /// The read-only query, or a question such as `who funds Round Top`.
    pub text: String,
    /// Directory of the exported tables (exported from the database on first use).
    #[arg(long, value_name = "DIR")]
    pub tables: PathBuf,
    /// Export the database's tables to --tables first, replacing what is there.
    #[arg(long)]
    pub export: bool,
    /// Spark master URL, e.g. spark://host:7077 [default: local[*]].
    #[arg(long, value_name = "URL")]
    pub master: Option<String>,
    /// Print the Spark SQL the query compiles to instead of running it.
    #[arg(long)]
    pub sql: bool,
    /// Time the query: run it this many times embedded and on Spark (one session) and
    /// print the median times on standard error.
    #[arg(long, value_name = "N")]
    pub repeat: Option<usize>,
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSummary {
    /// Rows of the node table.
    pub nodes: u64,
    /// Rows of the edge table.
    pub edges: u64,
}

fn io_err(what: &str, path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Data(format!("cannot {what} {}: {e}", path.display()))
}

fn cell_json(c: &Cell, out: &mut String) {
    match c {
        Cell::Null => out.push_str("null"),
        Cell::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Cell::Int(i) => out.push_str(&i.to_string()),
        Cell::Float(f) => out.push_str(&serde_json::Number::from_f64(*f).map_or("null".into(), |n| n.to_string())),
        Cell::Text(s) => out.push_str(&Json::String(s.clone()).to_string()),
        Cell::Decimal(d) | Cell::Json(d) => out.push_str(d),
    }
}

fn write_row(out: &mut String, names: &[(String, String)], cells: &[Cell]) {
    out.push('{');
    let mut first = true;
    for ((name, _), c) in names.iter().zip(cells) {
        if *c == Cell::Null {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
        cell_json(c, out);
    }
    out.push_str("}\n");
}

/// An element's citations as the `cites` column holds them (null when it has none).
fn cites_cell(citations: &[lodestone::Citation]) -> Cell {
    if citations.is_empty() {
        return Cell::Null;
    }
    let items: Vec<Json> = citations
        .iter()
        .map(|c| json!({"source": c.source, "line": c.line, "note": c.note}))
        .collect();
    Cell::Json(Json::Array(items).to_string())
}

fn prop_row(cells: &mut Vec<Cell>, props: &BTreeMap<String, PropColumn>, values: &lodestone::Props) {
    let mut sorted: Vec<(&String, &PropColumn)> = props.iter().collect();
    sorted.sort_by_key(|(_, c)| c.column[1..].parse::<usize>().unwrap_or(usize::MAX));
    for (key, col) in sorted {
        let v = values.get(key).cloned().unwrap_or(Value::Null);
        cells.extend(prop_cells(col.ty, &v));
    }
}

fn catalog_json(props: &BTreeMap<String, PropColumn>) -> Json {
    let map: serde_json::Map<String, Json> = props
        .iter()
        .map(|(k, c)| (k.clone(), json!({"column": c.column, "type": c.ty.name()})))
        .collect();
    Json::Object(map)
}

fn columns_json(cols: &[(String, String)]) -> Json {
    Json::Array(cols.iter().map(|(n, t)| json!({"name": n, "type": t})).collect())
}

fn replace_file(path: &Path, text: &str) -> CliResult<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, text).map_err(|e| io_err("write", &tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| io_err("replace", path, e))
}

/// Writes a table file through a temporary beside it, renamed when complete.
struct TableFile {
    path: PathBuf,
    tmp: PathBuf,
    out: std::io::BufWriter<fs::File>,
    line: String,
}

impl TableFile {
    fn create(path: PathBuf) -> CliResult<TableFile> {
        let tmp = path.with_extension("tmp");
        let file = fs::File::create(&tmp).map_err(|e| io_err("create", &tmp, e))?;
        Ok(TableFile {
            path,
            tmp,
            out: std::io::BufWriter::with_capacity(1 << 20, file),
            line: String::new(),
        })
    }

    fn row(&mut self, names: &[(String, String)], cells: &[Cell]) -> CliResult<()> {
        self.line.clear();
        write_row(&mut self.line, names, cells);
        self.out
            .write_all(self.line.as_bytes())
            .map_err(|e| io_err("write", &self.tmp, e))
    }

    fn finish(self) -> CliResult<()> {
        let file = self
            .out
            .into_inner()
            .map_err(|e| io_err("write", &self.tmp, e.error()))?;
        file.sync_all().map_err(|e| io_err("write", &self.tmp, e))?;
        fs::rename(&self.tmp, &self.path).map_err(|e| io_err("replace", &self.path, e))
    }
}

/// Exports the database as the node and edge tables Spark reads, into `dir`. Two
/// passes over one read snapshot: the first learns each property's type, the second
/// writes the rows as it reads them, so memory stays flat in the graph's size.
pub fn export_tables(db: &Database, dir: &Path) -> CliResult<TableSummary> {
    fs::create_dir_all(dir).map_err(|e| io_err("create", dir, e))?;
    let graph = db.read()?;
    let node_ids = graph.all_nodes()?;
    let edge_ids = graph.all_edges()?;
    let mut catalog = Catalog::default();
    for id in &node_ids {
        if let Some(rec) = graph.node(*id)? {
            for (k, v) in &rec.props {
                catalog.observe(true, k, v);
            }
        }
    }
    for id in &edge_ids {
        if let Some(rec) = graph.edge(*id)? {
            for (k, v) in &rec.props {
                catalog.observe(false, k, v);
            }
        }
    }
    let mut names: HashMap<NodeId, Vec<String>> = HashMap::new();
    for (key, id) in graph.name_keys()? {
        names.entry(id).or_default().push(key);
    }
    let node_cols = catalog.node_columns();
    let mut file = TableFile::create(dir.join("nodes.jsonl"))?;
    let mut nodes = 0u64;
    for id in &node_ids {
        let Some(rec) = graph.node(*id)? else { continue };
        let mut keys = names.remove(id).unwrap_or_default();
        keys.sort();
        keys.dedup();
        let labels: Vec<Json> = rec.labels.iter().map(|l| Json::String(l.clone())).collect();
        let keys: Vec<Json> = keys.into_iter().map(Json::String).collect();
        let mut cells = vec![
            Cell::Int(id.0 as i64),
            Cell::Json(Json::Array(labels).to_string()),
            Cell::Json(Json::Array(keys).to_string()),
            cites_cell(&rec.citations),
        ];
        prop_row(&mut cells, &catalog.node_props, &rec.props);
        file.row(&node_cols, &cells)?;
        nodes += 1;
    }
    file.finish()?;
    let edge_cols = catalog.edge_columns();
    let mut file = TableFile::create(dir.join("edges.jsonl"))?;
    let mut edges = 0u64;
    for id in &edge_ids {
        let Some(rec) = graph.edge(*id)? else { continue };
        let mut cells = vec![
            Cell::Int(id.0 as i64),
            Cell::Text(rec.rel_type.clone()),
            Cell::Int(rec.start.0 as i64),
            Cell::Int(rec.end.0 as i64),
            cites_cell(&rec.citations),
        ];
        prop_row(&mut cells, &catalog.edge_props, &rec.props);
        file.row(&edge_cols, &cells)?;
        edges += 1;
    }
    file.finish()?;
    let schema = json!({
        "version": LAYOUT_VERSION,
        "nodes": columns_json(&node_cols),
        "edges": columns_json(&edge_cols),
        "node_props": catalog_json(&catalog.node_props),
        "edge_props": catalog_json(&catalog.edge_props),
    });
    let pretty = serde_json::to_string_pretty(&schema).map_err(|e| CliError::Data(e.to_string()))?;
    replace_file(&dir.join("schema.json"), &pretty)?;
    Ok(TableSummary { nodes, edges })
}

fn props_from_json(v: &Json) -> CliResult<BTreeMap<String, PropColumn>> {
    let bad = || CliError::Data("schema.json: malformed property list".into());
    let mut out = BTreeMap::new();
    for (k, c) in v.as_object().ok_or_else(bad)? {
        let column = c.get("column").and_then(Json::as_str).ok_or_else(bad)?.to_string();
        let ty = c
            .get("type")
            .and_then(Json::as_str)
            .and_then(PropType::from_name)
            .ok_or_else(bad)?;
        out.insert(k.clone(), PropColumn { column, ty });
    }
    Ok(out)
}

/// Reads the catalog of tables exported to `dir`.
pub fn read_catalog(dir: &Path) -> CliResult<Catalog> {
    let path = dir.join("schema.json");
    let text = fs::read_to_string(&path).map_err(|e| io_err("read", &path, e))?;
    let v: Json = serde_json::from_str(&text).map_err(|e| io_err("parse", &path, e))?;
    if v.get("version").and_then(Json::as_u64) != Some(LAYOUT_VERSION) {
        return Err(CliError::Data(format!(
            "{}: tables of another layout version; export them again with --export",
            path.display()
        )));
    }
    Ok(Catalog {
        node_props: props_from_json(v.get("node_props").unwrap_or(&Json::Null))?,
        edge_props: props_from_json(v.get("edge_props").unwrap_or(&Json::Null))?,
    })
}

/// The Python interpreter: `$LODE_PYTHON` or `python3`.
pub fn python() -> String {
    std::env::var("LODE_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Whether pyspark and Java are installed; the error says what is missing.
pub fn spark_available() -> Result<(), String> {
    let succeeds = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let py = python();
    if !succeeds(&py, &["-c", "import pyspark"]) {
        return Err(format!(
            "`{py} -c \"import pyspark\"` failed: install it with `pip install pyspark`"
        ));
    }
    if !succeeds("java", &["-version"]) {
        return Err("java was not found: Spark needs Java 17 or later".into());
    }
    Ok(())
}

/// The rows of one query run on Spark, with the time of each run in seconds.
#[derive(Debug, Clone)]
pub struct SparkRows {
    /// Rows of SQL cells.
    pub rows: Vec<Vec<RawCell>>,
    /// Seconds per run.
    pub seconds: Vec<f64>,
}

/// How a batch runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    /// Spark master URL; `local[*]` when `None`.
    pub master: Option<String>,
    /// Runs per statement (each is timed).
    pub repeat: usize,
    /// Whether the tables are cached in memory once read.
    pub cache: bool,
    /// Whether the tables are converted to Parquet (kept beside them) and read from
    /// there; otherwise the JSON Lines files are read directly.
    pub parquet: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            master: None,
            repeat: 1,
            cache: true,
            parquet: true,
        }
    }
}

/// One statement of a batch and, when it differs from the batch's, its tables.
#[derive(Debug, Clone)]
pub struct SparkJob {
    /// The SQL.
    pub sql: String,
    /// The tables directory it reads; `None` for the batch's.
    pub tables: Option<PathBuf>,
}

/// Runs SQL statements in one Spark session (one JVM start) over the tables in `dir`
/// (or each job's own). One result per statement: its rows, or Spark's error message.
pub fn run_batch(
    dir: Option<&Path>,
    jobs: &[SparkJob],
    options: &BatchOptions,
) -> CliResult<Vec<Result<SparkRows, String>>> {
    let queries: Vec<Json> = jobs
        .iter()
        .map(|j| match &j.tables {
            Some(t) => json!({"sql": j.sql, "tables": t.to_string_lossy()}),
            None => Json::String(j.sql.clone()),
        })
        .collect();
    let request = json!({
        "tables": dir.map(|d| d.to_string_lossy().to_string()),
        "master": options.master.as_deref().unwrap_or("local[*]"),
        "queries": queries,
        "repeat": options.repeat.max(1),
        "cache": options.cache,
        "parquet": options.parquet,
    });
    let py = python();
    let mut child = Command::new(&py)
        .args(["-c", RUNNER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| CliError::Data(format!("cannot start {py}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(request.to_string().as_bytes())
            .map_err(|e| CliError::Data(format!("cannot talk to the Spark runner: {e}")))?;
    }
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| CliError::Data("the Spark runner has no output".into()))?;
    // Drain standard error on a thread so a chatty JVM never blocks the runner.
    let stderr = child.stderr.take();
    let err_thread = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut e) = stderr {
            let _ = std::io::Read::read_to_string(&mut e, &mut text);
        }
        text
    });
    let mut results = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| CliError::Data(format!("cannot read the Spark runner's output: {e}")))?;
        let Ok(v) = serde_json::from_str::<Json>(&line) else {
            continue;
        };
        if v.get("ready").is_some() {
            continue;
        }
        if v.get("ok").and_then(Json::as_bool) == Some(true) {
            let rows = v
                .get("rows")
                .and_then(Json::as_array)
                .map(|rows| {
                    rows.iter()
                        .map(|r| {
                            r.as_array()
                                .map(|c| c.iter().map(RawCell::from_json).collect())
                                .unwrap_or_default()
                        })
                        .collect()
                })
                .unwrap_or_default();
            let seconds = v
                .get("seconds")
                .and_then(Json::as_array)
                .map(|s| s.iter().filter_map(Json::as_f64).collect())
                .unwrap_or_default();
            results.push(Ok(SparkRows { rows, seconds }));
        } else {
            let msg = v.get("error").and_then(Json::as_str).unwrap_or("failed").to_string();
            results.push(Err(msg));
        }
    }
    let status = child
        .wait()
        .map_err(|e| CliError::Data(format!("the Spark runner failed: {e}")))?;
    let err_text = err_thread.join().unwrap_or_default();
    if results.len() != jobs.len() {
        let tail: Vec<&str> = err_text.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(CliError::Data(format!(
            "the Spark runner stopped ({status}) after {} of {} queries:\n{}",
            results.len(),
            jobs.len(),
            tail.join("\n")
        )));
    }
    Ok(results)
}

fn spark_error(e: SparkError, text: &str) -> CliError {
    match e {
        SparkError::Query(q) => CliError::Data(q.render(text)),
        SparkError::Unsupported { what, span: Some(span) } => CliError::Data(
            lodestone::QueryError::Unsupported {
                what: format!("{what} (on Spark)"),
                span: Some(span),
            }
            .render(text),
        ),
        other => CliError::Data(other.to_string()),
    }
}

/// Compiles a statement against the database's planner and the tables' catalog.
pub fn compile(db: &Database, dir: &Path, text: &str, params: &Params) -> CliResult<SparkQuery> {
    let catalog = read_catalog(dir)?;
    lodestone::spark::compile(db, text, params, &catalog).map_err(|e| spark_error(e, text))
}

/// Median and first of some run times, in words.
pub fn timing_text(seconds: &[f64]) -> String {
    let mut sorted = seconds.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let first = seconds.first().copied().unwrap_or(0.0);
    format!(
        "median {:.1} ms over {} runs (first {:.1} ms)",
        median * 1000.0,
        seconds.len(),
        first * 1000.0
    )
}

/// `lode spark`.
pub fn spark_cmd(session: &Session, args: &SparkArgs) -> CliResult<()> {
    if args.export || !args.tables.join("schema.json").is_file() {
        let s = export_tables(&session.db, &args.tables)?;
        eprintln!(
            "Exported {} nodes and {} relationships to {}.",
            s.nodes,
            s.edges,
            args.tables.display()
        );
    }
    let query = compile(&session.db, &args.tables, &args.text, &session.options.params)?;
    if args.sql {
        println!("{}", query.sql);
        return Ok(());
    }
    spark_available().map_err(CliError::Data)?;
    let job = SparkJob {
        sql: query.sql.clone(),
        tables: None,
    };
    let repeat = args.repeat.unwrap_or(1).max(1);
    let options = BatchOptions {
        master: args.master.clone(),
        repeat,
        ..BatchOptions::default()
    };
    let mut embedded = Vec::new();
    if args.repeat.is_some() {
        for _ in 0..repeat {
            let t0 = std::time::Instant::now();
            session.db.query_with(&args.text, &session.options)?;
            embedded.push(t0.elapsed().as_secs_f64());
        }
    }
    let mut results = run_batch(Some(&args.tables), &[job], &options)?;
    let rows = match results.pop() {
        Some(Ok(r)) => r,
        Some(Err(msg)) => return Err(CliError::Data(format!("Spark: {msg}"))),
        None => return Err(CliError::Data("Spark returned nothing".into())),
    };
    if args.repeat.is_some() {
        eprintln!("embedded: {}", timing_text(&embedded));
        eprintln!("spark:    {}", timing_text(&rows.seconds));
    }
    let out = query.finish(&rows.rows).map_err(|e| CliError::Data(e.to_string()))?;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(render(&out, session.format, &stdout_render_options()).as_bytes());
    let _ = stdout.flush();
    Ok(())
}
