//! Reliability of the `lode` binary:
//!
//! - crash safety: `lode run` killed with SIGKILL at random moments over many cycles
//!   (acknowledged statements are the JSON lines it printed), `lode import` and
//!   `lode export` killed mid-way; after every kill the database is verified through
//!   the library (the workload of `tests/reliability/workload.rs`) and `lode check`
//!   must pass;
//! - bad input: each case exits with the right code and a clear message, and the
//!   database is unchanged record for record;
//! - limits: a runaway statement stops at `--timeout` and the script goes on;
//! - security: under `strace`, no socket is created and only the given files are read.
//!
//! Cycles: `LODESTONE_CRASH_CYCLES` (default 50 for `lode run`, a fifth of it, at
//! least 10, for import and export; ten times more under `LODESTONE_SOAK`).

#[path = "../../../tests/reliability/rng.rs"]
#[allow(dead_code)]
mod rng;
#[path = "../../../tests/reliability/workload.rs"]
#[allow(dead_code)]
mod workload;

use lodestone::{Database, Params, Value};
use rng::{Rng, count_from_env};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// A `lode` command whose home is `home`, without colours or log filters.
fn lode(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lode"));
    cmd.env("LODESTONE_HOME", home)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .current_dir(home)
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run lode")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `lode check` on `db` passes.
fn assert_lode_check(home: &Path, db: &Path, what: &str) {
    let out = run(lode(home).arg("--db").arg(db).args(["--format", "json", "check"]));
    assert!(out.status.success(), "{what}: lode check failed: {}", text(&out.stderr));
    let report: Json = serde_json::from_slice(&out.stdout).expect("check prints JSON");
    assert_eq!(report["problems"], Json::Array(vec![]), "{what}: {report}");
}

fn lines_of(child: &mut Child) -> Receiver<String> {
    let out = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn kill(child: &mut Child) -> Option<std::process::ExitStatus> {
    // Already finished: report how.
    if let Ok(Some(status)) = child.try_wait() {
        return Some(status);
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    None
}

// ---------------------------------------------------------------- lode run

/// The statement number a `lode run --format json` line acknowledges, if any.
fn acked_statement(line: &str) -> Option<i64> {
    let v: Json = serde_json::from_str(line).ok()?;
    match v["columns"].as_array()?.as_slice() {
        [c] if c == "k" => v["rows"][0][0].as_i64(),
        _ => None,
    }
}

#[test]
fn killed_lode_run_loses_nothing_acknowledged() {
    let cycles = count_from_env("LODESTONE_CRASH_CYCLES", 50, 10);
    let seed = rng::seed("lode run crash");
    let mut rng = Rng::new(seed);
    let home = TempDir::new().unwrap();
    let h = home.path();
    let db = h.join("db");
    let script = h.join("work.lq");
    let mut verified = workload::Verified::default();
    let mut lines_seen = 0u64;
    let mut early_kills = 0u64;
    for cycle in 0..cycles {
        let mut text = String::new();
        if !verified.set_up {
            text.push_str(&workload::setup_statement());
            text.push_str(";\n");
        }
        for k in verified.items + 1..=verified.items + 300 {
            text.push_str(&workload::item_statement(k));
            text.push_str(";\n");
        }
        std::fs::write(&script, &text).unwrap();
        let mut child = lode(h)
            .arg("--db")
            .arg(&db)
            .args(["--format", "json", "run"])
            .arg(&script)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn lode run");
        let rx = lines_of(&mut child);
        let early = rng.chance(10);
        early_kills += u64::from(early);
        let delay = Duration::from_millis(if early { rng.below(300) } else { 1 + rng.below(150) });
        let spawned = Instant::now();
        let mut first: Option<Instant> = None;
        let mut acked = verified.items;
        loop {
            match rx.recv_timeout(Duration::from_millis(1)) {
                Ok(line) => {
                    lines_seen += 1;
                    if let Some(k) = acked_statement(&line) {
                        acked = acked.max(k);
                        first.get_or_insert_with(Instant::now);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            let start = if early { Some(spawned) } else { first };
            if start.is_some_and(|s| s.elapsed() >= delay) {
                break;
            }
            assert!(
                spawned.elapsed() < Duration::from_secs(60),
                "cycle {cycle}: lode run made no progress"
            );
        }
        let finished = kill(&mut child);
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            if let Some(k) = acked_statement(&line) {
                acked = acked.max(k);
            }
        }
        if let Some(status) = finished {
            assert!(status.success(), "cycle {cycle}: lode run failed on its own: {status}");
        }
        {
            let opened = Database::open(&db).unwrap_or_else(|e| panic!("cycle {cycle}: reopen: {e}"));
            let now = workload::verify(&opened, acked, &BTreeSet::new());
            assert!(now.items >= verified.items, "cycle {cycle}: counter went back");
            verified = now;
        }
        assert_lode_check(h, &db, &format!("cycle {cycle}"));
    }
    println!(
        "lode run crash: {cycles} cycles ({early_kills} killed early), {} statements committed, {lines_seen} JSON lines",
        verified.items
    );
    assert!(verified.items > 0, "lode run never committed");
}

// ---------------------------------------------------------------- lode import

const IMPORT_NODES: usize = 6_000;

fn import_files(dir: &Path, batch: u64) -> (PathBuf, PathBuf) {
    let mut nodes = String::from("id:ID,:LABEL,batch:int,i:int,name\n");
    // Label `Imported`: `Bulk` belongs to the workload's own batches.
    let mut edges = String::from(":START_ID,:END_ID,:TYPE\n");
    for i in 0..IMPORT_NODES {
        nodes.push_str(&format!("b{batch}-{i},Imported,{batch},{i},imported {batch} {i}\n"));
        if i + 1 < IMPORT_NODES {
            edges.push_str(&format!("b{batch}-{i},b{batch}-{},NEXT\n", i + 1));
        }
    }
    let n = dir.join(format!("nodes-{batch}.csv"));
    let e = dir.join(format!("edges-{batch}.csv"));
    std::fs::write(&n, nodes).unwrap();
    std::fs::write(&e, edges).unwrap();
    (n, e)
}

/// A killed import into a new database (a bulk load that commits every 500 rows)
/// leaves, at the next open, either nothing or the whole import.
#[test]
fn killed_bulk_import_into_a_new_database_is_all_or_nothing() {
    let cycles = (count_from_env("LODESTONE_CRASH_CYCLES", 50, 10) / 5).max(10);
    let seed = rng::seed("bulk import crash");
    let mut rng = Rng::new(seed);
    let home = TempDir::new().unwrap();
    let h = home.path();
    let (nodes, edges) = import_files(h, 0);
    let mut full_run = None;
    let (mut killed, mut empty, mut whole) = (0, 0, 0);
    for cycle in 0..cycles {
        let db = h.join(format!("db-{cycle}"));
        let batches = ["--batch-rows", "500"];
        let finished = import_or_kill(h, &db, (&nodes, &edges), &batches, &mut full_run, &mut rng);
        if let Some(status) = finished {
            assert!(
                status.success(),
                "cycle {cycle}: lode import failed on its own: {status}"
            );
        } else {
            killed += 1;
        }
        let d = Database::open(&db).unwrap_or_else(|e| panic!("cycle {cycle}: reopen: {e}"));
        let members = counts(&d, "MATCH (b:Imported) RETURN b.batch AS batch, count(*)");
        let links = counts(
            &d,
            "MATCH (a:Imported)-[:NEXT]->(:Imported) RETURN a.batch AS batch, count(*)",
        );
        match members.get(&0) {
            None => {
                assert!(links.is_empty(), "cycle {cycle}: edges without their nodes");
                assert!(finished.is_none(), "cycle {cycle}: a completed import is missing");
                empty += 1;
            }
            Some(n) => {
                assert_eq!(*n, IMPORT_NODES as i64, "cycle {cycle}: a partial import is visible");
                assert_eq!(
                    links.get(&0).copied(),
                    Some(IMPORT_NODES as i64 - 1),
                    "cycle {cycle}: edges partial"
                );
                whole += 1;
            }
        }
        drop(d);
        assert!(
            !db.join("BULK").exists(),
            "cycle {cycle}: the open kept the bulk-load marker"
        );
        assert_lode_check(h, &db, &format!("bulk import cycle {cycle}"));
    }
    println!(
        "bulk import crash: {cycles} imports of {IMPORT_NODES} nodes (full run {full_run:?}), {killed} killed, \
         {empty} left nothing, {whole} left everything"
    );
    assert!(killed > 0, "no import was ever killed");
}

/// Starts `lode import` of `nodes` and `edges` into `db` with `extra` arguments. The
/// first run (`full_run` is `None`) goes to the end and sets `full_run` to its length;
/// later ones are killed at a random point of 1.3 times that span. Returns the exit
/// status when the import ended by itself.
fn import_or_kill(
    h: &Path,
    db: &Path,
    (nodes, edges): (&Path, &Path),
    extra: &[&str],
    full_run: &mut Option<Duration>,
    rng: &mut Rng,
) -> Option<std::process::ExitStatus> {
    let mut child = lode(h)
        .arg("--db")
        .arg(db)
        .args(["import", "--no-progress"])
        .args(extra)
        .arg("--nodes")
        .arg(nodes)
        .arg("--edges")
        .arg(edges)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn lode import");
    let started = Instant::now();
    let Some(full) = *full_run else {
        let status = child.wait().unwrap();
        *full_run = Some(started.elapsed());
        return Some(status);
    };
    let at = Duration::from_millis(rng.below(full.as_millis() as u64 * 13 / 10 + 1));
    while started.elapsed() < at {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    kill(&mut child)
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

fn counts(db: &Database, q: &str) -> BTreeMap<i64, i64> {
    db.query(q, &Params::new())
        .unwrap_or_else(|e| panic!("{q}: {}", e.render()))
        .rows
        .iter()
        .map(|r| (int(&r[0]), int(&r[1])))
        .collect()
}

#[test]
fn killed_import_is_all_or_nothing() {
    let cycles = (count_from_env("LODESTONE_CRASH_CYCLES", 50, 10) / 5).max(10);
    let seed = rng::seed("import crash");
    let mut rng = Rng::new(seed);
    let home = TempDir::new().unwrap();
    let h = home.path();
    let db = h.join("db");
    {
        let d = Database::open(&db).unwrap();
        d.execute_script(&workload::setup_statement()).unwrap();
        for k in 1..=20 {
            d.query(&workload::item_statement(k), &Params::new()).unwrap();
        }
    }
    let mut full_run = None;
    let mut completed = BTreeSet::new();
    let mut killed = 0;
    for batch in 0..cycles {
        let (nodes, edges) = import_files(h, batch);
        let finished = import_or_kill(h, &db, (&nodes, &edges), &[], &mut full_run, &mut rng);
        match finished {
            Some(status) => {
                assert!(
                    status.success(),
                    "batch {batch}: lode import failed on its own: {status}"
                );
                completed.insert(batch as i64);
            }
            None => killed += 1,
        }
        let d = Database::open(&db).unwrap_or_else(|e| panic!("batch {batch}: reopen: {e}"));
        workload::verify(&d, 20, &BTreeSet::new());
        let members = counts(&d, "MATCH (b:Imported) RETURN b.batch AS batch, count(*)");
        let links = counts(
            &d,
            "MATCH (a:Imported)-[:NEXT]->(:Imported) RETURN a.batch AS batch, count(*)",
        );
        for (b, n) in &members {
            assert_eq!(
                *n, IMPORT_NODES as i64,
                "batch {b}: a partial import is visible ({n} nodes)"
            );
            assert_eq!(
                links.get(b).copied(),
                Some(IMPORT_NODES as i64 - 1),
                "batch {b}: edges partial"
            );
        }
        assert!(links.keys().all(|b| members.contains_key(b)));
        for b in &completed {
            assert!(members.contains_key(b), "batch {b}: a completed import is missing");
        }
        drop(d);
        assert_lode_check(h, &db, &format!("import batch {batch}"));
    }
    println!(
        "import crash: {cycles} imports of {IMPORT_NODES} nodes (full run {full_run:?}), {killed} killed, {} completed",
        completed.len()
    );
    assert!(killed > 0, "no import was ever killed");
}

// ---------------------------------------------------------------- lode export

fn seed_graph(db: &Path, n: usize) {
    let d = Database::open(db).unwrap();
    d.execute_script(&format!(
        "UNWIND range(1, {n}) AS i
         CREATE (:Company {{name: 'company ' + toString(i), i: i, since: @2024-05}})
                -[:OWNS {{share: 51%}}]->(:Deposit {{name: 'deposit ' + toString(i), size: $1.5M}})"
    ))
    .unwrap();
}

struct ExportRun {
    cycles: u64,
    killed: u64,
    /// Kills that left the previous complete export damaged.
    lost_files: u64,
}

fn export_cycles(to_dir: bool) -> ExportRun {
    let cycles = (count_from_env("LODESTONE_CRASH_CYCLES", 50, 10) / 5).max(10);
    let seed = rng::seed("export crash");
    let mut rng = Rng::new(seed);
    let home = TempDir::new().unwrap();
    let h = home.path();
    let db = h.join("db");
    seed_graph(&db, 4_000);
    let reference = workload::dump(&Database::open(&db).unwrap());
    let target = if to_dir {
        h.join("exported")
    } else {
        h.join("graph.jsonl")
    };
    let export = |h: &Path| {
        let mut cmd = lode(h);
        cmd.arg("--db").arg(&db).arg("export").arg("-o").arg(&target);
        if to_dir {
            cmd.args(["--to", "csv"]);
        }
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        cmd
    };
    let snapshot = |p: &Path| -> Vec<(String, Vec<u8>)> {
        if p.is_dir() {
            let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(p)
                .unwrap()
                .map(|e| e.unwrap().path())
                .map(|f| {
                    (
                        f.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read(&f).unwrap(),
                    )
                })
                .collect();
            files.sort();
            files
        } else {
            vec![(String::new(), std::fs::read(p).unwrap_or_default())]
        }
    };
    // Time two full exports and keep the quicker: the first one runs on a cold cache.
    let mut full_run = Duration::MAX;
    for _ in 0..2 {
        let started = Instant::now();
        assert!(export(h).status().unwrap().success());
        full_run = full_run.min(started.elapsed());
    }
    let complete = snapshot(&target);
    let mut run = ExportRun {
        cycles,
        killed: 0,
        lost_files: 0,
    };
    for cycle in 0..cycles {
        let mut child = export(h).spawn().expect("spawn lode export");
        let at = Duration::from_millis(rng.below(full_run.as_millis() as u64 * 13 / 10 + 1));
        let started = Instant::now();
        while started.elapsed() < at {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        match kill(&mut child) {
            Some(status) => assert!(status.success(), "cycle {cycle}: lode export failed: {status}"),
            None => run.killed += 1,
        }
        // The database is untouched by a killed export.
        let d = Database::open(&db).unwrap_or_else(|e| panic!("cycle {cycle}: reopen: {e}"));
        assert_eq!(
            workload::dump(&d),
            reference,
            "cycle {cycle}: a killed export changed the database"
        );
        drop(d);
        assert_lode_check(h, &db, &format!("export cycle {cycle}"));
        // The export file: the same graph each time, so a complete file equals the first.
        if snapshot(&target) != complete {
            run.lost_files += 1;
            // Put the complete export back for the next cycle.
            assert!(export(h).status().unwrap().success());
        }
    }
    run
}

#[test]
fn killed_export_leaves_the_database_intact() {
    for to_dir in [false, true] {
        let run = export_cycles(to_dir);
        println!(
            "export crash ({}): {} cycles, {} killed, {} left a damaged export behind",
            if to_dir { "csv directory" } else { "jsonl file" },
            run.cycles,
            run.killed,
            run.lost_files
        );
        assert!(run.killed > 0, "no export was ever killed");
    }
}

#[test]
fn killed_export_keeps_the_previous_file() {
    for to_dir in [false, true] {
        let run = export_cycles(to_dir);
        assert_eq!(
            run.lost_files, 0,
            "{} of {} killed exports destroyed the previous export",
            run.lost_files, run.killed
        );
    }
}

// ---------------------------------------------------------------- bad input

/// A database with a schema and a little data, and its dump.
fn prepared(h: &Path) -> (PathBuf, Vec<String>) {
    let db = h.join("db");
    let d = Database::open(&db).unwrap();
    d.execute_script(
        "CREATE NODE KIND Company (name STRING NOT NULL, v INTEGER);
         CREATE (:Company {name: 'A', v: 1})-[:OWNS]->(:Company {name: 'B', v: 2});",
    )
    .unwrap();
    let dump = workload::dump(&d);
    (db, dump)
}

fn dump_of(db: &Path) -> Vec<String> {
    workload::dump(&Database::open(db).expect("reopen"))
}

/// Runs `lode --db db <args>`; checks the exit code, that stderr says `expect`, and
/// that the database did not change.
fn refused(h: &Path, db: &Path, before: &[String], args: &[&str], code: i32, expect: &str) -> String {
    let out = run(lode(h).arg("--db").arg(db).args(args));
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: exit {:?}, stderr:\n{err}",
        out.status
    );
    assert!(err.contains(expect), "{args:?}: missing `{expect}` in:\n{err}");
    assert!(err.len() < 20_000, "{args:?}: a {}-byte message", err.len());
    assert_eq!(dump_of(db), before, "{args:?}: the database changed");
    err
}

fn write(h: &Path, name: &str, bytes: impl AsRef<[u8]>) -> String {
    std::fs::write(h.join(name), bytes).unwrap();
    name.to_string()
}

#[test]
fn bad_statements_exit_one_with_a_message_and_change_nothing() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let (db, before) = prepared(h);
    // Deep nesting over many short lines (an error on one huge line echoes the whole
    // line: see `errors_on_huge_lines_stay_short` in tests/reliability_input.rs).
    let deep = write(
        h,
        "deep.lq",
        format!("RETURN {}1{};", "(\n".repeat(100_000), ")\n".repeat(100_000)),
    );
    // A 4 MB statement (a long literal) whose error comes after it.
    let huge = write(
        h,
        "huge.lq",
        format!(
            "CREATE (:Company {{name: 'x'}});\nRETURN '{}'\n+ ;",
            "x".repeat(4 << 20)
        ),
    );
    for (args, expect) in [
        (vec!["query", "MATCH (n RETURN n"], "line 1, column"),
        (vec!["query", "CREATE (:Company {name: 'C'"], "line 1, column"),
        (vec!["run", deep.as_str()], "nested too deeply"),
        (vec!["query", "CREATE (:Company {name: 5})"], "must be STRING"),
        (vec!["query", "CREATE (:Company {name: 'C', colour: 'red'})"], "colour"),
        (vec!["query", "MATCH (c:Company) SET c.v = c.v - 'x'"], "cannot apply"),
        (
            vec!["query", "MATCH (c:Company) SET c.v = 10 / (c.v - 1)"],
            "division by zero",
        ),
        (
            vec!["query", "MATCH (c:Company) SET c.v = c.v + 9223372036854775807"],
            "integer overflow",
        ),
        (vec!["query", "MATCH (c:Company {name: 'A'}) DELETE c"], "DETACH"),
        (vec!["query", "MATCH (n {name: $who}) RETURN n"], "missing parameter"),
        (vec!["run", huge.as_str()], "huge.lq"),
    ] {
        refused(h, &db, &before, &args, 1, expect);
    }
    // A script stops at its failing statement: the statements before it stay, the
    // failing one leaves nothing, the rest do not run.
    let script = write(
        h,
        "partial.lq",
        "CREATE (:Company {name: 'C'});\nUNWIND [1, 0] AS d CREATE (:Company {name: 'D', v: 1 / d});\nCREATE (:Company {name: 'E'});\n",
    );
    let out = run(lode(h).arg("--db").arg(&db).args(["run", &script]));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("statement 2") && err.contains("1 statement before it was committed"),
        "{err}"
    );
    let names: Vec<Value> = Database::open(&db)
        .unwrap()
        .query("MATCH (c:Company) RETURN c.name AS n ORDER BY n", &Params::new())
        .unwrap()
        .rows
        .into_iter()
        .map(|mut r| r.remove(0))
        .collect();
    assert_eq!(names, vec![Value::from("A"), Value::from("B"), Value::from("C")]);
}

#[test]
fn bad_files_and_bad_csv_change_nothing() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let (db, before) = prepared(h);
    let bad_utf8 = write(h, "bad.lq", b"CREATE (:Company {name: '\xff\xfe'});\n".as_slice());
    let nodes_ok = write(h, "ok.csv", "id:ID,:LABEL,name\n1,Company,Z\n");
    let bad_utf8_csv = write(h, "utf.csv", b"id:ID,:LABEL,name\n1,Company,\xff\n".as_slice());
    let wrong_columns = write(
        h,
        "cols.csv",
        "id:ID,:LABEL,name\n1,Company,Z\n2,Company\n3,Company,Y,extra\n",
    );
    let wrong_type = write(h, "type.csv", "id:ID,:LABEL,name,v:int\n1,Company,Z,seven\n");
    let dangling = write(h, "edges.csv", ":START_ID,:END_ID,:TYPE\n1,99,OWNS\n");
    let schema_break = write(h, "schema.csv", "id:ID,:LABEL,v:int\n1,Company,3\n");
    for (args, code, expect) in [
        (vec!["run", bad_utf8.as_str()], 1, "not valid UTF-8"),
        (vec!["run", "no-such-file.lq"], 2, "no such script file"),
        (
            vec!["import", "--no-progress", "--nodes", bad_utf8_csv.as_str()],
            1,
            "invalid UTF-8",
        ),
        (
            vec!["import", "--no-progress", "--nodes", wrong_columns.as_str()],
            1,
            "expected 3 columns",
        ),
        (
            vec!["import", "--no-progress", "--nodes", wrong_type.as_str()],
            1,
            "not an integer",
        ),
        (
            vec![
                "import",
                "--no-progress",
                "--nodes",
                nodes_ok.as_str(),
                "--edges",
                dangling.as_str(),
            ],
            1,
            "missing endpoint",
        ),
        (
            vec!["import", "--no-progress", "--nodes", schema_break.as_str()],
            1,
            "name",
        ),
        (
            vec!["import", "--no-progress", "--nodes", "missing.csv"],
            2,
            "missing.csv",
        ),
    ] {
        refused(h, &db, &before, &args, code, expect);
    }
    // Invalid UTF-8 on standard input.
    let mut child = lode(h)
        .arg("--db")
        .arg(&db)
        .args(["run", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"CREATE (:Company {name: 'ok'});\nCREATE (:Company {name: '\xff'});\n")
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("UTF-8"), "{}", text(&out.stderr));
    assert_eq!(dump_of(&db), before);
}

#[test]
fn unusable_databases_are_refused_with_the_right_message() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let (db, before) = prepared(h);
    // Read-only.
    for args in [
        vec!["--read-only", "query", "CREATE (:Company {name: 'R'})"],
        vec!["--read-only", "query", "MATCH (n) DETACH DELETE n"],
    ] {
        refused(h, &db, &before, &args, 1, "read-only");
    }
    let csv = write(h, "ro.csv", "id:ID,:LABEL,name\n1,Company,R\n");
    refused(
        h,
        &db,
        &before,
        &["--read-only", "import", "--no-progress", "--nodes", &csv],
        1,
        "read-only",
    );
    // Locked by another process (this one).
    {
        let holder = Database::open(&db).unwrap();
        let out = run(lode(h)
            .arg("--db")
            .arg(&db)
            .args(["query", "MATCH (n) RETURN count(n)"]));
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("locked by another process"),
            "{}",
            text(&out.stderr)
        );
        drop(holder);
    }
    // A directory that is not a database is refused and left alone.
    let foreign = h.join("photos");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("cat.jpg"), b"not a database").unwrap();
    let out = run(lode(h).arg("--db").arg(&foreign).arg("info"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not a Lodestone database"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_dir(&foreign).unwrap().count(), 1);
    // A truncated database file.
    let broken = h.join("broken");
    let d = Database::open(&broken).unwrap();
    d.execute_script("UNWIND range(1, 500) AS i CREATE (:Company {name: 'TOPSECRET ' + toString(i)})")
        .unwrap();
    drop(d);
    std::fs::OpenOptions::new()
        .write(true)
        .open(broken.join("sled").join("db"))
        .unwrap()
        .set_len(0)
        .unwrap();
    for args in [vec!["check"], vec!["query", "MATCH (n) RETURN n.name"], vec!["info"]] {
        let out = run(lode(h).arg("--db").arg(&broken).args(&args));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("damaged"), "{args:?}: {err}");
        assert!(
            !err.contains("TOPSECRET"),
            "{args:?}: record bytes in the message: {err}"
        );
    }
    // A read-only open of a missing database does not create one.
    let missing = h.join("missing");
    let out = run(lode(h).arg("--db").arg(&missing).args(["--read-only", "info"]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!missing.exists());
}

// ---------------------------------------------------------------- limits

#[test]
fn runaway_statements_stop_at_the_timeout_and_the_script_goes_on() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    let db = h.join("db");
    Database::open(&db)
        .unwrap()
        .execute_script(
            "UNWIND range(1, 12) AS i CREATE (:P {i: i});
             MATCH (a:P), (b:P) WHERE a.i <> b.i CREATE (a)-[:K]->(b);",
        )
        .unwrap();
    let before = dump_of(&db);
    let started = Instant::now();
    refused(
        h,
        &db,
        &before,
        &["--timeout", "0.5", "query", "MATCH p = (a)-[*]->(b) RETURN count(p)"],
        1,
        "time limit",
    );
    refused(
        h,
        &db,
        &before,
        &[
            "--timeout",
            "0.5",
            "query",
            "MATCH (a), (b), (c), (d), (e), (f) SET a.x = 1",
        ],
        1,
        "time limit",
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    // With --continue the script goes on after the stopped statement.
    let script = write(
        h,
        "mixed.lq",
        "MATCH (a), (b), (c), (d), (e), (f) RETURN count(*);\nMATCH (n:P) RETURN count(n) AS n;\n",
    );
    let out =
        run(lode(h)
            .arg("--db")
            .arg(&db)
            .args(["--timeout", "0.5", "--format", "json", "run", "--continue", &script]));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("time limit"), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(r#"{"columns":["n"],"rows":[[12]]}"#),
        "{}",
        text(&out.stdout)
    );
}

// ---------------------------------------------------------------- security

/// Runs `lode <args>` under strace; returns the trace, or `None` when strace is
/// unavailable or not permitted here.
fn traced(h: &Path, args: &[&str], stdin: &[u8]) -> Option<String> {
    let trace = h.join(format!("trace-{}.txt", args.join("-").len()));
    let mut child = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=%network,openat,open,creat,rename,renameat,renameat2,unlink,unlinkat",
        ])
        .arg("-o")
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_lode"))
        .args(args)
        .env("LODESTONE_HOME", h.join("home"))
        .env("NO_COLOR", "1")
        .current_dir(h)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        let _ = input.write_all(stdin);
    }
    let status = child.wait().ok()?;
    let text = std::fs::read_to_string(&trace).ok()?;
    if !status.success() || !text.contains("openat") {
        println!("strace did not run lode here (status {status}); skipping");
        return None;
    }
    Some(text)
}

