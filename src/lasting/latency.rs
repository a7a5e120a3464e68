//! Access latencies where a method can time its accesses cheaply (a
//! `pread` per access): a log-linear histogram per thread, 8 buckets per
//! power of two (at most 12.5% wide), merged into percentiles.

/// Values below this many nanoseconds get a bucket each.
const LINEAR: u64 = 16;
/// Buckets per power of two above [`LINEAR`].
const PER_OCTAVE: u64 = 8;
/// Buckets in all: the linear ones and 8 for each octave from 16 up.
const BUCKETS: usize = (LINEAR + (64 - 4) * PER_OCTAVE) as usize;

/// Counts of latencies by bucket.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            max: 0,
        }
    }
}

fn bucket(ns: u64) -> usize {
    if ns < LINEAR {
        return ns as usize;
    }
    let msb = 63 - u64::from(ns.leading_zeros());
    let sub = (ns >> (msb - 3)) & (PER_OCTAVE - 1);
    (LINEAR + (msb - 4) * PER_OCTAVE + sub) as usize
}

fn lower_bound(index: usize) -> u64 {
    let index = index as u64;
    if index < LINEAR {
        return index;
    }
    let (octave, sub) = ((index - LINEAR) / PER_OCTAVE, (index - LINEAR) % PER_OCTAVE);
    (PER_OCTAVE + sub) << (octave + 1)
}

/// Latency percentiles over a run, nanoseconds (each the lower edge of its
/// bucket, so at most 12.5% below the true value; `max` is exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Percentiles {
    /// Accesses timed.
    pub count: u64,
    /// Median.
    pub p50_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.9th percentile.
    pub p999_ns: u64,
    /// The slowest access.
    pub max_ns: u64,
}

impl Histogram {
    /// Counts one latency.
    pub fn record(&mut self, ns: u64) {
        self.counts[bucket(ns)] += 1;
        self.max = self.max.max(ns);
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.max = self.max.max(other.max);
    }

    /// The percentiles; `None` when nothing was timed.
    pub fn percentiles(&self) -> Option<Percentiles> {
        let count: u64 = self.counts.iter().sum();
        if count == 0 {
            return None;
        }
        let at = |q: f64| {
            let rank = ((count as f64 * q).ceil() as u64).max(1);
            let mut seen = 0;
            for (index, &n) in self.counts.iter().enumerate() {
                seen += n;
                if seen >= rank {
                    return lower_bound(index);
                }
            }
            self.max
        };
        Some(Percentiles {
            count,
            p50_ns: at(0.5),
            p99_ns: at(0.99),
            p999_ns: at(0.999),
            max_ns: self.max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_at_most_an_eighth_wide_and_ordered() {
        let mut last = 0;
        for ns in [
            0,
            1,
            15,
            16,
            17,
            31,
            32,
            100,
            1000,
            4096,
            123_456,
            10_000_000_000,
        ] {
            let index = bucket(ns);
            assert!(index >= last && index < BUCKETS, "{ns}");
            last = index;
            let low = lower_bound(index);
            assert!(low <= ns && ns - low <= ns / 8, "{ns} in bucket from {low}");
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn percentiles_of_a_known_spread() {
        let mut one = Histogram::default();
        let mut two = Histogram::default();
        for ns in 1..=1000u64 {
            one.record(ns * 1000);
        }
        two.record(5_000_000);
        one.merge(&two);
        let p = one.percentiles().unwrap();
        assert_eq!(p.count, 1001);
        assert!(p.p50_ns <= 501_000 && p.p50_ns >= 501_000 * 7 / 8, "{p:?}");
        assert!(p.p99_ns <= 991_000 && p.p99_ns >= 991_000 * 7 / 8, "{p:?}");
        assert_eq!(p.max_ns, 5_000_000);
        assert_eq!(Histogram::default().percentiles(), None);
    }
}
