//! Power loss and I/O faults underneath sled, in a real writer process.
//!
//! `reliability/powerfail.c` is built into a shared library and preloaded into a
//! writer (this test binary re-executed with `LODESTONE_POWER_WRITER`). It numbers
//! every write, truncate and sync to the database's files, and at a chosen event
//! either drops every write no sync made durable and kills the process (power loss),
//! or fails the call with EIO or ENOSPC (once, or from then on).
//!
//! After each cycle the database is reopened without the library and verified with
//! the crash workload's verifier: every acknowledged statement present, nothing
//! partial, indexes agree with records, the store's check passes (sled alone loses
//! synced commits now and then; the store's redo log must bring them back). Under faults the
//! writer must also never panic or abort, and every failure it sees must be a clear
//! I/O error.
//!
//! Cycles: `LODESTONE_POWER_CYCLES` (default 30 per test; 10x under `LODESTONE_SOAK`).
//! Skipped with a message when no C compiler is found or the platform is not Linux.

mod reliability;

use lodestone::{Database, Durability, Params, Value};
use reliability::workload::{self, Verified};
use reliability::{Rng, count_from_env};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const WRITER_ENV: &str = "LODESTONE_POWER_WRITER";
const STATEMENTS_ENV: &str = "LODESTONE_POWER_STATEMENTS";
const BULK_ENV: &str = "LODESTONE_POWER_BULK";

