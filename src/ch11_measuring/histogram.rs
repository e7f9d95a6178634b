//! Latencies in bounded memory.
//!
//! A long run at 100,000 round trips a second would need hundreds of
//! megabytes to keep every sample. A histogram whose buckets grow with the
//! value keeps percentiles within 1/64 (1.6 %) in 16 KiB, whatever the run's
//! length: exact below 128 µs, then 64 buckets for each power of two.

/// Values below this are counted exactly.
const EXACT: u64 = 128;
/// Buckets per power of two above [`EXACT`].
const SUB: u64 = 64;
/// Enough buckets for 2^36 µs (19 hours).
const BUCKETS: usize = (EXACT + 30 * SUB) as usize;

/// Counts of microsecond values.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

fn bucket(v: u64) -> usize {
    if v < EXACT {
        return v as usize;
    }
    let e = 63 - v.leading_zeros() as u64; // 2^e <= v, e >= 7
    let m = v >> (e - 6); // the top 7 bits, 64..128
    ((EXACT + (e - 7) * SUB + (m - SUB)) as usize).min(BUCKETS - 1)
}

/// The smallest value that falls in bucket `i`.
fn lower_bound(i: usize) -> u64 {
    let i = i as u64;
    if i < EXACT {
        return i;
    }
    let e = (i - EXACT) / SUB + 7;
    let m = (i - EXACT) % SUB + SUB;
    m << (e - 6)
}

impl Histogram {
    pub fn new() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
        }
    }

    pub fn record(&mut self, micros: u64) {
        self.counts[bucket(micros)] += 1;
        self.total += 1;
        self.max = self.max.max(micros);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    /// The value below which `p` percent of the samples fall (the lower
    /// edge of its bucket); 0 when empty.
    pub fn percentile(&self, p: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((p / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return lower_bound(i).min(self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn buckets_round_trip_within_one_sixty_fourth() {
        let mut rng = Rng::new();
        for _ in 0..10_000 {
            let v = rng.below(1 << 34);
            let lo = lower_bound(bucket(v));
            assert!(lo <= v, "{v} -> {lo}");
            assert!((v - lo) as f64 <= v as f64 / 64.0, "{v} -> {lo}");
        }
        for v in 0..EXACT {
            assert_eq!(lower_bound(bucket(v)), v);
        }
    }

    #[test]
    fn percentiles_of_a_known_spread() {
        let mut h = Histogram::new();
        for v in 1..=1000 {
            h.record(v);
        }
        assert_eq!(h.count(), 1000);
        assert_eq!(h.max(), 1000);
        let p50 = h.percentile(50.0);
        assert!((492..=500).contains(&p50), "{p50}");
        let p99 = h.percentile(99.0);
        assert!((976..=990).contains(&p99), "{p99}");
        let mut other = Histogram::new();
        other.record(5000);
        h.merge(&other);
        assert_eq!(
            (h.count(), h.max(), h.percentile(100.0)),
            (1001, 5000, 4992)
        );
        assert_eq!(Histogram::new().percentile(99.0), 0);
    }
}
