//! Durable write throughput beside the disk's own sync rate:
//! `cargo run --release --bin lodestone-writes -- [DIR] [--commits N] [--rounds R]`.
//!
//! Prints, for a database in DIR (a temporary directory by default, on the disk to
//! measure): the disk's `fdatasync` rate for small appends and for small writes into
//! a file filled with zeros ahead (as the redo log is), single-statement durable
//! commits per second (one writer) and their ratio to those rates, measured in
//! alternating rounds (`--rounds R`, 5 by default; medians), the same statements
//! without a sync (deferred durability: the commit's own cost), with 4 writer
//! threads, and nodes per second when each commit creates 100 nodes.

use lodestone::{Database, Durability, Params, Value};
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

/// The same, writing into a file filled with zeros ahead (as the redo log is), so
/// a sync carries no change of the file's size.
fn fsync_rate_overwrite(dir: &Path, n: usize) -> f64 {
    use std::os::unix::fs::FileExt;
    let path = dir.join("fsync-probe-overwrite");
    let f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)
        .expect("create the probe file");
    f.write_all_at(&vec![0u8; 64 * n], 0).expect("fill");
    f.sync_all().expect("sync");
    let t = Instant::now();
    for i in 0..n {
        f.write_all_at(&[7u8; 64], 64 * i as u64).expect("write");
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

/// The median of `xs` (sorted in place).
fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut n = 500usize;
    let mut rounds = 5usize;
    let mut dir: Option<PathBuf> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--commits" => n = it.next().and_then(|v| v.parse().ok()).expect("--commits N"),
            "--rounds" => {
                rounds = it
                    .next()
                    .and_then(|v| v.parse::<usize>().ok())
                    .expect("--rounds N")
                    .max(1)
            }
            other => dir = Some(PathBuf::from(other)),
        }
    }
    let tmp = tempfile::tempdir_in(dir.as_deref().unwrap_or(Path::new("."))).expect("temporary directory");
    let db = Database::open(tmp.path().join("db")).expect("open");
    commits(&db, 0, 20);
    // The disk's rate drifts: each round measures it right before the commits, and
    // the ratio is taken per round.
    let (mut fsyncs, mut overwrites, mut singles) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ratios, mut ratios_over) = (Vec::new(), Vec::new());
    for r in 0..rounds {
        let fsync = fsync_rate(tmp.path(), n);
        let over = fsync_rate_overwrite(tmp.path(), n);
        let t = Instant::now();
        commits(&db, 100 + r * n, n);
        let single = n as f64 / t.elapsed().as_secs_f64();
        fsyncs.push(fsync);
        overwrites.push(over);
        singles.push(single);
        ratios.push(single / fsync);
        ratios_over.push(single / over);
    }
    let (lo, hi) = ratios
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    let (fsync, over, single) = (median(&mut fsyncs), median(&mut overwrites), median(&mut singles));
    let (ratio, ratio_over) = (median(&mut ratios), median(&mut ratios_over));
    db.set_durability(Durability::Deferred);
    let t = Instant::now();
    commits(&db, 10_000_000, n);
    let deferred = n as f64 / t.elapsed().as_secs_f64();
    db.set_durability(Durability::Immediate);
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
    println!("{rounds} rounds of {n}; medians:");
    println!("disk fdatasync rate (64-byte appends): {fsync:.0}/s");
    println!("disk fdatasync rate (64-byte writes into a file filled ahead): {over:.0}/s");
    println!(
        "single-statement durable commits, 1 writer: {single:.0}/s ({:.0}% of the append rate, \
         per round {:.0}-{:.0}%; {:.0}% of the filled-ahead rate)",
        100.0 * ratio,
        100.0 * lo,
        100.0 * hi,
        100.0 * ratio_over
    );
    println!("single-statement commits without a sync (deferred durability): {deferred:.0}/s");
    println!("single-statement durable commits, 4 writers: {concurrent:.0}/s");
    println!("commits of 100 nodes each: {batch_nodes:.0} nodes/s");
}
