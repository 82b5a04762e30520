//! Opens a database read-only and prints the open time, resident memory and the time
//! of a few property reads: `cargo run --release -p lodestone-store --example open_time -- DIR [--write]`.
//! With `--write` the database is opened for writing, so closing it may write files.

use lodestone_model::{Direction, NodeId};
use lodestone_store::{OpenOptions, SledStore, Storage};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse::<f64>().ok()))
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU time of this thread so far, in seconds (wall time is noisy on a shared machine).
fn cpu() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse::<f64>().ok()))
        .map_or(0.0, |ns| ns / 1e9)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1).map(PathBuf::from) else {
        eprintln!("usage: open_time DIR [--write]");
        return;
    };
    let write = args.iter().any(|a| a == "--write");
    let t = Instant::now();
    let c = cpu();
    let store = match SledStore::open_with(
        &dir,
        OpenOptions {
            read_only: !write,
            record_cache: std::env::var("RECORD_CACHE")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(OpenOptions::default().record_cache),
            ..OpenOptions::default()
        },
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("open failed: {e}");
            return;
        }
    };
    println!(
        "open: {:.3} s wall, {:.3} s cpu, rss {:.0} MiB",
        t.elapsed().as_secs_f64(),
        cpu() - c,
        rss_mib()
    );
    let Ok(read) = store.read() else { return };
    let Ok(stats) = read.stats() else { return };
    println!("nodes {} edges {}", stats.nodes, stats.edges);
    // The hub: the node with the most edges. Read every neighbour's record twice.
    let hub = read
        .all_nodes()
        .unwrap_or_default()
        .into_iter()
        .max_by_key(|n| read.degree(*n, Direction::Both, &[]).unwrap_or(0))
        .unwrap_or(NodeId(0));
    for round in 0..2 {
        let t = cpu();
        let mut rows = 0u64;
        let mut bytes = 0usize;
        let _ = read.expand(hub, Direction::Both, &[], &mut |a| {
            if let Ok(Some(r)) = read.node(a.other) {
                bytes += r.props.len();
            }
            if let Ok(Some(r)) = read.edge(a.edge) {
                bytes += r.props.len();
            }
            rows += 1;
            ControlFlow::Continue(())
        });
        let el = cpu() - t;
        println!(
            "hub round {round}: {rows} rows, {:.2} us/row cpu ({bytes})",
            el * 1e6 / rows.max(1) as f64
        );
    }
    let t = cpu();
    let mut n = 0u64;
    if let Ok(ids) = read.all_nodes() {
        for id in ids.iter().step_by(7).take(200_000) {
            if let Ok(Some(r)) = read.node(*id) {
                n += r.props.len() as u64;
            }
        }
    }
    println!("scattered node reads: {:.3} s cpu ({n})", cpu() - t);
    drop(read);
    let t = Instant::now();
    drop(store);
    println!("close: {:.3} s", t.elapsed().as_secs_f64());
}
