//! `lodestone-bench`: Lodestone's runner for the comparison harness (benches/compare).
//!
//! ```text
//! lodestone-bench --data DIR --params DIR/params.json --db PATH [--timeout 60] [--runs 30] [--budget 20]
//! ```
//!
//! The driver process removes `--db`, runs a load process (the CLI importer over
//! `DIR/nodes.csv` and `DIR/edges.csv`, integer ids kept as an indexed `id` property on
//! every label), then query processes that time opening the database and the workload of
//! benches/compare/README.md written in Lodestone's language. It prints one JSON document.
//! A query process that dies marks its current query `crashed`; the driver goes on with
//! the remaining queries in a fresh process.

use lodestone::{Database, Decimal, ExecOptions, Limits, Money, Output, Params, PartialDate, QueryError, Value};
use serde_json::{Value as Json, json};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

#[path = "../support/mod.rs"]
mod support;
use support::{dir_size, loadavg, peak_rss_mb};

/// The workload in run order: (query name, params.json key).
const QUERIES: [(&str, &str); 10] = [
    ("lookup_name", "lookup_name"),
    ("hop1_hub", "hop1_hub"),
    ("hop1_typical", "hop1_typical"),
    ("who_funds_deposit", "who_funds_deposit"),
    ("who_funds_company", "who_funds_company"),
    ("reach_hub", "reach_hub"),
    ("reach_typical", "reach_typical"),
    ("shortest_path", "shortest_path"),
    ("top10_funders", "top10_funders"),
    ("write_mix", "write_mix"),
];

/// Errors of the bench runner.
#[derive(Debug, thiserror::Error)]
enum BenchError {
    /// The command line could not be understood.
    #[error("{0}\nusage: lodestone-bench --data DIR --params FILE --db PATH [--timeout S] [--runs N] [--budget S]")]
    Usage(String),
    /// A file could not be read or a process could not be started.
    #[error("{0}")]
    Io(String),
    /// The params file or a parameter is malformed.
    #[error("{0}")]
    Format(String),
    /// The database failed.
    #[error("{0}")]
    Db(String),
}

/// Parsed command line.
#[derive(Clone)]
struct Args {
    data: PathBuf,
    params: PathBuf,
    db: PathBuf,
    timeout: f64,
    runs: usize,
    budget: f64,
    warmup: usize,
    phase: Option<String>,
    only: Vec<String>,
}

fn parse_args() -> Result<Args, BenchError> {
    let (mut data, mut params, mut db) = (None, None, None);
    let mut args = Args {
        data: PathBuf::new(),
        params: PathBuf::new(),
        db: PathBuf::new(),
        timeout: 60.0,
        runs: 30,
        budget: 20.0,
        warmup: 5,
        phase: None,
        only: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| BenchError::Usage(format!("{arg} needs a value")))?;
        let bad = || BenchError::Usage(format!("bad value for {arg}: {value}"));
        match arg.as_str() {
            "--data" => data = Some(PathBuf::from(&value)),
            "--params" => params = Some(PathBuf::from(&value)),
            "--db" => db = Some(PathBuf::from(&value)),
            "--timeout" => args.timeout = value.parse().map_err(|_| bad())?,
            "--runs" => args.runs = value.parse().map_err(|_| bad())?,
            "--budget" => args.budget = value.parse().map_err(|_| bad())?,
            "--warmup" => args.warmup = value.parse().map_err(|_| bad())?,
            "--phase" => args.phase = Some(value),
            "--only" => args.only = value.split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
            _ => return Err(BenchError::Usage(format!("unknown argument {arg}"))),
        }
    }
    args.data = data.ok_or_else(|| BenchError::Usage("--data is required".into()))?;
    args.params = params.ok_or_else(|| BenchError::Usage("--params is required".into()))?;
    args.db = db.ok_or_else(|| BenchError::Usage("--db is required".into()))?;
    if args.runs == 0 {
        return Err(BenchError::Usage("--runs must be at least 1".into()));
    }
    Ok(args)
}

