//! A small, fast pseudo-random generator (xorshift64*) seeded from
//! `/dev/urandom`.
//!
//! Checks use random inputs so that a server under test cannot pass by
//! hard-coding one answer; the WebSocket client uses it for masking keys
//! (RFC 6455 §5.3 asks for keys that a proxy cannot predict; keys drawn from a
//! generator seeded by the kernel's entropy pool meet that for a teaching
//! crate). Not for cryptography.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

/// xorshift64* (Vigna, 2016). Passes BigCrush's linear tests well enough for
/// test inputs; the state must never be zero.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator with a fixed seed: the same seed gives the same sequence,
    /// so a failing random test can be replayed.
    pub fn with_seed(seed: u64) -> Rng {
        // splitmix64 scrambles small seeds (0, 1, 2...) into good states.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng {
            state: if z == 0 { 1 } else { z },
        }
    }

    /// A generator seeded from `/dev/urandom` (falling back to the clock and
    /// a counter if that cannot be read).
    pub fn new() -> Rng {
        Rng::with_seed(os_seed())
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        // Lemire's multiply-shift: unbiased enough for test inputs.
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below((hi - lo + 1) as u64) as usize
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.fill(&mut v);
        v
    }

    /// A random string of `n` characters from `alphabet`.
    pub fn string_from(&mut self, alphabet: &str, n: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        (0..n)
            .map(|_| chars[self.below(chars.len() as u64) as usize])
            .collect()
    }

    /// A random lower-case word of `n` letters, handy for paths and names.
    pub fn word(&mut self, n: usize) -> String {
        self.string_from("abcdefghijklmnopqrstuvwxyz", n)
    }
}

impl Default for Rng {
    fn default() -> Self {
        Rng::new()
    }
}

/// 64 bits from the kernel's entropy pool.
pub fn os_seed() -> u64 {
    let mut b = [0u8; 8];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .is_ok()
    {
        return u64::from_le_bytes(b);
    }
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    t ^ COUNTER.fetch_add(0x9E37_79B9, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::with_seed(7);
        let mut b = Rng::with_seed(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new();
        for n in 1..200 {
            assert!(r.below(n) < n);
        }
    }
}
