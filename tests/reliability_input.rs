//! Bad input through the library: every case gives a clear error of the right
//! kind and leaves the database exactly as it was (compared record by record), and
//! the database stays usable. Also the budgets that stop runaway queries, the
//! database lock, read-only mode, damaged files, and what the library opens
//! (no sockets).
//!
//! Cases that can crash the process (stack overflow, memory exhaustion) run in a
//! child process: this test binary re-executed with `LODESTONE_RELIABILITY_CHILD`.

mod reliability;

use lodestone::{CancelToken, Database, Error, ExecOptions, Limits, NodeRecord, Params, QueryError, StoreError, Value};
use reliability::workload::dump;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "LODESTONE_RELIABILITY_CHILD";

fn seeded() -> Database {
    let db = Database::in_memory();
    db.execute_script(
        "CREATE NODE KIND Company (name STRING NOT NULL, v INTEGER, ticker STRING);
         CREATE NODE KIND Deposit (name STRING NOT NULL);
         CREATE EDGE KIND OWNS FAMILY ownership FROM Company TO Company|Deposit (share PERCENT);
         CREATE (:Company {name: 'A', v: 1})-[:OWNS {share: 15%}]->(:Company {name: 'B', v: 2});
         CREATE (:Deposit {name: 'Round Top'});",
    )
    .expect("seed");
    db
}

/// Runs `text` expecting an error; checks nothing changed and returns the error.
fn refused(db: &Database, text: &str) -> Error {
    let before = dump(db);
    let err = match db.execute_script(text) {
        Ok(_) => panic!("accepted: {}", &text[..text.len().min(200)]),
        Err(e) => e,
    };
    assert_eq!(dump(db), before, "a refused statement changed the database: {text}");
    // Still usable.
    let rows = db
        .query("MATCH (n) RETURN count(n)", &Params::new())
        .expect("usable")
        .rows;
    assert_eq!(rows.len(), 1);
    err
}

fn message(e: &Error) -> String {
    e.render()
}

#[test]
fn malformed_statements_are_syntax_errors_with_a_position() {
    let db = seeded();
    for text in [
        "MATCH (n RETURN n",
        "MATCH (n) RETURN",
        "CREATE (:Company {name: 'x')",
        "MATCH (a)-[r->(b) RETURN a",
        "RETURN 'unterminated",
        "RETURN /* open comment",
        "MATCH (n) WHERE RETURN n",
        "CREATE (a)-[:X]-(b)",
        "DELETE",
        "MATCH (n) RETURN n; CREATE (",
        "\u{0}\u{1}\u{7f}",
        "RETURN 1 +",
        "RETURN 99999999999999999999",
        "who funds",
        "CREATE NODE KIND (name STRING)",
        "CREATE NODE KIND X (name NOTATYPE)",
    ] {
        let e = refused(&db, text);
        let q = e
            .query_error()
            .unwrap_or_else(|| panic!("{text}: not a query error: {e:?}"));
        assert!(
            matches!(
                q,
                QueryError::Syntax { .. } | QueryError::Semantic { .. } | QueryError::Unsupported { .. }
            ),
            "{text}: {q:?}"
        );
        let shown = message(&e);
        assert!(shown.contains("line "), "{text}: no position in {shown}");
    }
}

#[test]
fn huge_inputs_are_handled() {
    let db = seeded();
    // A 2 MB string property is stored and read back whole.
    let big = "x".repeat(2 << 20);
    db.query(
        &format!("CREATE (:Company {{name: 'blob', ticker: '{big}'}})"),
        &Params::new(),
    )
    .expect("big literal");
    let got = db
        .query("MATCH (b:Company {name: 'blob'}) RETURN size(b.ticker)", &Params::new())
        .unwrap()
        .rows;
    assert_eq!(got, vec![vec![Value::Int(2 << 20)]]);
    db.query("MATCH (b:Company {name: 'blob'}) DELETE b", &Params::new())
        .unwrap();
    // A 1 MB statement of garbage on one line, and 20,000 statements of which the last is bad.
    let garbage = "MATCH (n) WHERE n.v = ".to_string() + &"(1 +".repeat(250_000);
    let e = refused(&db, &garbage);
    assert!(e.query_error().is_some_and(QueryError::is_compile_time), "{e:?}");
    let mut script: String = (0..20_000).map(|i| format!("RETURN {i};\n")).collect();
    script.push_str("RETURN (;\n");
    let e = refused(&db, &script);
    assert!(
        message(&e).contains("line 20001"),
        "{}",
        &message(&e)[..200.min(message(&e).len())]
    );
}

