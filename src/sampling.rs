//! How many timed samples a cell gets, and how steady they were.
//!
//! A cell is sampled in rounds (round-robin with the other methods of its
//! size): always the scenario's `samples` (the floor), then on until the
//! 95% interval of its median is within [`TARGET_PRECISION`] of the
//! median, or it has spent its time budget, or it reached [`MAX_SAMPLES`].
//! So a 5 µs cell gets dozens of samples cheaply and a 3 s cold read takes
//! its floor and no more; the default scenarios set small floors (5 warm,
//! 3 cold or synced) and let the budget decide. Every cell records its
//! [`Spread`]: the interval, the standard deviation, why sampling stopped,
//! and whether the samples were too unsteady to trust (pyperf's warnings).

use crate::judge::median_interval;
use crate::stats::median;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Sampling stops once the 95% interval of the median lies within this
/// fraction of the median, either side (2%).
pub const TARGET_PRECISION: f64 = 0.02;

/// The most timed samples one cell takes.
pub const MAX_SAMPLES: u32 = 50;

/// What one cell may spend on timed samples (wall time, preparation
/// included) before it stops short of the precision it wants; its floor
/// is taken whatever it costs.
pub const CELL_BUDGET: Duration = Duration::from_millis(150);

/// The budget under `--quick`.
pub const QUICK_CELL_BUDGET: Duration = Duration::from_millis(60);

/// A cell is unstable when its standard deviation is above this fraction
/// of its mean (pyperf's rule).
pub const UNSTABLE_STDDEV: f64 = 0.10;

/// ... or when its fastest or slowest sample is this far (as a fraction)
/// from the median.
pub const UNSTABLE_EXTREME: f64 = 0.5;

/// When to stop sampling one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    /// Samples a cell always takes (the scenario's `samples`).
    pub floor: u32,
    /// Most samples.
    pub cap: u32,
    /// Wall time the cell's timed samples may take in all.
    pub budget: Duration,
}

impl Plan {
    /// The plan for a scenario whose `samples` is `floor`.
    pub fn new(floor: u32, quick: bool) -> Plan {
        Plan {
            floor: floor.max(1),
            cap: MAX_SAMPLES.max(floor),
            budget: if quick {
                QUICK_CELL_BUDGET
            } else {
                CELL_BUDGET
            },
        }
    }

    /// Why a cell with `samples_ns` that took `spent` should stop, or
    /// `None` to take another round.
    pub fn stop(&self, samples_ns: &[u64], spent: Duration) -> Option<Stop> {
        let n = samples_ns.len() as u32;
        if n < self.floor {
            None
        } else if precision(samples_ns).is_some_and(|p| p <= TARGET_PRECISION) {
            Some(Stop::Precise)
        } else if n >= self.cap {
            Some(Stop::Cap)
        } else if spent >= self.budget {
            Some(Stop::Budget)
        } else {
            None
        }
    }
}

/// Why a cell took no more samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The median's interval was within [`TARGET_PRECISION`].
    Precise,
    /// The cell's time budget was spent (its floor may have taken longer).
    Budget,
    /// It reached [`MAX_SAMPLES`].
    Cap,
}

/// The half-width of the 95% interval of the median, as a fraction of the
/// median (the larger side); `None` with too few samples for an interval.
pub fn precision(samples_ns: &[u64]) -> Option<f64> {
    let xs: Vec<f64> = samples_ns.iter().map(|&t| t as f64).collect();
    let interval = median_interval(&xs)?;
    let m = median(&xs)?;
    (m > 0.0).then(|| ((m - interval.lower).max(interval.upper - m)) / m)
}

/// How steady a cell's timed samples were.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Timed samples taken.
    pub samples: u32,
    /// Why sampling stopped.
    pub stopped: Stop,
    /// 95% interval of the median in nanoseconds (order statistics); null
    /// with fewer than 6 samples.
    pub median_interval_ns: Option<[f64; 2]>,
    /// Mean of the samples, in nanoseconds.
    pub mean_ns: f64,
    /// Sample standard deviation, in nanoseconds.
    pub stddev_ns: f64,
    /// Why the samples are too unsteady to trust, one reason each (empty:
    /// stable).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unstable: Vec<String>,
}

