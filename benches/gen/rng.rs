//! A small seeded pseudo-random generator (xoshiro256** seeded by SplitMix64) and a
//! preferential-attachment sampler. Integer arithmetic only, so output is identical on
//! every platform for the same seed.

/// SplitMix64 step: used to expand one seed into a full xoshiro state.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** generator.
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator for one seed and one stream; different streams are independent, so
    /// each generation phase can draw from its own without shifting the others.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mut sm = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { s }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A value in `0..n` (`n` > 0), by multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A value in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// An index drawn with the given integer weights (at least one weight positive).
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.below(total.max(1));
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// Preferential attachment over `0..n`: with probability `pool_percent` a draw repeats an
/// earlier draw (so the chance of a value grows with how often it was drawn), otherwise it
/// is uniform. Repeated draws give a power-law degree distribution with a heavy head.
pub struct Pref {
    pool: Vec<u32>,
    n: u32,
    pool_percent: u64,
}

impl Pref {
    /// A sampler over `0..n`.
    pub fn new(n: u32, pool_percent: u64) -> Self {
        Pref {
            pool: Vec::new(),
            n,
            pool_percent,
        }
    }

    /// Draws a value and remembers it.
    pub fn draw(&mut self, rng: &mut Rng) -> u32 {
        let mut v = rng.below(u64::from(self.n)) as u32;
        if !self.pool.is_empty() && rng.percent(self.pool_percent) {
            v = self.pool[rng.below(self.pool.len() as u64) as usize];
        }
        self.pool.push(v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = Rng::new(7, 1);
        let mut b = Rng::new(7, 1);
        let mut c = Rng::new(7, 2);
        let va: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let vb: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let vc: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(va, vb);
        assert_ne!(va, vc);
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new(1, 0);
        for n in [1u64, 2, 3, 10, 1000] {
            for _ in 0..1000 {
                assert!(r.below(n) < n);
            }
        }
    }
}