fn main() -> ExitCode {
    let outcome = parse_args().and_then(|args| match args.phase.as_deref() {
        None => drive(&args),
        Some("load") => load_phase(&args),
        Some("query") => query_phase(&args),
        Some(other) => Err(BenchError::Usage(format!("unknown phase {other}"))),
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lodestone-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs this executable again with `--phase` and the given extra arguments; its stdout is piped.
fn child(args: &Args, phase: &str, only: &[&str]) -> Result<std::process::Child, BenchError> {
    let exe = std::env::current_exe().map_err(|e| BenchError::Io(format!("cannot find own executable: {e}")))?;
    let mut cmd = Command::new(exe);
    cmd.arg("--data")
        .arg(&args.data)
        .arg("--params")
        .arg(&args.params)
        .arg("--db")
        .arg(&args.db)
        .arg("--timeout")
        .arg(args.timeout.to_string())
        .arg("--runs")
        .arg(args.runs.to_string())
        .arg("--budget")
        .arg(args.budget.to_string())
        .arg("--warmup")
        .arg(args.warmup.to_string())
        .arg("--phase")
        .arg(phase);
    if !only.is_empty() {
        cmd.arg("--only").arg(only.join(","));
    }
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| BenchError::Io(format!("cannot start {phase} process: {e}")))
}

/// The driver: a load process, then query processes until every query has a result.
fn drive(args: &Args) -> Result<(), BenchError> {
    if args.db.exists() {
        std::fs::remove_dir_all(&args.db)
            .map_err(|e| BenchError::Io(format!("cannot remove {}: {e}", args.db.display())))?;
    }
    if let Some(parent) = args.db.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| BenchError::Io(format!("cannot create {}: {e}", parent.display())))?;
    }
    let mut doc = json!({"engine": "lodestone", "version": env!("CARGO_PKG_VERSION"), "queries": {}});
    let load = child(args, "load", &[])?
        .wait_with_output()
        .map_err(|e| BenchError::Io(format!("load process: {e}")))?;
    let text = String::from_utf8_lossy(&load.stdout);
    let mut loaded = false;
    for line in text.lines() {
        if let Ok(Json::Object(m)) = serde_json::from_str::<Json>(line)
            && let Some(Json::Object(set)) = m.get("set")
        {
            for (k, v) in set {
                doc[k.as_str()] = v.clone();
            }
            loaded = true;
        }
    }
    if !load.status.success() || !loaded {
        doc["load_error"] = json!(format!("load process failed ({})", load.status));
        println!("{doc}");
        return Ok(());
    }
    let mut remaining: Vec<&str> = QUERIES.iter().map(|(n, _)| *n).collect();
    let mut first = true;
    while !remaining.is_empty() {
        let only = if first { Vec::new() } else { remaining.clone() };
        let mut proc = child(args, "query", &only)?;
        let stdout = proc
            .stdout
            .take()
            .ok_or_else(|| BenchError::Io("query process has no stdout".into()))?;
        let mut current: Option<String> = None;
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let Ok(msg) = serde_json::from_str::<Json>(&line) else {
                continue;
            };
            if let Some(Json::Object(set)) = msg.get("set") {
                // The open time of the first query process is the one reported.
                for (k, v) in set {
                    if first || k.as_str() != "open_ms" {
                        doc[k.as_str()] = v.clone();
                    }
                }
            }
            if let Some(name) = msg.get("start").and_then(Json::as_str) {
                current = Some(name.to_string());
            }
            if let (Some(name), Some(result)) = (msg.get("query").and_then(Json::as_str), msg.get("result")) {
                doc["queries"][name] = result.clone();
                remaining.retain(|q| *q != name);
                current = None;
            }
        }
        let _ = proc.wait();
        first = false;
        if let Some(name) = current {
            doc["queries"][name.as_str()] = json!({"status": "crashed"});
            remaining.retain(|q| *q != name);
        } else if !remaining.is_empty() {
            // The process stopped between queries: record the next as crashed so the loop ends.
            let name = remaining.remove(0);
            doc["queries"][name] = json!({"status": "crashed"});
        }
    }
    println!("{doc}");
    Ok(())
}

/// Prints one protocol line and flushes it, so the driver sees it even if the process dies.
fn emit(msg: &Json) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{msg}");
    let _ = out.flush();
}

