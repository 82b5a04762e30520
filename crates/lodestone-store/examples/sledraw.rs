use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args[1].clone();
    let n: u64 = args[2].parse().unwrap();
    let vs: usize = std::env::var("VS").map(|s| s.parse().unwrap()).unwrap_or(8);
    let chunk: u64 = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(10_000);
    let dir = "/tmp/sledraw";
    let _ = std::fs::remove_dir_all(dir);
    let db = sled::Config::new().path(dir).cache_capacity(256 << 20).flush_every_ms(None).mode(if std::env::var("LOWSPACE").is_ok() { sled::Mode::LowSpace } else { sled::Mode::HighThroughput }).open().unwrap();
    let t = Instant::now();
    let key = |i: u64| { let mut k = vec![b'O']; k.extend_from_slice(&(i / 5).to_be_bytes()); k.extend_from_slice(&((i % 6) as u32).to_be_bytes()); k.extend_from_slice(&i.to_be_bytes()); k };
    match mode.as_str() {
        "batch" => {
            let mut b = sled::Batch::default();
            for i in 0..n { b.insert(key(i), vec![7u8; vs]); }
            println!("built {:.2}", t.elapsed().as_secs_f64());
            db.apply_batch(b).unwrap();
        }
        "chunks" => {
            let mut b = sled::Batch::default();
            for i in 0..n { b.insert(key(i), &i.to_be_bytes()); if i % chunk == chunk - 1 { db.apply_batch(std::mem::take(&mut b)).unwrap(); } }
            db.apply_batch(b).unwrap();
        }
        _ => { for i in 0..n { db.insert(key(i), &i.to_be_bytes()).unwrap(); } }
    }
    println!("applied {:.2}", t.elapsed().as_secs_f64());
    db.flush().unwrap();
    println!("flushed {:.2} size {}", t.elapsed().as_secs_f64(), db.size_on_disk().unwrap());
    drop(db);
    let t = Instant::now();
    let db = sled::Config::new().path(dir).cache_capacity(256 << 20).open().unwrap();
    let c = db.iter().count();
    println!("reopen+iter {} in {:.2}", c, t.elapsed().as_secs_f64());
}