/// Every path the trace opened, with whether it was opened for writing.
fn opened(trace: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for line in trace.lines() {
        if !line.contains("openat(") || line.contains("= -1") {
            continue;
        }
        let Some(start) = line.find('"') else { continue };
        let Some(len) = line[start + 1..].find('"') else {
            continue;
        };
        let path = line[start + 1..start + 1 + len].to_string();
        let write = line.contains("O_WRONLY") || line.contains("O_RDWR") || line.contains("O_CREAT");
        out.push((path, write));
    }
    out
}

#[test]
fn lode_opens_no_socket_and_reads_only_the_files_it_is_given() {
    let home = TempDir::new().unwrap();
    let h = home.path();
    std::fs::create_dir_all(h.join("home")).unwrap();
    std::fs::write(h.join("decoy.lq"), "CREATE (:Decoy);").unwrap();
    std::fs::write(h.join("nodes.csv"), "id:ID,:LABEL,name\n1,Company,A\n2,Company,B\n").unwrap();
    std::fs::write(h.join("edges.csv"), ":START_ID,:END_ID,:TYPE\n1,2,OWNS\n").unwrap();
    std::fs::write(h.join("script.lq"), "MATCH (n) RETURN count(n);\n").unwrap();
    let runs: Vec<(Vec<&str>, &[u8], Vec<&str>)> = vec![
        (
            vec![
                "--db",
                "db",
                "import",
                "--no-progress",
                "--nodes",
                "nodes.csv",
                "--edges",
                "edges.csv",
            ],
            b"",
            vec!["nodes.csv", "edges.csv"],
        ),
        (vec!["--db", "db", "run", "script.lq"], b"", vec!["script.lq"]),
        (
            vec!["--db", "db", "shell"],
            b":read script.lq\n:quit\n",
            vec!["script.lq"],
        ),
        (vec!["--db", "db", "export", "-o", "out.jsonl"], b"", vec!["out.jsonl"]),
        (vec!["--db", "db", "query", "who owns B"], b"", vec![]),
    ];
    let root = std::fs::canonicalize(h).unwrap();
    for (args, input, given) in runs {
        let Some(trace) = traced(h, &args, input) else { return };
        for bad in ["socket(", "bind(", "listen(", "connect(", "accept("] {
            assert!(!trace.contains(bad), "{args:?}: {bad} in the trace:\n{trace}");
        }
        for (path, write) in opened(&trace) {
            let abs = if path.starts_with('/') {
                PathBuf::from(&path)
            } else {
                root.join(&path)
            };
            let inside_db = abs.starts_with(root.join("db")) || abs.starts_with(h.join("db"));
            let in_home = abs.starts_with(root.join("home")) || abs.starts_with(h.join("home"));
            // An output is written to a temporary sibling `NAME.tmp-<pid>` and renamed into
            // place; its directory is opened read-only to sync the rename.
            let temp_of_given = given.iter().any(|g| {
                abs.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{g}.tmp-")))
            });
            let is_given = given.iter().any(|g| abs.ends_with(g)) || temp_of_given || (!write && abs == root);
            let system = ["/etc/", "/lib", "/usr/", "/proc/", "/sys/", "/dev/"]
                .iter()
                .any(|p| path.starts_with(p));
            assert!(
                inside_db || in_home || is_given || (system && !write),
                "{args:?}: opened {path} ({})",
                if write { "for writing" } else { "for reading" }
            );
            assert!(
                !path.contains("decoy"),
                "{args:?}: read a file it was not given: {path}"
            );
            if write {
                assert!(inside_db || in_home || is_given, "{args:?}: wrote {path}");
            }
        }
    }
}