/// Loads the CSV files into a new database with the CLI importer and closes it.
fn load_phase(args: &Args) -> Result<(), BenchError> {
    let started = Instant::now();
    let db = Database::open(&args.db).map_err(|e| BenchError::Db(e.to_string()))?;
    let summary = support::import_generated(&db, &args.data).map_err(BenchError::Db)?;
    db.flush().map_err(|e| BenchError::Db(e.to_string()))?;
    drop(db);
    // As `lode import` does: the storage engine's log replay happens here, not at the next open.
    let settling = Instant::now();
    Database::settle(&args.db).map_err(|e| BenchError::Db(e.to_string()))?;
    let settle_s = settling.elapsed().as_secs_f64();
    let load_s = started.elapsed().as_secs_f64();
    emit(&json!({"set": {
        "load_s": load_s,
        "settle_s": settle_s,
        "peak_rss_load_mb": peak_rss_mb(),
        "db_size_mb": dir_size(&args.db) as f64 / (1024.0 * 1024.0),
        "loaded_nodes": summary.nodes,
        "loaded_edges": summary.edges,
    }}));
    Ok(())
}

/// One query of the workload: its statement text for a parameter set, and the canonical result.
struct Workload {
    text: fn(&Json) -> Result<(String, Params), BenchError>,
    canon: fn(&Output) -> String,
}

fn workload(name: &str) -> Option<Workload> {
    let w = |text, canon| Some(Workload { text, canon });
    match name {
        "lookup_name" => w(q_lookup, canon_first_set),
        "hop1_hub" | "hop1_typical" => w(q_hop1, canon_first_set),
        "who_funds_deposit" | "who_funds_company" => w(q_who_funds, canon_first_set),
        "reach_hub" | "reach_typical" => w(q_reach, canon_scalar),
        "shortest_path" => w(q_shortest, canon_scalar),
        "top10_funders" => w(q_top10, canon_top10),
        "write_mix" => w(q_write, |_| String::new()),
        _ => None,
    }
}

/// Opens the database (timed), then runs the selected queries in order.
fn query_phase(args: &Args) -> Result<(), BenchError> {
    let text = std::fs::read_to_string(&args.params)
        .map_err(|e| BenchError::Io(format!("cannot read {}: {e}", args.params.display())))?;
    let params: Json = serde_json::from_str(&text).map_err(|e| BenchError::Format(format!("params: {e}")))?;
    let t0 = Instant::now();
    let db = Database::open(&args.db).map_err(|e| BenchError::Db(e.to_string()))?;
    db.query("RETURN 1", &Params::new())
        .map_err(|e| BenchError::Db(e.to_string()))?;
    let open_ms = t0.elapsed().as_secs_f64() * 1000.0;
    emit(&json!({"set": {"open_ms": open_ms, "loadavg_start": loadavg()}}));
    for (name, key) in QUERIES {
        if !args.only.is_empty() && !args.only.iter().any(|o| o == name) {
            continue;
        }
        emit(&json!({"start": name}));
        let list = params["queries"][key].as_array().cloned().unwrap_or_default();
        let result = match workload(name) {
            Some(w) => measure(args, &db, &list, &w, name == "write_mix"),
            None => json!({"status": "error", "error": "unknown query"}),
        };
        emit(&json!({"query": name, "result": result}));
        emit(&json!({"set": {"peak_rss_query_mb": peak_rss_mb(), "loadavg_end": loadavg()}}));
    }
    Ok(())
}

/// How one run ended.
enum RunError {
    /// The statement passed the time limit.
    Timeout,
    /// Any other failure.
    Failed(String),
}