impl Spread {
    /// The spread of `samples_ns`, which stopped for `stopped`.
    pub fn of(samples_ns: &[u64], stopped: Stop) -> Spread {
        let xs: Vec<f64> = samples_ns.iter().map(|&t| t as f64).collect();
        let n = xs.len().max(1) as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let stddev = if xs.len() > 1 {
            (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        let mut unstable = Vec::new();
        if mean > 0.0 && stddev / mean > UNSTABLE_STDDEV {
            unstable.push(format!(
                "standard deviation {:.0}% of the mean (above {:.0}%)",
                stddev / mean * 100.0,
                UNSTABLE_STDDEV * 100.0
            ));
        }
        if let (Some(m), Some(min), Some(max)) = (
            median(&xs),
            xs.iter().copied().reduce(f64::min),
            xs.iter().copied().reduce(f64::max),
        ) {
            if m > 0.0 && (max - m) / m > UNSTABLE_EXTREME {
                unstable.push(format!(
                    "slowest sample {:.0}% above the median",
                    (max - m) / m * 100.0
                ));
            }
            if m > 0.0 && (m - min) / m > UNSTABLE_EXTREME {
                unstable.push(format!(
                    "fastest sample {:.0}% below the median",
                    (m - min) / m * 100.0
                ));
            }
        }
        Spread {
            samples: samples_ns.len() as u32,
            stopped,
            median_interval_ns: median_interval(&xs).map(|i| [i.lower, i.upper]),
            mean_ns: mean,
            stddev_ns: stddev,
            unstable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steady(n: usize) -> Vec<u64> {
        (0..n).map(|i| 1000 + (i as u64 * 7) % 11).collect()
    }

    #[test]
    fn a_steady_cell_stops_at_its_floor_once_precise() {
        let plan = Plan::new(10, false);
        assert_eq!(plan.stop(&steady(9), Duration::ZERO), None);
        assert_eq!(plan.stop(&steady(10), Duration::ZERO), Some(Stop::Precise));
    }

    #[test]
    fn a_noisy_cell_samples_on_until_its_budget_or_the_cap() {
        let plan = Plan::new(5, false);
        let noisy: Vec<u64> = (0..8).map(|i| 1000 + (i * 373) % 600).collect();
        assert_eq!(plan.stop(&noisy, Duration::from_millis(10)), None);
        assert_eq!(
            plan.stop(&noisy, CELL_BUDGET + Duration::from_millis(1)),
            Some(Stop::Budget)
        );
        let many: Vec<u64> = (0..MAX_SAMPLES as u64)
            .map(|i| 1000 + (i * 373) % 600)
            .collect();
        assert_eq!(plan.stop(&many, Duration::ZERO), Some(Stop::Cap));
    }

    #[test]
    fn the_floor_holds_even_past_the_budget() {
        let plan = Plan::new(10, false);
        let over = Duration::from_secs(10);
        assert_eq!(plan.stop(&steady(9), over), None);
        assert_eq!(plan.stop(&steady(10), over), Some(Stop::Precise));
        let noisy: Vec<u64> = (0..10).map(|i| 1000 + (i * 373) % 600).collect();
        assert_eq!(plan.stop(&noisy, over), Some(Stop::Budget));
        // A floor above the cap raises the cap.
        assert_eq!(Plan::new(500, false).cap, 500);
    }

    #[test]
    fn unsteady_samples_are_flagged_with_the_reason() {
        assert!(Spread::of(&steady(10), Stop::Precise).unstable.is_empty());
        let spread = Spread::of(&[1000, 1000, 1000, 1000, 3000], Stop::Budget);
        assert_eq!(spread.unstable.len(), 2, "{:?}", spread.unstable);
        assert!(spread.unstable[0].starts_with("standard deviation"));
        assert!(spread.unstable[1].starts_with("slowest sample 200% above"));
        assert!(spread.median_interval_ns.is_none());
        let ten = Spread::of(&steady(10), Stop::Precise);
        let [lo, hi] = ten.median_interval_ns.unwrap();
        assert!(lo <= 1005.0 && hi >= 1005.0 && hi - lo < 20.0, "{lo} {hi}");
    }
}
