//! A seeded random source and the run-length knobs read from the environment.

use std::time::{SystemTime, UNIX_EPOCH};

/// A small xorshift generator: reproducible from its seed, no dependencies.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed` (zero is replaced, xorshift needs a set bit).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Whether the long soak runs were asked for (`LODESTONE_SOAK=1`).
pub fn soak() -> bool {
    std::env::var("LODESTONE_SOAK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// A count from the environment variable `name`, else `default` (multiplied by
/// `soak_factor` under `LODESTONE_SOAK`).
pub fn count_from_env(name: &str, default: u64, soak_factor: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if soak() { default * soak_factor } else { default })
}

/// The seed for this run: `LODESTONE_SEED` when set, else the clock. Printed so a
/// failing run can be repeated.
pub fn seed(test: &str) -> u64 {
    let seed = std::env::var("LODESTONE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    println!("{test}: seed {seed} (repeat with LODESTONE_SEED={seed})");
    seed
}
