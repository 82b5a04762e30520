//! Support for the reliability tests (`tests/reliability_*.rs`): a seeded random
//! source, run-length knobs read from the environment, the crash workload and its
//! verifier, a fault-injecting storage wrapper, and a naive pattern evaluator.
//!
//! Not every test binary uses every helper.
#![allow(dead_code, unused_imports)]

pub mod faulty;
pub mod naive;
pub mod rng;
pub mod workload;

pub use rng::{Rng, count_from_env, seed, soak};