/// A rendered error shows where the problem is without echoing a whole huge line.
#[test]
fn errors_on_huge_lines_stay_short() {
    let db = seeded();
    let garbage = format!("RETURN [{}", "1, ".repeat(300_000));
    let e = refused(&db, &garbage);
    let shown = message(&e);
    assert!(shown.len() < 4096, "a {}-byte message for a syntax error", shown.len());
}

#[test]
fn deep_nesting_in_the_text_is_refused_without_overflow() {
    let db = seeded();
    for (open, close) in [("(", ")"), ("[", "]"), ("{a: ", "}"), ("NOT (", ")"), ("-(", ")")] {
        let text = format!("RETURN {}1{}", open.repeat(50_000), close.repeat(50_000));
        let e = refused(&db, &text);
        assert!(
            message(&e).contains("nested too deeply"),
            "{open}: {}",
            &message(&e)[..120.min(message(&e).len())]
        );
    }
    // Nesting within the parser's limit but past the on-disk store's: refused at write.
    let dir = tempfile::tempdir().unwrap();
    let disk = Database::open(dir.path()).unwrap();
    let depth = 70;
    let text = format!("CREATE (:Deep {{p: {}1{}}})", "[".repeat(depth), "]".repeat(depth));
    let e = refused(&disk, &text);
    assert!(message(&e).contains("nest"), "{}", message(&e));
}

#[test]
fn schema_violations_are_refused() {
    let db = seeded();
    for (text, expect) in [
        ("CREATE (:Company {name: 5})", "must be STRING"),
        ("CREATE (:Company {v: 1})", "name"),
        ("CREATE (:Company {name: 'C', colour: 'red'})", "colour"),
        ("MATCH (c:Company {name: 'A'}) SET c.v = 'seven'", "INTEGER"),
        ("MATCH (c:Company {name: 'A'}) REMOVE c.name", "name"),
        (
            "MATCH (a:Company {name: 'A'}), (b:Company {name: 'B'}) CREATE (a)-[:OWNS {share: 'half'}]->(b)",
            "PERCENT",
        ),
        (
            "MATCH (d:Deposit), (a:Company {name: 'A'}) CREATE (d)-[:OWNS]->(a)",
            "OWNS",
        ),
        ("CREATE (:Company {name: 'C'})-[:OWNS]->(:Person {name: 'P'})", "OWNS"),
    ] {
        let e = refused(&db, text);
        assert!(message(&e).contains(expect), "{text}: {}", message(&e));
    }
}

#[test]
fn unknown_labels_under_a_declared_schema_are_refused() {
    // Declared kinds close the vocabulary: a typo in a label or type is refused
    // before running, with the span of the name and the closest declared name.
    let db = seeded();
    for (text, expect) in [
        ("CREATE (:Compnay {name: 'typo'})", "unknown label :Compnay"),
        ("CREATE (:Compnay {name: 'typo'})", "did you mean Company?"),
        ("MATCH (c:Compnay) RETURN c", "unknown label :Compnay"),
        ("MATCH (c:Company) SET c:Depost", "did you mean Deposit?"),
        ("MERGE (:Person {name: 'P'})", "unknown label :Person"),
        (
            "MATCH (a:Company {name: 'A'}), (b:Company {name: 'B'}) CREATE (a)-[:OWN]->(b)",
            "did you mean OWNS?",
        ),
        ("MATCH (a)-[:FUNDS]->(b) RETURN b", "unknown relationship type :FUNDS"),
    ] {
        let e = refused(&db, text);
        let m = message(&e);
        assert!(m.contains(expect), "{text}: {m}");
        assert!(m.contains('^'), "{text}: no caret in {m}");
    }
    // The store refuses the same writes when they do not come from a query.
    let e = db
        .write(|txn| {
            let rec = NodeRecord {
                labels: vec!["Compnay".into()],
                ..NodeRecord::default()
            };
            txn.create_node(rec)?;
            Ok(())
        })
        .expect_err("the store accepted an undeclared label");
    assert!(message(&e).contains("unknown label :Compnay"), "{}", message(&e));
    assert_eq!(db.stats().unwrap().labels.get("Compnay"), None);
}

