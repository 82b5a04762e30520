//! Durable write throughput beside the disk's own sync rate:
//! `cargo run --release --bin lodestone-writes -- [DIR] [--commits N]`.
//!
//! Prints, for a database in DIR (a temporary directory by default, on the disk to
//! measure): the disk's `fdatasync` rate for small appends, single-statement durable
//! commits per second (one writer), the same with 4 writer threads, and nodes per
//! second when each commit creates 100 nodes.

use lodestone::{Database, Params, Value};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

fn fsync_rate(dir: &Path, n: usize) -> f64 {
    let path = dir.join("fsync-probe");
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .expect("create the probe file");
    let t = Instant::now();
    for _ in 0..n {
        f.write_all(&[7u8; 64]).expect("append");
        f.sync_data().expect("fdatasync");
    }
    let rate = n as f64 / t.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    rate
}

fn commits(db: &Database, from: usize, n: usize) {
    let mut params = Params::new();
    for i in from..from + n {
        params.insert("i".into(), Value::Int(i as i64));
        db.query("CREATE (:W {i: $i})", &params).expect("commit");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut n = 500usize;
    let mut dir: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--commits" => n = it.next().and_then(|v| v.parse().ok()).expect("--commits N"),
            other => dir = Some(PathBuf::from(other)),
        }
    }
    let tmp = tempfile::tempdir_in(dir.as_deref().unwrap_or(Path::new("."))).expect("temporary directory");
    let fsync = fsync_rate(tmp.path(), n);
    let db = Database::open(tmp.path().join("db")).expect("open");
    commits(&db, 0, 20);
    let t = Instant::now();
    commits(&db, 100, n);
    let single = n as f64 / t.elapsed().as_secs_f64();
    let db = Arc::new(db);
    let t = Instant::now();
    let threads: Vec<_> = (0..4)
        .map(|k| {
            let db = db.clone();
            std::thread::spawn(move || commits(&db, 1_000_000 + k * n, n / 4))
        })
        .collect();
    for th in threads {
        th.join().expect("writer thread");
    }
    let concurrent = (n / 4 * 4) as f64 / t.elapsed().as_secs_f64();
    let batches = (n / 10).max(1);
    let t = Instant::now();
    for b in 0..batches {
        let text = format!("UNWIND range(1, 100) AS i CREATE (:B {{batch: {b}, i: i}})");
        db.query(&text, &Params::new()).expect("batch commit");
    }
    let batch_nodes = (batches * 100) as f64 / t.elapsed().as_secs_f64();
    println!("disk fdatasync rate (64-byte appends): {fsync:.0}/s");
    println!(
        "single-statement durable commits, 1 writer: {single:.0}/s ({:.0}% of the fsync rate)",
        100.0 * single / fsync
    );
    println!("single-statement durable commits, 4 writers: {concurrent:.0}/s");
    println!("commits of 100 nodes each: {batch_nodes:.0} nodes/s");
}
