//! The record decoder on hostile bytes: arbitrary bytes, mutated valid records and
//! hand-built adversarial records decode to a value or an error, never a panic, a
//! stack overflow or an allocation out of proportion to the input.
//!
//! A counting global allocator measures the peak bytes live during each decode;
//! this binary holds a single test so nothing else allocates at the same time.

use lodestone_model::{Citation, Props, Value};
use lodestone_store::codec::{
    MAX_DEPTH, RECORD_VERSION, decode_block, decode_bucket, decode_edge, decode_edge_header, decode_node,
    decode_node_labels, encode_block, encode_bucket, encode_edge, encode_node,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

mod reliability;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only adds bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = LIVE.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes allocated at the peak of `f`, above what was live before it.
fn peak_of(f: impl FnOnce()) -> usize {
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    f();
    PEAK.load(Ordering::SeqCst).saturating_sub(base)
}

/// Every decoder on `bytes`; returns the largest peak allocation of any.
fn decode_all(bytes: &[u8]) -> usize {
    let mut worst = 0;
    worst = worst.max(peak_of(|| drop(decode_node(bytes))));
    worst = worst.max(peak_of(|| drop(decode_node_labels(bytes))));
    worst = worst.max(peak_of(|| drop(decode_edge(bytes))));
    worst = worst.max(peak_of(|| drop(decode_edge_header(bytes))));
    worst = worst.max(peak_of(|| drop(decode_block(bytes))));
    worst = worst.max(peak_of(|| drop(decode_bucket(bytes))));
    worst
}

/// The allocation a decode may make for an input of `len` bytes: a generous
/// constant factor of the input (decoded values are larger than their bytes) plus
/// a fixed allowance for a small reservation per nesting level; what it must never
/// do is grow with depth times size.
fn allowance(len: usize) -> usize {
    64 * len + (MAX_DEPTH + 1) * 64 * std::mem::size_of::<Value>() + (64 << 10)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A node record with one property `x` holding lists nested `depth` deep, where
/// every list claims as many items as bytes remain after its header.
fn nested_claims(depth: usize, pad: usize) -> Vec<u8> {
    let mut bytes = vec![RECORD_VERSION, 0, 1, 1, b'x'];
    let total = 5 + depth * 6 + pad;
    for _ in 0..depth {
        bytes.push(6);
        let remaining = total.saturating_sub(bytes.len() + 5);
        // A 5-byte varint: continuation bits on the first four bytes.
        let mut fixed = Vec::new();
        let mut r = remaining as u64;
        for i in 0..5 {
            let part = (r & 0x7f) as u8;
            r >>= 7;
            fixed.push(if i < 4 { part | 0x80 } else { part });
        }
        bytes.extend_from_slice(&fixed);
    }
    bytes.resize(total, 0);
    bytes
}

/// A block claiming one entry per remaining byte, and a bucket likewise.
fn wide_claims(len: usize) -> (Vec<u8>, Vec<u8>) {
    let mut block = vec![1u8];
    put_varint(&mut block, (len - 4) as u64);
    block.resize(len, 0);
    let mut bucket = vec![1u8];
    put_varint(&mut bucket, (len - 4) as u64);
    bucket.resize(len, 0);
    (block, bucket)
}

fn mutate(rng: &mut reliability::Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            bytes.push(rng.next_u64() as u8);
            continue;
        }
        let at = rng.below(bytes.len() as u64) as usize;
        match rng.below(5) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = rng.next_u64() as u8,
            2 => bytes.truncate(at),
            3 => bytes.insert(at, rng.next_u64() as u8),
            _ => {
                let v = [0x00, 0x7f, 0x80, 0xff][rng.below(4) as usize];
                bytes[at] = v;
            }
        }
    }
    bytes
}

fn sample_props(rng: &mut reliability::Rng) -> Props {
    let mut p = Props::new();
    p.insert("name".into(), Value::from("Mountain Pass"));
    p.insert("n".into(), Value::Int(rng.next_u64() as i64));
    let mut v = Value::List(vec![Value::Float(1.5), Value::Bool(true), Value::Null]);
    for _ in 0..rng.below(6) {
        v = Value::List(vec![v.clone(), Value::from("x")]);
    }
    p.insert("nested".into(), v);
    p.insert(
        "money".into(),
        "$1.3B"
            .parse::<lodestone_model::Money>()
            .map(Value::Money)
            .unwrap_or(Value::Null),
    );
    p
}

#[test]
fn hostile_records_give_errors_without_runaway_allocation() {
    let seed = reliability::seed("decode");
    let mut rng = reliability::Rng::new(seed);
    let inputs = reliability::count_from_env("LODESTONE_DECODE_INPUTS", 20_000, 50);
    let mut worst_ratio = 0.0f64;
    let mut checked = 0u64;
    let mut check = |bytes: &[u8], what: &str| {
        let peak = decode_all(bytes);
        assert!(
            peak <= allowance(bytes.len()),
            "{what}: decoding {} bytes allocated {peak} bytes at its peak",
            bytes.len()
        );
        worst_ratio = worst_ratio.max(peak as f64 / (bytes.len().max(1)) as f64);
        checked += 1;
    };

    // Random bytes, with and without a valid version byte in front.
    for _ in 0..inputs / 2 {
        let len = rng.below(300) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        check(&bytes, "random bytes");
        bytes.insert(0, RECORD_VERSION);
        check(&bytes, "random bytes after a version byte");
    }
    // Mutated valid records, blocks and buckets.
    for _ in 0..inputs / 2 {
        let props = sample_props(&mut rng);
        let cites = vec![Citation {
            source: "doc.txt".into(),
            line: Some(3),
            note: None,
        }];
        let node = encode_node(&[0, 3], &props, &cites).unwrap();
        let edge = encode_edge(2, 7, 9, &props, &[]).unwrap();
        let block = encode_block(&[(0, node.clone()), (5, edge.clone())]);
        let bucket = encode_bucket(&[(b"key".to_vec(), 4), (b"other".to_vec(), 9)]);
        for bytes in [node, edge, block, bucket] {
            let m = mutate(&mut rng, bytes);
            check(&m, "mutated record");
        }
    }
    // Adversarial shapes: nesting at and past the depth limit, each level claiming
    // the rest of the record; one list of many tiny items; wide blocks and buckets.
    for depth in [1, 8, MAX_DEPTH, MAX_DEPTH + 1, 10 * MAX_DEPTH] {
        for pad in [0, 1_000, 100_000] {
            check(
                &nested_claims(depth, pad),
                &format!("nested claims depth {depth} pad {pad}"),
            );
        }
    }
    for len in [100, 10_000, 1_000_000] {
        let (block, bucket) = wide_claims(len);
        check(&block, "wide block");
        check(&bucket, "wide bucket");
        let mut list = vec![RECORD_VERSION, 0, 1, 1, b'x', 6];
        put_varint(&mut list, len as u64);
        list.resize(len, 0);
        check(&list, "list of nulls");
    }
    println!("decode: {checked} inputs, worst peak allocation {worst_ratio:.1}x the input size");
}
