//! Randomness: a small, fast pseudo-random generator (xorshift64*) seeded
//! from `/dev/urandom`, for test inputs; and [`mask_key`], straight from
//! the kernel, for WebSocket masking keys.
//!
//! Checks use random inputs so that a server under test cannot pass by
//! hard-coding one answer. xorshift is fine for that and useless against an
//! adversary: its output is an invertible function of its state, so a few
//! outputs give away every later one. RFC 6455 §5.3 requires each masking
//! key to come from "a strong source of entropy" so that a proxy (or the
//! script that chose the payload) cannot predict the next key, so masking
//! keys come from the kernel's generator instead (see [`mask_key`]).

use std::cell::RefCell;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::sync::OnceLock;
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

/// Bytes of kernel randomness a thread reads at once for masking keys:
/// one `read(2)` gives 64 keys.
pub const MASK_KEY_BATCH: usize = 256;

/// `/dev/urandom`, opened once for the process (`None` if it cannot be).
fn urandom() -> Option<&'static File> {
    static URANDOM: OnceLock<Option<File>> = OnceLock::new();
    URANDOM
        .get_or_init(|| File::open("/dev/urandom").ok())
        .as_ref()
}

/// Fills `buf` with unpredictable bytes: from `/dev/urandom` (the kernel's
/// ChaCha20 generator, never blocking once seeded at boot), or, where that
/// device is missing (a bare chroot), from std's `RandomState`.
///
/// Why `RandomState` is acceptable as the fallback: each `RandomState::new`
/// holds SipHash keys that std drew from the OS (`getrandom(2)`) for the
/// thread, and SipHash keyed with a secret is a pseudo-random function, so
/// hashing a counter with it gives output that cannot be predicted without
/// the keys. It is not a documented CSPRNG, hence only the fallback.
pub fn os_random(buf: &mut [u8]) {
    if let Some(mut f) = urandom()
        && f.read_exact(buf).is_ok()
    {
        return;
    }
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let keys = std::collections::hash_map::RandomState::new();
    for chunk in buf.chunks_mut(8) {
        let mut h = keys.build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        let v = h.finish().to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

/// A WebSocket masking key (RFC 6455 §5.3): 4 bytes from [`os_random`],
/// read [`MASK_KEY_BATCH`] bytes at a time per thread so that a key costs
/// no system call. The batch never leaves the thread, and each key is used
/// once, so knowing earlier keys tells nothing about the next one.
pub fn mask_key() -> [u8; 4] {
    thread_local! {
        static BATCH: RefCell<([u8; MASK_KEY_BATCH], usize)> =
            const { RefCell::new(([0; MASK_KEY_BATCH], MASK_KEY_BATCH)) };
    }
    BATCH.with(|b| {
        let (bytes, used) = &mut *b.borrow_mut();
        if *used + 4 > MASK_KEY_BATCH {
            os_random(bytes);
            *used = 0;
        }
        let mut key = [0; 4];
        key.copy_from_slice(&bytes[*used..*used + 4]);
        *used += 4;
        key
    })
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
    fn mask_keys_are_not_a_sequence() {
        // Not a test of randomness, which no test can show: a test that
        // keys change, span batches, and do not repeat in a small sample.
        let keys: Vec<[u8; 4]> = (0..3 * MASK_KEY_BATCH / 4).map(|_| mask_key()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert!(sorted.len() > keys.len() - 3, "repeated keys");
        let mut buf = [0u8; 64];
        os_random(&mut buf);
        assert_ne!(buf, [0u8; 64]);
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new();
        for n in 1..200 {
            assert!(r.below(n) < n);
        }
    }
}
