//! Data-driven statement tests: runs every `tests/cases/**/*.test` file.
//!
//! File format (records separated by blank lines; `#` starts a comment line):
//!
//! ```text
//! load kb                      # optional first line: start from the bundled dataset (data/*.lq)
//!
//! statement ok
//! CREATE (:Company {name: 'A'})
//!
//! statement error <substring of the error message>
//! MATCH (n RETURN n
//!
//! param x 42                   # binds $x to the value of the literal expression
//!
//! query [unordered]
//! MATCH (n:Company) RETURN n.name AS name
//! ----
//! name
//! 'A'
//! ```
//!
//! A query's expected block is the header (column names joined by ` | `) and one
//! line per row, cells rendered with `Value`'s `Display` and joined by ` | `. For a
//! statement that returns a plan and no columns (EXPLAIN), the block is the header
//! `plan` and one line per plan line. `query` compares rows in order, `query
//! unordered` as multisets.
//!
//! Every file runs twice, on the in-memory store and on a fresh sled store, and
//! must pass on both.
//!
//! Environment: `LODESTONE_BLESS=1` rewrites expected blocks from actual output;
//! `LODESTONE_CASES=<substring>` runs only files whose path contains it.

use lodestone_model::Value;
use lodestone_query::{ExecOptions, Output, QueryError, parse, run};
use lodestone_store::{Durability, MemStore, OpenOptions, SledStore, Storage};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "support/test_file.rs"]
mod test_file;
use test_file::{Record, parse_file};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn test_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            test_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "test") {
            out.push(p);
        }
    }
}

fn dataset_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("data"))
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "lq"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Runs every statement of a script; the first failure ends it.
fn run_script(store: &dyn Storage, text: &str, opts: &ExecOptions) -> Result<Vec<Output>, QueryError> {
    let mut outs = Vec::new();
    for (stmt, _) in parse::parse_script(text)? {
        outs.push(run(store, &stmt, opts)?);
    }
    Ok(outs)
}

fn render(out: &Output) -> Vec<String> {
    if out.columns.is_empty()
        && let Some(plan) = &out.plan
    {
        let mut lines = vec!["plan".to_string()];
        lines.extend(plan.lines().map(|l| l.trim_end().to_string()));
        return lines;
    }
    let mut lines = vec![out.columns.join(" | ")];
    for row in &out.rows {
        let cells: Vec<String> = row.iter().map(Value::to_string).collect();
        lines.push(cells.join(" | "));
    }
    lines
}

fn diff(expected: &[String], actual: &[String]) -> String {
    let mut s = String::new();
    let n = expected.len().max(actual.len());
    for i in 0..n {
        match (expected.get(i), actual.get(i)) {
            (Some(e), Some(a)) if e == a => {
                let _ = writeln!(s, "    {e}");
            }
            (e, a) => {
                if let Some(e) = e {
                    let _ = writeln!(s, "  - {e}");
                }
                if let Some(a) = a {
                    let _ = writeln!(s, "  + {a}");
                }
            }
        }
    }
    s
}

struct FileResult {
    passed: usize,
    failures: Vec<String>,
    /// Replacement expected blocks for blessing: (range, lines).
    blessed: Vec<((usize, usize), Vec<String>)>,
}

fn load_dataset(store: &dyn Storage) -> Result<(), String> {
    let opts = ExecOptions::default();
    for f in dataset_files() {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        run_script(store, &text, &opts).map_err(|e| format!("{}: {}", f.display(), e.render(&text)))?;
    }
    Ok(())
}

/// Where a file's statements run: every file runs on both backends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Backend {
    /// The in-memory store.
    Memory,
    /// The sled store in a fresh directory, with its caches and property columns on.
    Disk,
}

fn run_file(records: &[Record], load_kb: bool, backend: Backend) -> FileResult {
    match backend {
        Backend::Memory => run_records(records, load_kb, &MemStore::new()),
        Backend::Disk => match open_disk() {
            // The store closes before its directory goes.
            Ok((_dir, store)) => run_records(records, load_kb, &store),
            Err(e) => FileResult {
                passed: 0,
                failures: vec![format!("cannot open a disk store: {e}")],
                blessed: Vec::new(),
            },
        },
    }
}

fn open_disk() -> Result<(tempfile::TempDir, SledStore), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let options = OpenOptions {
        durability: Durability::Deferred,
        ..OpenOptions::default()
    };
    let store = SledStore::open_with(dir.path(), options).map_err(|e| e.to_string())?;
    Ok((dir, store))
}