/// Builds the preload library once per test binary; `None` (with a message) when it cannot.
fn preload_library() -> Option<PathBuf> {
    if !cfg!(target_os = "linux") {
        println!("skipped: the power-loss library needs Linux");
        return None;
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reliability/powerfail.c");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("libpowerfail.so");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let built = Command::new(&cc)
        .args(["-shared", "-fPIC", "-O1", "-Wall", "-o"])
        .arg(&out)
        .arg(&src)
        .arg("-ldl")
        .stdout(Stdio::null())
        .status();
    match built {
        Ok(s) if s.success() => Some(out),
        Ok(s) => panic!("{cc} failed to build {}: {s}", src.display()),
        Err(e) => {
            println!("skipped: no C compiler ({cc}: {e})");
            None
        }
    }
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// Child role: open, then commit the workload from where the database stands.
/// Prints `ACK k`, `BULK b` after each commit and `ERR what: message` for each
/// failure; after a failure it reads the state again (as an application would)
/// and carries on, and stops after three failures or its statement budget.
#[test]
fn child_power_writer() {
    let Some(dir) = std::env::var_os(WRITER_ENV) else {
        return;
    };
    let budget: i64 = std::env::var(STATEMENTS_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let bulk_every: i64 = std::env::var(BULK_ENV).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut out = std::io::stdout();
    // The harness's "test child_power_writer ... " has no line end of its own.
    writeln!(out).unwrap();
    let db = match Database::open(Path::new(&dir)) {
        Ok(db) => db,
        Err(e) => {
            writeln!(out, "ERR open: {e}").unwrap();
            writeln!(out, "DONE").unwrap();
            return;
        }
    };
    writeln!(out, "OPEN").unwrap();
    let none = Params::new();
    let mut failures = 0;
    let mut done = 0;
    while done < budget && failures < 3 {
        let state = db
            .query("MATCH (c:Counter) RETURN c.value", &none)
            .and_then(|c| Ok((c, db.query("MATCH (m:BulkMark) RETURN max(m.batch)", &none)?)));
        let (counter, batches) = match state {
            Ok(s) => s,
            Err(e) => {
                writeln!(out, "ERR read: {e}").unwrap();
                failures += 1;
                continue;
            }
        };
        let k = match counter.rows.first() {
            Some(row) => int(&row[0]),
            None => {
                match db.query(&workload::setup_statement(), &none) {
                    Ok(_) => writeln!(out, "SETUP").unwrap(),
                    Err(e) => {
                        writeln!(out, "ERR setup: {e}").unwrap();
                        failures += 1;
                    }
                }
                out.flush().unwrap();
                continue;
            }
        };
        let batch = match batches.rows.first().map(|r| &r[0]) {
            Some(Value::Int(b)) => *b,
            _ => 0,
        };
        done += 1;
        if bulk_every > 0 && done % bulk_every == 0 {
            db.set_durability(Durability::Deferred);
            let r = db
                .query(&workload::bulk_statement(batch + 1, 50), &none)
                .and_then(|_| db.flush());
            db.set_durability(Durability::Immediate);
            match r {
                Ok(()) => writeln!(out, "BULK {}", batch + 1).unwrap(),
                Err(e) => {
                    writeln!(out, "ERR bulk: {e}").unwrap();
                    failures += 1;
                }
            }
        } else {
            match db.query(&workload::item_statement(k + 1), &none) {
                Ok(got) => {
                    assert_eq!(got.rows, vec![vec![Value::Int(k + 1)]]);
                    writeln!(out, "ACK {}", k + 1).unwrap();
                }
                Err(e) => {
                    writeln!(out, "ERR item: {e}").unwrap();
                    failures += 1;
                }
            }
        }
        out.flush().unwrap();
    }
    writeln!(out, "DONE").unwrap();
}

/// What one writer run printed.
#[derive(Debug, Default)]
struct Run {
    items: i64,
    batches: BTreeSet<i64>,
    errors: Vec<String>,
    done: bool,
}

fn parse(out: &Output) -> Run {
    let mut run = Run::default();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some(k) = line.strip_prefix("ACK ").and_then(|k| k.parse::<i64>().ok()) {
            run.items = run.items.max(k);
        } else if let Some(b) = line.strip_prefix("BULK ").and_then(|b| b.parse::<i64>().ok()) {
            run.batches.insert(b);
        } else if let Some(e) = line.strip_prefix("ERR ") {
            run.errors.push(e.to_string());
        } else if line == "DONE" {
            run.done = true;
        }
    }
    run
}

/// Runs the writer under the preload library with the given settings.
fn run_writer(lib: &Path, dir: &Path, env: &[(&str, String)], statements: i64, bulk_every: i64) -> Output {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_power_writer", "--nocapture", "--test-threads=1"])
        .env(WRITER_ENV, dir)
        .env(STATEMENTS_ENV, statements.to_string())
        .env(BULK_ENV, bulk_every.to_string())
        .env("LD_PRELOAD", lib)
        .env("PF_DIR", dir.canonicalize().unwrap())
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("spawn writer")
}

/// Events a fault-free run of the writer makes, for choosing crash points.
fn calibrate(lib: &Path, statements: i64, bulk_every: i64) -> i64 {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("events");
    let db_dir = dir.path().join("db");
    std::fs::create_dir(&db_dir).unwrap();
    let out = run_writer(
        lib,
        &db_dir,
        &[("PF_REPORT", report.display().to_string())],
        statements,
        bulk_every,
    );
    let run = parse(&out);
    assert!(
        out.status.success() && run.done && run.errors.is_empty(),
        "fault-free writer failed: {run:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: i64 = std::fs::read_to_string(&report)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        events > 10,
        "the preload library saw only {events} events: it is not intercepting"
    );
    events
}

/// Reopens without the library and verifies; returns what is there now.
fn reopen_and_verify(
    dir: &Path,
    acked_items: i64,
    acked_batches: &BTreeSet<i64>,
    last: &Verified,
    what: &str,
) -> Verified {
    // sled alone sometimes recovers fewer commits than it synced (finding 10); the
    // redo log must bring them back, so a refusal is a failure too.
    let db = Database::open(dir).unwrap_or_else(|e| panic!("{what}: reopen failed: {e}"));
    let now = workload::verify(&db, acked_items, acked_batches);
    assert!(
        now.items >= last.items,
        "{what}: counter went back from {} to {}",
        last.items,
        now.items
    );
    assert!(
        now.batches.is_superset(&last.batches),
        "{what}: a verified batch disappeared"
    );
    now
}

#[test]
fn power_loss_loses_nothing_acknowledged() {
    let Some(lib) = preload_library() else { return };
    let cycles = count_from_env("LODESTONE_POWER_CYCLES", 30, 10);
    let mut rng = Rng::new(reliability::seed("power loss"));
    let (statements, bulk_every) = (12, 5);
    let events = calibrate(&lib, statements, bulk_every);
    let dir = tempfile::tempdir().unwrap();
    let mut acked = (0i64, BTreeSet::new());
    let mut last = Verified::default();
    let (mut crashed, mut prefix_cycles, mut unacked_present) = (0, 0, 0);
    for cycle in 0..cycles {
        // Later cycles start from a database that earlier ones grew, so recovery
        // itself (which writes) is crashed too.
        let at = 1 + rng.below(events as u64 + events as u64 / 4) as i64;
        let keep_prefix = rng.chance(50);
        let out = run_writer(
            &lib,
            dir.path(),
            &[
                ("PF_CRASH_AT", at.to_string()),
                ("PF_KEEP_PREFIX", u8::from(keep_prefix).to_string()),
                ("PF_SEED", rng.next_u64().to_string()),
            ],
            statements,
            bulk_every,
        );
        let run = parse(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked"),
            "cycle {cycle}: the writer panicked:\n{stderr}"
        );
        assert!(
            run.errors.is_empty(),
            "cycle {cycle}: the writer saw errors without faults: {run:?}"
        );
        if !run.done {
            crashed += 1;
        }
        prefix_cycles += u32::from(keep_prefix);
        acked.0 = acked.0.max(run.items);
        acked.1.extend(run.batches.iter().copied());
        let what = format!("cycle {cycle} (crash at event {at}, keep prefix {keep_prefix})");
        let now = reopen_and_verify(dir.path(), acked.0, &acked.1, &last, &what);
        unacked_present += now.items - acked.0;
        // What survived is committed for good now.
        acked.0 = now.items;
        acked.1.extend(now.batches.iter().copied());
        last = now;
    }
    println!(
        "power loss: {cycles} cycles over {events} events per run, {crashed} crashed mid-run \
         ({prefix_cycles} kept a random prefix of unsynced writes), {} statements and {} batches \
         verified, {unacked_present} committed but unacknowledged",
        acked.0,
        acked.1.len()
    );
    assert!(crashed > 0, "no cycle crashed: the crash points missed the run");
    assert!(acked.0 > 0, "nothing was ever acknowledged");
}

#[test]
fn io_faults_under_sled_are_clear_errors_and_lose_nothing() {
    let Some(lib) = preload_library() else { return };
    let cycles = count_from_env("LODESTONE_POWER_CYCLES", 30, 10);
    let mut rng = Rng::new(reliability::seed("sled faults"));
    let (statements, bulk_every) = (10, 4);
    let events = calibrate(&lib, statements, bulk_every);
    let dir = tempfile::tempdir().unwrap();
    let mut acked = (0i64, BTreeSet::new());
    let mut last = Verified::default();
    let (mut failed_runs, mut errors_seen) = (0, 0);
    for cycle in 0..cycles {
        let at = 1 + rng.below(events as u64) as i64;
        let errno = if rng.chance(50) { 5 } else { 28 };
        let sticky = rng.chance(50);
        let out = run_writer(
            &lib,
            dir.path(),
            &[
                ("PF_FAIL_AT", at.to_string()),
                ("PF_FAIL_ERRNO", errno.to_string()),
                ("PF_FAIL_STICKY", u8::from(sticky).to_string()),
            ],
            statements,
            bulk_every,
        );
        let run = parse(&out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let what = format!("cycle {cycle} (errno {errno} at event {at}, sticky {sticky})");
        assert!(
            out.status.success() && run.done,
            "{what}: the writer died instead of reporting an error ({}):\n{run:?}\n{stderr}",
            out.status
        );
        for e in &run.errors {
            assert!(!e.contains("damaged"), "{what}: an I/O failure reported as damage: {e}");
            let clear = e.contains("I/O") || e.contains("Input/output") || e.contains("No space") || e.contains("disk");
            assert!(clear, "{what}: an unclear error: {e}");
        }
        failed_runs += u32::from(!run.errors.is_empty());
        errors_seen += run.errors.len();
        acked.0 = acked.0.max(run.items);
        acked.1.extend(run.batches.iter().copied());
        let now = reopen_and_verify(dir.path(), acked.0, &acked.1, &last, &what);
        acked.0 = now.items;
        acked.1.extend(now.batches.iter().copied());
        last = now;
    }
    println!(
        "sled faults: {cycles} cycles over {events} events per run, {failed_runs} runs saw \
         {errors_seen} errors, {} statements and {} batches verified",
        acked.0,
        acked.1.len()
    );
    assert!(failed_runs > 0, "no injected fault reached the writer");
}

/// sled picks the newest `snap.*` file at open, half-written `.generating` ones
/// included; a crash or an I/O error while it writes one must not make the database
/// unopenable (finding 13).
#[test]
fn an_unfinished_sled_snapshot_does_not_block_open() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        db.query(&workload::setup_statement(), &Params::new()).unwrap();
        db.query(&workload::item_statement(1), &Params::new()).unwrap();
    }
    let sled_dir = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir() && std::fs::read_dir(p).unwrap().flatten().any(|e| e.file_name() == "conf"))
        .expect("the storage engine's directory");
    std::fs::write(sled_dir.join("snap.FFFFFFFFFFFFFFF0.generating"), b"half a snapshot").unwrap();
    let db = Database::open(dir.path()).expect("opens past an unfinished snapshot");
    let now = workload::verify(&db, 1, &BTreeSet::new());
    assert_eq!(now.items, 1);
}
