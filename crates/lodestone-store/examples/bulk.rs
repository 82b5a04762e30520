//! Loads a synthetic graph into a fresh on-disk store and reports load time, open
//! time and resident memory: `cargo run --release -p lodestone-store --example bulk -- 100000 DIR`.

use lodestone_model::{EdgeRecord, NodeId, NodeRecord, Props, Value};
use lodestone_store::{Durability, OpenOptions, SledStore, Storage};
use std::time::Instant;

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let dir = std::path::PathBuf::from(args.get(2).cloned().unwrap_or_else(|| "/tmp/lodestone-bulk".into()));
    let _ = std::fs::remove_dir_all(&dir);
    let labels = ["Company", "Deal", "Facility", "Deposit", "Government"];
    let types = ["SUPPLIES", "OWNS", "PARTNERS_WITH", "FUNDS", "OPERATES", "DEVELOPS"];
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let t = Instant::now();
    {
        let store = SledStore::open_with(
            &dir,
            OpenOptions {
                durability: Durability::Deferred,
                ..OpenOptions::default()
            },
        )
        .unwrap();
        let mut tx = store.write().unwrap();
        for i in 0..n {
            let mut props = Props::new();
            props.insert("name".into(), Value::String(format!("Entity {i}")));
            let label = labels[(i % 100).min(99) as usize * 5 / 100].to_string();
            tx.create_node(NodeRecord {
                labels: vec![label],
                props,
                citations: vec![],
            })
            .unwrap();
        }
        for i in 0..n * 5 {
            let start = i / 5;
            let r = rnd();
            let f = (r % 1_000_000) as f64 / 1_000_000.0;
            let end = ((f * f) * n as f64) as u64 % n;
            let ty = types[(r >> 32) as usize % types.len()].to_string();
            tx.create_edge(EdgeRecord {
                rel_type: ty,
                start: NodeId(start),
                end: NodeId(end),
                props: Props::new(),
                citations: vec![],
            })
            .unwrap();
        }
        let built = t.elapsed();
        tx.commit().unwrap();
        let committed = t.elapsed();
        store.flush().unwrap();
        println!(
            "load: build {:.2}s, commit done {:.2}s, flushed {:.2}s, rss {:.0} MB",
            built.as_secs_f64(),
            committed.as_secs_f64(),
            t.elapsed().as_secs_f64(),
            rss_mb()
        );
    }
    println!("closed at {:.2}s", t.elapsed().as_secs_f64());
    let rss_before = rss_mb();
    let t = Instant::now();
    let store = SledStore::open(&dir).unwrap();
    println!(
        "open: {:.3}s, rss {:.0} MB (before {:.0} MB), stats {:?}",
        t.elapsed().as_secs_f64(),
        rss_mb(),
        rss_before,
        store.read().unwrap().stats().unwrap().nodes
    );
    let t = Instant::now();
    let report = store.check().unwrap();
    println!(
        "check: {:.2}s, problems {:?}",
        t.elapsed().as_secs_f64(),
        &report.problems[..report.problems.len().min(3)]
    );
}
