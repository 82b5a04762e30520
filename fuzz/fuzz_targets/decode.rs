//! The record decoder on arbitrary bytes: every decoder returns a value or an
//! error, never panics, and never allocates out of proportion to its input; a
//! record that decodes re-encodes to bytes that decode to the same record.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lodestone_model::Value;
use lodestone_store::codec::{
    MAX_DEPTH, decode_block, decode_bucket, decode_edge, decode_edge_header, decode_node, decode_node_labels,
    encode_edge, encode_node,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts live bytes and their peak, to bound what one decode may allocate.
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
                let grow = new_size - layout.size();
                let now = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
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

/// Peak bytes allocated while `f` runs, above what was live before.
fn peak_of(f: impl FnOnce()) -> usize {
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    f();
    PEAK.load(Ordering::SeqCst).saturating_sub(base)
}

/// The same bound as tests/reliability_decode.rs.
fn allowance(len: usize) -> usize {
    64 * len + (MAX_DEPTH + 1) * 64 * std::mem::size_of::<Value>() + (64 << 10)
}

fuzz_target!(|data: &[u8]| {
    let limit = allowance(data.len());
    for (what, peak) in [
        ("node", peak_of(|| drop(decode_node(data)))),
        ("node labels", peak_of(|| drop(decode_node_labels(data)))),
        ("edge", peak_of(|| drop(decode_edge(data)))),
        ("edge header", peak_of(|| drop(decode_edge_header(data)))),
        ("block", peak_of(|| drop(decode_block(data)))),
        ("bucket", peak_of(|| drop(decode_bucket(data)))),
    ] {
        assert!(
            peak <= limit,
            "{what}: {} input bytes, {peak} bytes allocated",
            data.len()
        );
    }
    if let Ok((labels, props, citations)) = decode_node(data) {
        let again = encode_node(&labels, &props, &citations).expect("a decoded node re-encodes");
        let back = decode_node(&again).expect("a re-encoded node decodes");
        assert_eq!(format!("{back:?}"), format!("{:?}", (labels, props, citations)));
    }
    if let Ok((ty, start, end, props, citations)) = decode_edge(data) {
        let again = encode_edge(ty, start, end, &props, &citations).expect("a decoded edge re-encodes");
        let back = decode_edge(&again).expect("a re-encoded edge decodes");
        assert_eq!(format!("{back:?}"), format!("{:?}", (ty, start, end, props, citations)));
    }
});