/// Times the query over warm runs cycling through `list`, with the runners' rules (see the
/// harness README). Writes use 5 warm-up and 100 timed runs, each with its own parameter.
fn measure(args: &Args, db: &Database, list: &[Json], w: &Workload, write: bool) -> Json {
    if list.is_empty() {
        return json!({"status": "error", "error": "no parameters"});
    }
    let options = |params: Params| ExecOptions {
        params,
        limits: Limits {
            timeout: Some(Duration::from_secs_f64(args.timeout)),
            ..Limits::default()
        },
        cancel: Default::default(),
    };
    let mut results: Vec<Json> = vec![Json::Null; list.len()];
    let mut i = 0usize;
    let mut one = |results: &mut Vec<Json>| -> Result<f64, RunError> {
        let idx = i % list.len();
        i += 1;
        let (text, params) = (w.text)(&list[idx]).map_err(|e| RunError::Failed(e.to_string()))?;
        let opts = options(params);
        let t0 = Instant::now();
        let out = db.query_with(&text, &opts);
        let elapsed = t0.elapsed().as_secs_f64();
        let out = out.map_err(|e| match e.query_error() {
            Some(QueryError::TimeLimit { .. }) => RunError::Timeout,
            _ => RunError::Failed(e.to_string()),
        })?;
        if results[idx].is_null() {
            results[idx] = Json::String((w.canon)(&out));
        }
        Ok(elapsed)
    };
    let (warmup, runs, budget) = if write {
        (5, 100, f64::INFINITY)
    } else {
        (args.warmup, args.runs, args.budget)
    };
    let fail = |e: RunError| match e {
        RunError::Timeout => json!({"status": "timeout", "timeout_s": args.timeout}),
        RunError::Failed(m) => json!({"status": "error", "error": m}),
    };
    let mut spent = 0.0;
    for _ in 0..warmup {
        match one(&mut results) {
            Ok(t) => spent += t,
            Err(e) => return fail(e),
        }
        if spent > budget / 2.0 {
            break;
        }
    }
    let mut times = Vec::with_capacity(runs);
    spent = 0.0;
    while times.len() < runs {
        let t = match one(&mut results) {
            Ok(t) => t,
            Err(e) => return fail(e),
        };
        times.push(t * 1000.0);
        spent += t;
        if spent > budget {
            break;
        }
    }
    times.sort_by(f64::total_cmp);
    let n = times.len();
    let median = if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2.0
    };
    let p95 = times[((0.95 * n as f64).ceil() as usize).clamp(1, n) - 1];
    let mean = times.iter().sum::<f64>() / n as f64;
    json!({"status": "ok", "runs": n, "median_ms": median, "p95_ms": p95, "mean_ms": mean, "results": results})
}

// The workload's statements. Anchors are found by the indexed `id` property; labels in the
// text come from params.json and are checked to be plain identifiers.

fn node_id(p: &Json) -> Result<i64, BenchError> {
    p["id"]
        .as_i64()
        .ok_or_else(|| BenchError::Format(format!("parameter without an integer id: {p}")))
}

fn node_label(p: &Json) -> Result<&str, BenchError> {
    match p["label"].as_str() {
        Some(l) if !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => Ok(l),
        _ => Err(BenchError::Format(format!("parameter without a label: {p}"))),
    }
}

fn one_param(key: &str, v: Value) -> Params {
    let mut p = Params::new();
    p.insert(key.to_string(), v);
    p
}

fn q_lookup(p: &Json) -> Result<(String, Params), BenchError> {
    let name = p["name"]
        .as_str()
        .ok_or_else(|| BenchError::Format(format!("parameter without a name: {p}")))?;
    Ok((
        "MATCH (c:Company {name: $name}) RETURN c.id AS id".into(),
        one_param("name", Value::String(name.to_string())),
    ))
}

fn q_hop1(p: &Json) -> Result<(String, Params), BenchError> {
    Ok((
        "MATCH (:Company {id: $id})-[:OWNS]->(c:Company) RETURN c.id AS id, c.name AS name".into(),
        one_param("id", Value::Int(node_id(p)?)),
    ))
}

fn q_who_funds(p: &Json) -> Result<(String, Params), BenchError> {
    let label = node_label(p)?;
    let text = format!(
        "MATCH (:{label} {{id: $id}})<-[:OWNS|DEVELOPS|OPERATES]-(:Company)<-[:FUNDS]-(:Deal)<-[:FUNDS]-(f) \
         RETURN f.name AS name \
         UNION \
         MATCH (:Company {{id: $id}})<-[:FUNDS]-(:Deal)<-[:FUNDS]-(f) RETURN f.name AS name"
    );
    Ok((text, one_param("id", Value::Int(node_id(p)?))))
}

fn q_reach(p: &Json) -> Result<(String, Params), BenchError> {
    Ok((
        "MATCH (:Company {id: $id})-[:OWNS*1..4]->(c:Company) RETURN count(DISTINCT c) AS n".into(),
        one_param("id", Value::Int(node_id(p)?)),
    ))
}