#[test]
fn type_and_arithmetic_errors_are_refused() {
    let db = seeded();
    for (text, expect) in [
        ("RETURN 1 - 'a'", "cannot apply"),
        ("RETURN 'x' * 3", "cannot apply"),
        ("RETURN -'a'", ""),
        ("RETURN USD 1M + EUR 1M", ""),
        ("RETURN 1 / 0", "division by zero"),
        ("RETURN 1 % 0", "division by zero"),
        ("RETURN 9223372036854775807 + 1", "overflow"),
        ("RETURN -9223372036854775808 - 1", "overflow"),
        ("RETURN 4611686018427387904 * 2", "overflow"),
        ("RETURN -(-9223372036854775808)", "overflow"),
        ("RETURN abs(-9223372036854775808)", "overflow"),
        ("RETURN -9223372036854775808 / -1", "overflow"),
        ("UNWIND [9223372036854775807, 1] AS x RETURN sum(x)", "overflow"),
        ("RETURN range(1, 9223372036854775807)", "range()"),
        ("RETURN date('2025-13')", "invalid date"),
        ("RETURN substring('abc', -1)", "non-negative"),
        // Writes that fail part-way change nothing.
        ("MATCH (c:Company) SET c.v = 10 / (c.v - 1)", "division by zero"),
        ("MATCH (c:Company) SET c.v = c.v + 9223372036854775807", "overflow"),
        (
            "UNWIND [1, 2, 0] AS d CREATE (:Company {name: 'n' + toString(d), v: 6 / d})",
            "division by zero",
        ),
        (
            "MATCH (c:Company) CREATE (:Company {name: 'copy', v: c.v - 'x'})",
            "cannot apply",
        ),
    ] {
        let e = refused(&db, text);
        let shown = message(&e);
        assert!(shown.contains(expect), "{text}: {shown}");
        // Errors whose operand kinds are known from literals are found before execution.
        assert!(e.query_error().is_some(), "{text}: {e:?}");
    }
}

#[test]
fn missing_parameters_and_dangling_references_are_refused() {
    let db = seeded();
    let e = refused(&db, "MATCH (n {name: $who}) RETURN n");
    assert!(message(&e).contains("missing parameter $who"));
    let e = refused(&db, "MATCH (n) RETURN m");
    assert!(message(&e).contains("m"));
    // Deleting a node that still has relationships.
    let e = refused(&db, "MATCH (c:Company {name: 'A'}) DELETE c");
    assert!(message(&e).contains("DETACH"), "{}", message(&e));
    // An unknown entity in a question suggests the closest name.
    let e = refused(&db, "who owns Bee");
    assert!(
        e.query_error()
            .is_some_and(|q| matches!(q, QueryError::UnknownEntity { .. })),
        "{e:?}"
    );
}

#[test]
fn writes_to_a_read_only_database_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        db.execute_script("CREATE (:Company {name: 'A'})").unwrap();
    }
    let db = Database::open_read_only(dir.path()).unwrap();
    let before = dump(&db);
    for text in [
        "CREATE (:Company {name: 'B'})",
        "MATCH (n) SET n.x = 1",
        "MATCH (n) DETACH DELETE n",
        "CREATE INDEX ON :Company(name)",
        "CREATE NODE KIND Company (name STRING)",
    ] {
        let e = db.query(text, &Params::new()).expect_err(text);
        assert!(message(&e).contains("read-only"), "{text}: {}", message(&e));
    }
    let e = db.write(|_| Ok(())).expect_err("write transaction");
    assert!(matches!(e, Error::Store(StoreError::ReadOnly)), "{e:?}");
    assert_eq!(dump(&db), before);
    // Reads work.
    assert_eq!(
        db.query("MATCH (n) RETURN count(n)", &Params::new()).unwrap().rows,
        vec![vec![Value::Int(1)]]
    );
    // A missing database is not created in read-only mode.
    let missing = dir.path().join("nothing-here");
    assert!(Database::open_read_only(&missing).is_err());
    assert!(!missing.exists());
}

