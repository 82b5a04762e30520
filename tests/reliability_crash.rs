//! Crash safety of the library: a writer process commits statements through
//! `lodestone::Database` and is killed with SIGKILL at random moments, cycle after
//! cycle, on one database. After every kill the database is reopened and verified
//! (see `reliability/workload.rs`): every acknowledged statement is present, no
//! statement is partly visible, the adjacency and name indexes agree with the
//! records, and the store's own check passes.
//!
//! The writer is this test binary re-executed with `LODESTONE_RELIABILITY_WRITER`
//! naming the database; it prints `ACK k` after statement `k` returns and `BULK b`
//! after bulk batch `b` is flushed. Some cycles are bulk-heavy (a large one-statement
//! load with deferred durability and a flush), and some kill the writer while it
//! is still opening (recovering) the database.
//!
//! Cycles: `LODESTONE_CRASH_CYCLES` (default 50; 500 under `LODESTONE_SOAK`).

mod reliability;

use lodestone::{Database, Durability, Params, Value};
use reliability::workload::{self, Verified};
use reliability::{Rng, count_from_env};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const WRITER_ENV: &str = "LODESTONE_RELIABILITY_WRITER";
const SEED_ENV: &str = "LODESTONE_RELIABILITY_WRITER_SEED";
const MODE_ENV: &str = "LODESTONE_RELIABILITY_WRITER_MODE";

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(i) => *i,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// Child role: commit the workload until killed.
#[test]
fn child_library_writer() {
    let Some(dir) = std::env::var_os(WRITER_ENV) else {
        return;
    };
    let seed: u64 = std::env::var(SEED_ENV).ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    let bulk_heavy = std::env::var(MODE_ENV).is_ok_and(|m| m == "bulk");
    let mut rng = Rng::new(seed);
    let mut out = std::io::stdout();
    let db = Database::open(Path::new(&dir)).expect("writer opens the database");
    writeln!(out, "OPEN").unwrap();
    let none = Params::new();
    let counter = db
        .query("MATCH (c:Counter) RETURN c.value", &none)
        .expect("read counter")
        .rows;
    let mut k = match counter.first() {
        Some(row) => int(&row[0]),
        None => {
            db.query(&workload::setup_statement(), &none).expect("setup");
            writeln!(out, "SETUP").unwrap();
            0
        }
    };
    let batch = db
        .query("MATCH (m:BulkMark) RETURN max(m.batch)", &none)
        .expect("read batches")
        .rows;
    let mut batch = match batch.first().map(|r| &r[0]) {
        Some(Value::Int(b)) => *b,
        _ => 0,
    };
    loop {
        let bulk = if bulk_heavy { rng.chance(70) } else { rng.chance(4) };
        if bulk {
            batch += 1;
            let size = if bulk_heavy {
                200 + rng.below(1000) as i64
            } else {
                20 + rng.below(200) as i64
            };
            db.set_durability(Durability::Deferred);
            db.query(&workload::bulk_statement(batch, size), &none)
                .expect("bulk statement");
            db.flush().expect("flush");
            db.set_durability(Durability::Immediate);
            writeln!(out, "BULK {batch}").unwrap();
        } else {
            k += 1;
            let got = db.query(&workload::item_statement(k), &none).expect("item statement");
            assert_eq!(got.rows, vec![vec![Value::Int(k)]]);
            writeln!(out, "ACK {k}").unwrap();
        }
        out.flush().unwrap();
    }
}

fn spawn_writer(dir: &Path, seed: u64, bulk: bool) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_library_writer", "--nocapture", "--test-threads=1"])
        .env(WRITER_ENV, dir)
        .env(SEED_ENV, seed.to_string())
        .env(MODE_ENV, if bulk { "bulk" } else { "mixed" })
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn writer")
}

/// The child's stdout lines, through a channel.
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

#[derive(Debug, Default)]
struct Acked {
    items: i64,
    batches: BTreeSet<i64>,
    lines: u64,
}

