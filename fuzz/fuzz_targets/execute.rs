//! Query execution on a small random graph: random well-formed pattern queries
//! never panic, and their rows equal a brute-force evaluator's (as multisets).
//! The graph, the query and the evaluator are in tests/reliability/naive.rs, shared
//! with the proptest `pattern_queries_agree_with_a_naive_evaluator`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/reliability/naive.rs"]
#[allow(dead_code)]
mod naive;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = naive::check(data) {
        panic!("{e}");
    }
});