fn run_records(records: &[Record], load_kb: bool, store: &dyn Storage) -> FileResult {
    let mut res = FileResult {
        passed: 0,
        failures: Vec::new(),
        blessed: Vec::new(),
    };
    if load_kb && let Err(e) = load_dataset(store) {
        res.failures.push(format!("loading the dataset failed: {e}"));
        return res;
    }
    let mut opts = ExecOptions::default();
    for r in records {
        match r {
            Record::Ok { text, line } => match run_script(store, text, &opts) {
                Ok(_) => res.passed += 1,
                Err(e) => res
                    .failures
                    .push(format!("line {line}: statement failed:\n{}\n{}", text, e.render(text))),
            },
            Record::Error { text, expect, line } => match run_script(store, text, &opts) {
                Ok(_) => res.failures.push(format!(
                    "line {line}: expected an error containing `{expect}`, but it succeeded:\n{text}"
                )),
                Err(e) => {
                    let msg = e.to_string();
                    if msg.contains(expect.as_str()) {
                        res.passed += 1;
                    } else {
                        res.failures.push(format!(
                            "line {line}: error does not contain `{expect}`:\n{text}\n{}",
                            e.render(text)
                        ));
                    }
                }
            },
            Record::Param { name, expr, line } => {
                let q = format!("RETURN {expr} AS v");
                match parse::parse_statement(&q).and_then(|s| run(store, &s, &opts)) {
                    Ok(out) => {
                        let v = out.rows.first().and_then(|r| r.first()).cloned().unwrap_or(Value::Null);
                        opts.params.insert(name.clone(), v);
                        res.passed += 1;
                    }
                    Err(e) => res
                        .failures
                        .push(format!("line {line}: param `{name}` failed: {}", e.render(&q))),
                }
            }
            Record::Query {
                text,
                unordered,
                expected,
                block,
                line,
            } => {
                let out = parse::parse_statement(text).and_then(|s| run(store, &s, &opts));
                let actual = match out {
                    Ok(o) => render(&o),
                    Err(e) => {
                        res.failures
                            .push(format!("line {line}: query failed:\n{text}\n{}", e.render(text)));
                        continue;
                    }
                };
                res.blessed.push((*block, actual.clone()));
                let same = if *unordered {
                    let mut a = actual.clone();
                    let mut e = expected.clone();
                    if !a.is_empty() && !e.is_empty() {
                        a[1..].sort();
                        e[1..].sort();
                    }
                    a == e
                } else {
                    actual == *expected
                };
                if same {
                    res.passed += 1;
                } else {
                    res.failures.push(format!(
                        "line {line}: result differs (- expected, + actual):\n{text}\n{}",
                        diff(expected, &actual)
                    ));
                }
            }
        }
    }
    res
}

fn bless(path: &Path, text: &str, blocks: &[((usize, usize), Vec<String>)]) {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    for ((start, end), new) in blocks {
        while i < *start {
            out.push(lines[i].to_string());
            i += 1;
        }
        out.extend(new.iter().cloned());
        i = *end;
    }
    while i < lines.len() {
        out.push(lines[i].to_string());
        i += 1;
    }
    let mut s = out.join("\n");
    s.push('\n');
    if let Err(e) = std::fs::write(path, s) {
        eprintln!("cannot rewrite {}: {e}", path.display());
    }
}

fn main() {
    let dir = root().join("tests").join("cases");
    let mut files = Vec::new();
    test_files(&dir, &mut files);
    let filter = std::env::var("LODESTONE_CASES").ok();
    let blessing = std::env::var("LODESTONE_BLESS").is_ok_and(|v| v == "1");
    let have_data = !dataset_files().is_empty();
    let (mut ok_files, mut bad_files, mut skipped, mut records) = (0, 0, 0, 0);
    for f in &files {
        let shown = f.strip_prefix(&dir).unwrap_or(f).display().to_string();
        if filter.as_ref().is_some_and(|s| !shown.contains(s.as_str())) {
            continue;
        }
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                println!("FAIL {shown}: cannot read: {e}");
                bad_files += 1;
                continue;
            }
        };
        let (load_kb, recs) = match parse_file(&text) {
            Ok(x) => x,
            Err(e) => {
                println!("FAIL {shown}: {e}");
                bad_files += 1;
                continue;
            }
        };
        if load_kb && !have_data {
            println!("SKIP {shown}: data/ has no .lq files yet");
            skipped += 1;
            continue;
        }
        let mut res = run_file(&recs, load_kb, Backend::Memory);
        // The disk store must give the same answers; blessing follows the memory run.
        let disk = run_file(&recs, load_kb, Backend::Disk);
        res.failures
            .extend(disk.failures.into_iter().map(|f| format!("on the disk store: {f}")));
        records += res.passed + res.failures.len();
        if blessing {
            bless(f, &text, &res.blessed);
        }
        if res.failures.is_empty() {
            println!("ok   {shown} ({} records, memory and disk)", res.passed);
            ok_files += 1;
        } else {
            println!("FAIL {shown} ({} passed, {} failed)", res.passed, res.failures.len());
            for fail in &res.failures {
                for l in fail.lines() {
                    println!("    {l}");
                }
            }
            bad_files += 1;
        }
    }
    println!(
        "\ncases: {ok_files} files passed, {bad_files} failed, {skipped} skipped; {records} records run{}",
        if blessing { " (expected blocks rewritten)" } else { "" }
    );
    if bad_files > 0 && !blessing {
        std::process::exit(1);
    }
}
