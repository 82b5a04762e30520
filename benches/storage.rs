//! Storage benchmarks: bulk load of a synthetic supply-chain graph in one deferred
//! transaction, opening the database, and a few anchored reads.
//!
//! `cargo bench --bench storage` runs at 100K nodes (~5 edges per node);
//! `LODESTONE_BENCH_LARGE=1 cargo bench --bench storage` at 1M nodes. Before the
//! criterion measurements it prints one-shot figures: load time, open time and the
//! resident memory of a fresh process right after open, with the topology snapshot
//! and without it (rebuilt from the records).

use criterion::{BenchmarkId, Criterion};
use lodestone_model::{Direction, EdgeRecord, NodeId, NodeRecord, Props, Value};
use lodestone_store::{Durability, OpenOptions, SledStore, Storage};
use std::hint::black_box;
use std::ops::ControlFlow;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;
use support::dir_size;

/// Set in a child process: open the database at this path, print the figures, exit.
const OPEN_CHILD_ENV: &str = "LODESTONE_BENCH_OPEN_DIR";

const LABELS: [(&str, u64); 5] = [
    ("Company", 60),
    ("Deal", 15),
    ("Facility", 13),
    ("Deposit", 10),
    ("Government", 2),
];
const TYPES: [&str; 6] = ["SUPPLIES", "OWNS", "PARTNERS_WITH", "FUNDS", "OPERATES", "DEVELOPS"];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn label_of(i: u64) -> &'static str {
    let mut p = i % 100;
    for (label, share) in LABELS {
        if p < share {
            return label;
        }
        p -= share;
    }
    "Company"
}

/// Loads `n` nodes and `5n` edges (skewed towards low ids) in one deferred transaction.
fn load(dir: &Path, n: u64) -> Duration {
    let t = Instant::now();
    let store = SledStore::open_with(
        dir,
        OpenOptions {
            durability: Durability::Deferred,
            ..OpenOptions::default()
        },
    )
    .expect("open");
    let mut tx = store.write().expect("write");
    for i in 0..n {
        let mut props = Props::new();
        props.insert("name".into(), Value::String(format!("{} {i}", label_of(i))));
        tx.create_node(NodeRecord {
            labels: vec![label_of(i).to_string()],
            props,
            citations: vec![],
        })
        .expect("node");
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..n * 5 {
        let r = rng.next();
        let f = (r % 1_000_000) as f64 / 1_000_000.0;
        let end = ((f * f) * n as f64) as u64 % n;
        tx.create_edge(EdgeRecord {
            rel_type: TYPES[(r >> 32) as usize % TYPES.len()].to_string(),
            start: NodeId(i / 5),
            end: NodeId(end),
            props: Props::new(),
            citations: vec![],
        })
        .expect("edge");
    }
    tx.commit().expect("commit");
    store.flush().expect("flush");
    drop(store);
    t.elapsed()
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Child process: open, report time and memory, and exit.
fn open_child(dir: &Path) {
    let t = Instant::now();
    let store = SledStore::open(dir).expect("open");
    let took = t.elapsed();
    let stats = store.read().expect("read").stats().expect("stats");
    println!(
        "open ({}): {:.3} s, resident memory after open: {:.0} MB ({} nodes, {} edges)",
        if store.topology_from_snapshot() {
            "topology snapshot"
        } else {
            "topology rebuilt from records"
        },
        took.as_secs_f64(),
        rss_mb(),
        stats.nodes,
        stats.edges
    );
}

fn main() {
    if let Some(dir) = std::env::var_os(OPEN_CHILD_ENV) {
        open_child(Path::new(&dir));
        return;
    }
    let large = std::env::var("LODESTONE_BENCH_LARGE").is_ok_and(|v| v == "1");
    let n: u64 = if large { 1_000_000 } else { 100_000 };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("db");

    let took = load(&db, n);
    println!(
        "bulk load of {n} nodes and {} edges (one deferred transaction): {:.2} s",
        n * 5,
        took.as_secs_f64()
    );
    let size = dir_size(&db);
    println!("size on disk: {:.0} MB", size as f64 / 1e6);
    // Three opens from the topology snapshot written at close, then one without it
    // (that open rebuilds the topology and writes the snapshot again at close).
    for round in 0..4 {
        if round == 3 {
            let _ = std::fs::remove_file(db.join("TOPOLOGY"));
        }
        let out = Command::new(std::env::current_exe().expect("exe"))
            .env(OPEN_CHILD_ENV, &db)
            .output()
            .expect("child");
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }

    let mut c = Criterion::default().configure_from_args().sample_size(10);
    if !large {
        c.bench_with_input(BenchmarkId::new("storage/bulk_load", n), &n, |b, &n| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let d = tempfile::tempdir().expect("tempdir");
                    total += load(&d.path().join("db"), n);
                }
                total
            })
        });
    }
    c.bench_with_input(BenchmarkId::new("storage/open", n), &db, |b, db| {
        b.iter(|| drop(black_box(SledStore::open(db).expect("open"))))
    });
    let store = SledStore::open(&db).expect("open");
    let mut c = c.sample_size(50);
    c.bench_function("storage/lookup_name", |b| {
        let r = store.read().expect("read");
        let mut i = 0u64;
        b.iter(|| {
            i = (i + 7919) % n;
            black_box(
                r.lookup_name(&format!("{} {i}", label_of(i).to_lowercase()))
                    .expect("lookup"),
            )
        })
    });
    c.bench_function("storage/expand_one_type", |b| {
        let r = store.read().expect("read");
        let mut i = 0u64;
        b.iter(|| {
            i = (i + 7919) % n;
            let mut count = 0u32;
            r.expand(NodeId(i), Direction::Both, &["OWNS"], &mut |_| {
                count += 1;
                ControlFlow::Continue(())
            })
            .expect("expand");
            black_box(count)
        })
    });
    c.bench_function("storage/node_record", |b| {
        let r = store.read().expect("read");
        let mut i = 0u64;
        b.iter(|| {
            i = (i + 7919) % n;
            black_box(r.node(NodeId(i)).expect("node"))
        })
    });
    c.final_summary();
}