/// Child role: hold a database open until stdin closes.
#[test]
fn child_hold_database() {
    if std::env::var(CHILD_ENV).as_deref() != Ok("hold") {
        return;
    }
    let dir = std::env::var_os("LODESTONE_RELIABILITY_DIR").expect("dir");
    let db = Database::open(Path::new(&dir)).expect("open");
    println!("READY");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    drop(db);
}

#[test]
fn a_database_locked_by_another_process_is_refused() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    drop(Database::open(dir.path()).unwrap());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_hold_database", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "hold")
        .env("LODESTONE_RELIABILITY_DIR", dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let ready = out.lines().map_while(Result::ok).any(|l| l.contains("READY"));
    assert!(ready, "holder did not open the database");
    for e in [
        Database::open(dir.path()).unwrap_err(),
        Database::open_read_only(dir.path()).unwrap_err(),
    ] {
        assert!(matches!(e, Error::Store(StoreError::Locked { .. })), "{e:?}");
        assert!(e.to_string().contains("locked by another process"), "{e}");
    }
    drop(child.stdin.take());
    child.wait().unwrap();
    Database::open(dir.path()).expect("opens once the holder is gone");
}

fn sled_file(dir: &Path) -> std::path::PathBuf {
    dir.join("sled").join("db")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

const SECRET: &str = "TOPSECRET-7f3a-TOPSECRET";

/// How a damaged database came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Damage {
    /// Open refused it with a clear error.
    Refused,
    /// It opened and its check reported problems.
    Reported,
    /// It opened clean with every record.
    Intact,
    /// It opened clean, the check passed, and committed records were gone.
    SilentlyLost,
}

/// Damages copies of a database 24 ways (truncation, random bytes, a flipped bit)
/// and opens each: no panic, no record bytes in any message.
fn damage_cases() -> Vec<(String, Damage)> {
    let base = tempfile::tempdir().unwrap();
    {
        let db = Database::open(base.path()).unwrap();
        db.execute_script(&format!(
            "UNWIND range(1, 3000) AS i CREATE (:Company {{name: 'c' + toString(i), note: '{SECRET}'}})"
        ))
        .unwrap();
    }
    let len = std::fs::metadata(sled_file(base.path())).unwrap().len();
    let mut outcomes = Vec::new();
    let mut rng = reliability::Rng::new(7);
    for case in 0..24u64 {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(base.path(), dir.path());
        let file = sled_file(dir.path());
        let mut bytes = std::fs::read(&file).unwrap();
        let what = match case % 3 {
            0 => {
                let keep = (len * (case * 4) / 100) as usize;
                bytes.truncate(keep);
                format!("truncated to {keep} of {len} bytes")
            }
            1 => {
                let at = rng.below(len) as usize;
                for b in bytes.iter_mut().skip(at).take(512) {
                    *b = rng.next_u64() as u8;
                }
                format!("512 random bytes at {at} of {len}")
            }
            _ => {
                let at = rng.below(len) as usize;
                bytes[at] ^= 0x10;
                format!("one bit flipped at {at} of {len}")
            }
        };
        std::fs::write(&file, &bytes).unwrap();
        let outcome = match Database::open(dir.path()) {
            Err(e) => {
                let shown = e.to_string();
                assert!(
                    !shown.contains("TOPSECRET"),
                    "{what}: the error shows record bytes: {shown}"
                );
                assert!(shown.len() < 1000, "{what}: a {}-byte message", shown.len());
                assert!(
                    !shown.chars().any(|c| c.is_control() && c != '\n'),
                    "{what}: raw bytes in {shown:?}"
                );
                assert!(
                    matches!(e, Error::Store(StoreError::Corrupt { .. } | StoreError::Io(_))),
                    "{what}: {e:?}"
                );
                Damage::Refused
            }
            Ok(db) => {
                let report = db.check().expect("check");
                for p in &report.problems {
                    assert!(!p.contains("TOPSECRET"), "{what}: check shows record bytes: {p}");
                }
                let n = db
                    .query("MATCH (c:Company) RETURN count(c)", &Params::new())
                    .map(|o| o.rows);
                if !report.problems.is_empty() {
                    Damage::Reported
                } else if n.ok() == Some(vec![vec![Value::Int(3000)]]) {
                    Damage::Intact
                } else {
                    Damage::SilentlyLost
                }
            }
        };
        outcomes.push((what, outcome));
    }
    println!("damaged files:");
    for (what, outcome) in &outcomes {
        println!("  {what}: {outcome:?}");
    }
    outcomes
}