fn q_shortest(p: &Json) -> Result<(String, Params), BenchError> {
    let (a, b) = (&p["a"], &p["b"]);
    let text = format!(
        "MATCH p = shortestPath((:{} {{id: $a}})-[*..8]-(:{} {{id: $b}})) RETURN length(p) AS n",
        node_label(a)?,
        node_label(b)?
    );
    let mut params = one_param("a", Value::Int(node_id(a)?));
    params.insert("b".into(), Value::Int(node_id(b)?));
    Ok((text, params))
}

fn q_top10(_p: &Json) -> Result<(String, Params), BenchError> {
    Ok((
        "MATCH (f)-[r:FUNDS]->() WHERE f:Government OR f:Agency \
         RETURN f.name AS name, sum(r.amount) AS total ORDER BY total DESC, name LIMIT 10"
            .into(),
        Params::new(),
    ))
}

fn q_write(p: &Json) -> Result<(String, Params), BenchError> {
    let (deal, funder, recipient, owns) = (&p["deal"], &p["funder"], &p["recipient"], &p["owns"]);
    let text = format!(
        "MATCH (f:{} {{id: $funder}}), (r:{} {{id: $recipient}}) \
         CREATE (f)-[:FUNDS {{amount: $amount, date: $date}}]->\
         (d:Deal {{id: $deal, name: $name, kind: 'grant', status: 'announced', amount: $amount, date: $date}})\
         -[:FUNDS {{amount: $amount, date: $date}}]->(r) \
         WITH d \
         MATCH (:{} {{id: $src}})-[o:OWNS]->(:{} {{id: $dst}}) SET o.share = $share",
        node_label(funder)?,
        node_label(recipient)?,
        node_label(&owns["src"])?,
        node_label(&owns["dst"])?,
    );
    let bad = |what: &str| BenchError::Format(format!("write_mix parameter without {what}: {p}"));
    let amount = p["amount"].as_i64().ok_or_else(|| bad("amount"))?;
    let date = PartialDate::from_str(p["date"].as_str().ok_or_else(|| bad("date"))?).map_err(|_| bad("a date"))?;
    let share = Decimal::from_str(owns["share"].as_str().ok_or_else(|| bad("share"))?).map_err(|_| bad("share"))?;
    let mut params = Params::new();
    params.insert("funder".into(), Value::Int(node_id(funder)?));
    params.insert("recipient".into(), Value::Int(node_id(recipient)?));
    params.insert("deal".into(), Value::Int(node_id(deal)?));
    params.insert(
        "name".into(),
        Value::String(deal["name"].as_str().ok_or_else(|| bad("deal name"))?.to_string()),
    );
    params.insert(
        "amount".into(),
        Value::Money(Money::new(Decimal::from(amount), "USD").map_err(|e| bad(&e.to_string()))?),
    );
    params.insert("date".into(), Value::Date(date));
    params.insert("src".into(), Value::Int(node_id(&owns["src"])?));
    params.insert("dst".into(), Value::Int(node_id(&owns["dst"])?));
    params.insert("share".into(), Value::Percent(share));
    Ok((text, params))
}

// Canonical results (benches/compare/README.md): FNV-1a over sorted or ordered items.

fn fnv1a64(text: &str) -> String {
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    format!("{h:016x}")
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Money(m) => m.amount.trunc().normalize().to_string(),
        other => other.to_string(),
    }
}

fn canon_first_set(out: &Output) -> String {
    let mut items: Vec<String> = out.rows.iter().filter_map(|r| r.first()).map(plain).collect();
    items.sort();
    format!("{}:{}", items.len(), fnv1a64(&items.join("\n")))
}

fn canon_scalar(out: &Output) -> String {
    out.rows
        .first()
        .and_then(|r| r.first())
        .map_or_else(|| "none".to_string(), plain)
}

fn canon_top10(out: &Output) -> String {
    let items: Vec<String> = out
        .rows
        .iter()
        .filter_map(|r| match r.as_slice() {
            [name, total, ..] => Some(format!("{}={}", plain(name), plain(total))),
            _ => None,
        })
        .collect();
    format!("{}:{}", items.len(), fnv1a64(&items.join("\n")))
}
