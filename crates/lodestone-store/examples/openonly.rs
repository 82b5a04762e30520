//! Opens an existing store and reports the open time and resident memory:
//! `cargo run --release -p lodestone-store --example openonly -- DIR`.
use lodestone_store::{SledStore, Storage};
use std::time::Instant;
fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "/tmp/lodestone-bulk".into()));
    let t = Instant::now();
    let store = SledStore::open(&dir).unwrap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .unwrap_or("")
        .to_string();
    println!(
        "open {:.3}s {rss} nodes {}",
        t.elapsed().as_secs_f64(),
        store.read().unwrap().stats().unwrap().nodes
    );
}