#[test]
fn damaged_files_give_clear_errors_without_record_bytes() {
    let outcomes = damage_cases();
    assert!(
        outcomes.iter().any(|(_, o)| *o == Damage::Refused),
        "no damage was ever detected"
    );
}

#[test]
fn damaged_files_never_lose_data_silently() {
    let lost: Vec<String> = damage_cases()
        .into_iter()
        .filter(|(_, o)| *o == Damage::SilentlyLost)
        .map(|(w, _)| w)
        .collect();
    assert!(
        lost.is_empty(),
        "opened clean without committed records after: {lost:?}"
    );
}

// ---------------------------------------------------------------- limits

fn dense(n: usize) -> Database {
    let db = Database::in_memory();
    db.execute_script(&format!(
        "UNWIND range(1, {n}) AS i CREATE (:P {{i: i}});
         MATCH (a:P), (b:P) WHERE a.i <> b.i CREATE (a)-[:K]->(b);"
    ))
    .expect("dense graph");
    db
}

fn with_limits(timeout_ms: Option<u64>, max_rows: Option<u64>) -> ExecOptions {
    ExecOptions {
        limits: Limits {
            timeout: timeout_ms.map(Duration::from_millis),
            max_rows,
            max_hops: 15,
        },
        ..ExecOptions::default()
    }
}

#[test]
fn runaway_queries_stop_at_their_budget_and_leave_the_database_usable() {
    let db = dense(12);
    let before = dump(&db);
    let cases = [
        (
            "MATCH (a), (b), (c), (d), (e), (f), (g) RETURN count(*)",
            with_limits(Some(300), None),
            "time limit",
        ),
        (
            "MATCH p = (a)-[*]->(b) RETURN count(p)",
            with_limits(Some(300), None),
            "time limit",
        ),
        (
            "MATCH (a)-[*]-(b) RETURN a.i, b.i",
            with_limits(None, Some(10_000)),
            "row limit",
        ),
        (
            "MATCH (a), (b), (c), (d) RETURN a.i, b.i, c.i, d.i",
            with_limits(None, Some(5_000)),
            "row limit",
        ),
        // A write that runs away is stopped and applies nothing.
        (
            "MATCH (a), (b), (c) CREATE (a)-[:X]->(b)",
            with_limits(None, Some(1_000)),
            "row limit",
        ),
        (
            "MATCH p = (a)-[*]->(b) WITH a LIMIT 1000000 SET a.touched = true",
            with_limits(Some(300), None),
            "time limit",
        ),
    ];
    for (text, options, expect) in cases {
        let started = Instant::now();
        let e = db.query_with(text, &options).expect_err(text);
        let took = started.elapsed();
        assert!(message(&e).contains(expect), "{text}: {}", message(&e));
        assert!(took < Duration::from_secs(30), "{text}: took {took:?} to stop");
        assert_eq!(dump(&db), before, "{text}: a stopped statement changed the database");
        let ok = db
            .query("MATCH (n:P) RETURN count(n)", &Params::new())
            .expect("usable after the limit");
        assert_eq!(ok.rows, vec![vec![Value::Int(12)]]);
    }
}

#[test]
fn a_running_query_can_be_cancelled_from_another_thread() {
    let db = dense(12);
    let cancel = CancelToken::new();
    let options = ExecOptions {
        cancel: cancel.clone(),
        limits: Limits {
            timeout: None,
            max_rows: None,
            max_hops: 15,
        },
        ..ExecOptions::default()
    };
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        cancel.cancel();
    });
    let e = db
        .query_with("MATCH p = (a)-[*]->(b) RETURN count(p)", &options)
        .expect_err("cancelled");
    stopper.join().unwrap();
    assert!(matches!(e.query_error(), Some(QueryError::Cancelled)), "{e:?}");
    options.cancel.reset();
    assert!(db.query_with("MATCH (n) RETURN count(n)", &options).is_ok());
}