impl Acked {
    fn note(&mut self, line: &str) {
        if let Some(k) = line.strip_prefix("ACK ").and_then(|k| k.parse::<i64>().ok()) {
            self.items = self.items.max(k);
            self.lines += 1;
        } else if let Some(b) = line.strip_prefix("BULK ").and_then(|b| b.parse::<i64>().ok()) {
            self.batches.insert(b);
            self.lines += 1;
        } else if line == "SETUP" || line == "OPEN" {
            self.lines += 1;
        }
    }
}

/// Tallies of a crash run, printed for RELIABILITY.md.
#[derive(Debug, Default)]
struct Tally {
    cycles: u64,
    early_kills: u64,
    bulk_cycles: u64,
    acked_items: i64,
    acked_batches: usize,
    unacked_but_present: i64,
    verify_time: Duration,
}

#[test]
fn killed_library_writer_loses_nothing_acknowledged() {
    let cycles = count_from_env("LODESTONE_CRASH_CYCLES", 50, 10);
    let seed = reliability::seed("library crash");
    let mut rng = Rng::new(seed);
    let mut dir = tempfile::tempdir().unwrap();
    let mut acked = Acked::default();
    let mut tally = Tally::default();
    let mut last = Verified::default();
    for cycle in 0..cycles {
        // Long runs start a fresh database every 50 cycles, so verification stays quick.
        if cycle > 0 && cycle % 50 == 0 {
            dir = tempfile::tempdir().unwrap();
            tally.acked_items += acked.items;
            tally.acked_batches += acked.batches.len();
            acked = Acked {
                lines: acked.lines,
                ..Acked::default()
            };
            last = Verified::default();
        }
        let bulk = rng.chance(25);
        let early = rng.chance(12);
        let mut child = spawn_writer(dir.path(), rng.next_u64(), bulk);
        let rx = lines_of(&mut child);
        // Kill either at a random moment after spawning (maybe mid-recovery), or at a
        // random moment after the writer's first acknowledgement.
        let delay = Duration::from_millis(if early { rng.below(60) } else { 1 + rng.below(150) });
        let spawned = Instant::now();
        let mut first: Option<Instant> = None;
        let deadline = spawned + Duration::from_secs(60);
        loop {
            match rx.recv_timeout(Duration::from_millis(1)) {
                Ok(line) => {
                    acked.note(&line);
                    if line.starts_with("ACK") || line.starts_with("BULK") {
                        first.get_or_insert_with(Instant::now);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    let mut err = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = std::io::Read::read_to_string(&mut e, &mut err);
                    }
                    panic!("cycle {cycle}: the writer exited on its own:\n{err}");
                }
            }
            let start = if early { Some(spawned) } else { first };
            if start.is_some_and(|s| s.elapsed() >= delay) {
                break;
            }
            assert!(Instant::now() < deadline, "cycle {cycle}: the writer made no progress");
        }
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        // Lines written before the kill are acknowledgements too.
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            acked.note(&line);
        }
        let verify_started = Instant::now();
        let db = Database::open(dir.path()).unwrap_or_else(|e| panic!("cycle {cycle}: reopen failed: {e}"));
        let now = workload::verify(&db, acked.items, &acked.batches);
        assert!(
            now.items >= last.items,
            "cycle {cycle}: counter went back from {} to {}",
            last.items,
            now.items
        );
        assert!(
            now.batches.is_superset(&last.batches),
            "cycle {cycle}: a verified batch disappeared"
        );
        tally.unacked_but_present += now.items - acked.items;
        // What survived is now committed for good: later cycles must keep it.
        acked.items = now.items;
        acked.batches.extend(now.batches.iter().copied());
        last = now;
        drop(db);
        tally.verify_time += verify_started.elapsed();
        tally.cycles += 1;
        tally.early_kills += u64::from(early);
        tally.bulk_cycles += u64::from(bulk);
    }
    tally.acked_items += acked.items;
    tally.acked_batches += acked.batches.len();
    println!("library crash: {tally:?}, {} acknowledgement lines", acked.lines);
    assert!(tally.acked_items > 0, "the writer never committed a statement");
}