// ---------------------------------------------------------------- crashes in a child

/// Child role: run the query in `LODESTONE_RELIABILITY_QUERY` and print how it ended.
#[test]
fn child_run_query() {
    if std::env::var(CHILD_ENV).as_deref() != Ok("query") {
        return;
    }
    let text = std::env::var("LODESTONE_RELIABILITY_QUERY").expect("query");
    let db = Database::in_memory();
    let options = with_limits(Some(2_000), Some(1_000_000));
    match db.query_with(&text, &options) {
        Ok(out) => println!("RESULT ok {} rows", out.rows.len()),
        Err(e) => println!("RESULT error {}", e.to_string().lines().next().unwrap_or("")),
    }
}

/// Runs `text` in a child process with at most `mem_kb` of address space; returns
/// its exit status and the `RESULT` line.
fn in_child(text: &str, mem_kb: u64) -> (std::process::ExitStatus, String) {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {mem_kb}; exec \"$0\" --exact child_run_query --nocapture --test-threads=1"
        ))
        .arg(&exe)
        .env(CHILD_ENV, "query")
        .env("LODESTONE_RELIABILITY_QUERY", text)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .expect("spawn child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let result = stdout.lines().find(|l| l.contains("RESULT")).unwrap_or("").to_string();
    (out.status, result)
}

#[test]
fn child_process_harness_works() {
    let (status, result) = in_child("RETURN 1 / 0", 4 << 20);
    assert!(status.success(), "{status}");
    assert!(result.contains("RESULT error division by zero"), "{result}");
}

#[test]
fn runtime_nesting_is_an_error_not_a_crash() {
    for text in [
        "RETURN reduce(acc = [], i IN range(1, 100000) | [acc]) AS s",
        "RETURN size(reduce(acc = [], i IN range(1, 100000) | [acc])) AS s",
        "CREATE (:X {p: reduce(acc = [], i IN range(1, 100000) | [acc])})",
        "WITH reduce(acc = {}, i IN range(1, 100000) | {a: acc}) AS m RETURN m = m",
    ] {
        let (status, result) = in_child(text, 4 << 20);
        assert!(status.success(), "{text}: the process died ({status})");
        assert!(result.contains("RESULT error"), "{text}: {result}");
    }
}

#[test]
fn runaway_expressions_stop_at_the_time_limit() {
    for text in [
        "RETURN size(reduce(s = 'x', i IN range(1, 40) | s + s))",
        "RETURN size(reduce(a = [1], i IN range(1, 40) | a + a))",
        "RETURN size([x IN range(1, 50000000) | [x, x]])",
    ] {
        let started = Instant::now();
        let (status, result) = in_child(text, 2 << 20);
        assert!(status.success(), "{text}: the process died ({status})");
        assert!(
            result.contains("time limit") || result.contains("too large"),
            "{text}: {result}"
        );
        // A guard against a limit checked only at the end (such a query ran for
        // minutes), not a speed measurement: the bound is loose for loaded machines.
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{text}: took {:?}",
            started.elapsed()
        );
    }
}

// ---------------------------------------------------------------- what the library opens

/// File descriptors of this process that are sockets.
fn sockets() -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    dir.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .map(|p| p.display().to_string())
        .filter(|p| p.starts_with("socket:"))
        .collect()
}

#[test]
fn the_library_opens_no_socket() {
    if !Path::new("/proc/self/fd").exists() {
        println!("skipped: no /proc/self/fd on this system");
        return;
    }
    let before = sockets();
    let dir = tempfile::tempdir().unwrap();
    let db = Database::open(dir.path()).unwrap();
    db.execute_script("CREATE (:A {name: 'a'})-[:R]->(:B {name: 'b'}); MATCH (n) RETURN n;")
        .unwrap();
    db.flush().unwrap();
    let during = sockets();
    drop(db);
    assert_eq!(
        during.len(),
        before.len(),
        "sockets opened by the library: {during:?} (before: {before:?})"
    );
}
