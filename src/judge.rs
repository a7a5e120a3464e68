//! One rule for "do these two differ?", used by every verdict mmap-lab
//! prints: the report's paragraph, "At a glance", `compare` and the
//! lessons.
//!
//! The rule is criterion.rs's (`src/analysis/compare.rs`):
//!
//! 1. a **p-value** from Welch's t statistic under a *mixed bootstrap*: both
//!    sets of samples are pooled, resampled with replacement and split
//!    again, which gives the distribution of t when the two come from one
//!    population; the p-value is the share of resampled |t| at least as large
//!    as the observed one;
//! 2. a **95% confidence interval of the ratio of medians** (new ÷ base, of
//!    times) from a bootstrap that resamples each side on its own;
//! 3. the interval held against one **noise threshold**
//!    ([`NOISE_THRESHOLD`]): only when the p-value is below
//!    [`SIGNIFICANCE_LEVEL`] *and* the whole interval lies beyond the
//!    threshold is the new side called faster or slower; otherwise the two
//!    are the same within noise.
//!
//! The bootstrap draws from PCG-64 with a fixed seed, so the same samples
//! always give the same judgement.
//!
//! ```
//! use mmap_lab::judge::{judge, Outcome};
//! let base = [100.0, 101.0, 99.0, 100.5, 100.2, 99.7, 100.1, 99.9];
//! let slower: Vec<f64> = base.iter().map(|t| t * 1.2).collect();
//! assert_eq!(judge(&base, &base).outcome, Outcome::Same);
//! assert_eq!(judge(&base, &slower).outcome, Outcome::Slower);
//! ```

use crate::results::Cell;
use crate::stats::median;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64;

/// Changes of time smaller than this fraction (3%) are noise, whatever the
/// statistics say: on a shared 2-core VM the same cell drifts by about this
/// much between rounds of one run. A ratio counts as a change only when its
/// whole 95% interval lies above `1 + NOISE_THRESHOLD` (slower) or below
/// `1 / (1 + NOISE_THRESHOLD)` (faster).
pub const NOISE_THRESHOLD: f64 = 0.03;

/// A difference counts only when the mixed-bootstrap p-value is below this.
pub const SIGNIFICANCE_LEVEL: f64 = 0.05;

/// Coverage of the confidence intervals.
pub const CONFIDENCE_LEVEL: f64 = 0.95;

/// Bootstrap resamples per judgement.
pub const RESAMPLES: usize = 2_000;

/// The bootstrap's seed: fixed, so a judgement is reproducible.
const SEED: u64 = 0x6a75_6467_6531_3900;

/// What the samples say about the new side against the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The new side takes less time, beyond noise.
    Faster,
    /// The new side takes more time, beyond noise.
    Slower,
    /// No difference the samples can show beyond [`NOISE_THRESHOLD`].
    Same,
}

/// A confidence interval of a ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower bound.
    pub lower: f64,
    /// Upper bound.
    pub upper: f64,
}

/// The judgement of one pair of sample sets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judgement {
    /// Median time of the new side over the base's (above 1: slower).
    pub ratio: f64,
    /// [`CONFIDENCE_LEVEL`] bootstrap interval of `ratio`.
    pub interval: Interval,
    /// Mixed-bootstrap p-value of Welch's t (1 when either side has fewer
    /// than two samples: nothing can be shown).
    pub p_value: f64,
    /// The verdict: the interval against the threshold, if significant.
    pub outcome: Outcome,
}

impl Judgement {
    /// True when the two are the same within noise.
    pub fn is_same(&self) -> bool {
        self.outcome == Outcome::Same
    }

    /// The verdict held against a wider `threshold` than the noise (a
    /// fraction, like [`NOISE_THRESHOLD`]): faster or slower only when the
    /// p-value is significant and the whole interval lies beyond it.
    pub fn outcome_beyond(&self, threshold: f64) -> Outcome {
        if self.p_value >= SIGNIFICANCE_LEVEL {
            Outcome::Same
        } else if self.interval.lower > 1.0 + threshold {
            Outcome::Slower
        } else if self.interval.upper < 1.0 / (1.0 + threshold) {
            Outcome::Faster
        } else {
            Outcome::Same
        }
    }
}

/// Judges the times `new` against the times `base` (any unit, the same on
/// both sides; each value one sample).
pub fn judge(base: &[f64], new: &[f64]) -> Judgement {
    let ratio = match (median(base), median(new)) {
        (Some(b), Some(n)) if b > 0.0 => n / b,
        _ => 1.0,
    };
    if base.len() < 2 || new.len() < 2 {
        return Judgement {
            ratio,
            interval: Interval {
                lower: ratio,
                upper: ratio,
            },
            p_value: 1.0,
            outcome: Outcome::Same,
        };
    }
    let mut rng = Pcg64::seed_from_u64(SEED);
    let interval = ratio_interval(base, new, &mut rng);
    let p_value = mixed_bootstrap_p(base, new, &mut rng);
    let mut judgement = Judgement {
        ratio,
        interval,
        p_value,
        outcome: Outcome::Same,
    };
    judgement.outcome = judgement.outcome_beyond(NOISE_THRESHOLD);
    judgement
}

/// Judges cell `new` against cell `base` by their timed samples (a cell
/// without samples, from a hand-made file, stands as its median alone).
pub fn cells(base: &Cell, new: &Cell) -> Judgement {
    judge(&times(base), &times(new))
}

/// A cell's timed samples in nanoseconds.
pub fn times(cell: &Cell) -> Vec<f64> {
    if cell.samples_ns.is_empty() {
        vec![cell.median_ns as f64]
    } else {
        cell.samples_ns.iter().map(|&t| t as f64).collect()
    }
}

/// A distribution-free [`CONFIDENCE_LEVEL`] interval of the median of
/// `samples` from their order statistics (the binomial ranks around the
/// middle); `None` for fewer than 6 samples, too few for one.
pub fn median_interval(samples: &[f64]) -> Option<Interval> {
    let n = samples.len();
    if n < 6 {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    // Normal approximation to the binomial ranks: n/2 ± 1.96·√n/2.
    let half = 1.96 * (n as f64).sqrt() / 2.0;
    let low = ((n as f64 / 2.0 - half).floor() as usize).min(n - 1);
    let high = ((n as f64 / 2.0 + half).ceil() as usize).min(n - 1);
    Some(Interval {
        lower: sorted[low],
        upper: sorted[high],
    })
}

/// The percentile interval of median(new*) ÷ median(base*) over resamples
/// of each side.
fn ratio_interval(base: &[f64], new: &[f64], rng: &mut Pcg64) -> Interval {
    let mut ratios = Vec::with_capacity(RESAMPLES);
    let (mut b, mut n) = (vec![0.0; base.len()], vec![0.0; new.len()]);
    for _ in 0..RESAMPLES {
        resample(base, &mut b, rng);
        resample(new, &mut n, rng);
        let (mb, mn) = (sorted_median(&mut b), sorted_median(&mut n));
        ratios.push(if mb > 0.0 { mn / mb } else { 1.0 });
    }
    ratios.sort_by(f64::total_cmp);
    let tail = (1.0 - CONFIDENCE_LEVEL) / 2.0;
    let at = |q: f64| ratios[((RESAMPLES - 1) as f64 * q).round() as usize];
    Interval {
        lower: at(tail),
        upper: at(1.0 - tail),
    }
}

/// The share of mixed-bootstrap resamples whose |t| is at least the
/// observed one, on samples tamed by [`tame`].
fn mixed_bootstrap_p(base: &[f64], new: &[f64], rng: &mut Pcg64) -> f64 {
    let (base, new) = (&tame(base)[..], &tame(new)[..]);
    let observed = welch_t(base, new).abs();
    let pooled: Vec<f64> = base.iter().chain(new).copied().collect();
    let mut all = vec![0.0; pooled.len()];
    let mut extreme = 0usize;
    for _ in 0..RESAMPLES {
        resample(&pooled, &mut all, rng);
        let (b, n) = all.split_at(base.len());
        if welch_t(b, n).abs() >= observed {
            extreme += 1;
        }
    }
    extreme as f64 / RESAMPLES as f64
}

/// `xs` with every value beyond Tukey's far fences (3 interquartile
/// ranges outside the quartiles) pulled in to the fence. On a shared
/// machine a sample preempted for milliseconds can be 20-40x the median;
/// left in, such outliers swell the variance until Welch's t cannot see a
/// 3x difference of medians. Criterion flags outliers by the same fences.
fn tame(xs: &[f64]) -> Vec<f64> {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let (q1, q3) = (at(0.25), at(0.75));
    let (low, high) = (q1 - 3.0 * (q3 - q1), q3 + 3.0 * (q3 - q1));
    xs.iter().map(|x| x.clamp(low, high)).collect()
}

/// Welch's t statistic of the difference of means (0 for equal means, and
/// infinite for different means with no spread at all).
fn welch_t(a: &[f64], b: &[f64]) -> f64 {
    let (ma, va) = mean_var(a);
    let (mb, vb) = mean_var(b);
    let diff = mb - ma;
    let se = (va / a.len() as f64 + vb / b.len() as f64).sqrt();
    if diff == 0.0 {
        0.0
    } else if se == 0.0 {
        f64::INFINITY.copysign(diff)
    } else {
        diff / se
    }
}

/// Mean and sample variance.
fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var)
}

/// Fills `out` with draws from `from`, with replacement.
fn resample(from: &[f64], out: &mut [f64], rng: &mut Pcg64) {
    for slot in out.iter_mut() {
        *slot = from[rng.random_range(0..from.len())];
    }
}

/// The median as [`crate::stats::median`] takes it (the upper middle),
/// sorting `xs` in place.
fn sorted_median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` made-up times around `centre` with a spread of about `spread`
    /// (a fraction), from a seeded generator.
    fn noisy(centre: f64, spread: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Pcg64::seed_from_u64(seed);
        (0..n)
            .map(|_| centre * (1.0 + spread * (rng.random::<f64>() * 2.0 - 1.0)))
            .collect()
    }

    #[test]
    fn identical_samples_are_the_same() {
        let a = noisy(1000.0, 0.05, 10, 1);
        let j = judge(&a, &a);
        assert_eq!(j.outcome, Outcome::Same);
        assert_eq!(j.ratio, 1.0);
        assert!(j.interval.lower <= 1.0 && j.interval.upper >= 1.0);
        assert!(j.p_value > 0.5, "p = {}", j.p_value);
    }

    #[test]
    fn two_draws_of_one_distribution_are_the_same() {
        for seed in 0..20 {
            let a = noisy(1000.0, 0.05, 10, seed);
            let b = noisy(1000.0, 0.05, 10, seed + 100);
            assert_eq!(judge(&a, &b).outcome, Outcome::Same, "seed {seed}");
        }
    }

    #[test]
    fn a_planted_twenty_percent_shift_is_slower_and_its_reverse_faster() {
        let a = noisy(1000.0, 0.05, 10, 7);
        let b = noisy(1200.0, 0.05, 10, 8);
        let j = judge(&a, &b);
        assert_eq!(j.outcome, Outcome::Slower);
        assert!(j.interval.lower > 1.1 && j.interval.upper < 1.3, "{j:?}");
        assert!(j.p_value < SIGNIFICANCE_LEVEL);
        assert_eq!(judge(&b, &a).outcome, Outcome::Faster);
    }

    #[test]
    fn a_real_shift_smaller_than_the_threshold_is_noise() {
        // 1% apart with almost no spread: significant, but within noise.
        let a = noisy(1000.0, 0.001, 20, 3);
        let b = noisy(1010.0, 0.001, 20, 4);
        let j = judge(&a, &b);
        assert!(j.p_value < SIGNIFICANCE_LEVEL, "{j:?}");
        assert_eq!(j.outcome, Outcome::Same);
    }

    #[test]
    fn a_shift_inside_wide_noise_is_not_called() {
        // 10% apart, but each side spreads over ±40%: five samples cannot tell.
        let a = noisy(1000.0, 0.4, 5, 11);
        let b = noisy(1100.0, 0.4, 5, 12);
        assert_eq!(judge(&a, &b).outcome, Outcome::Same);
    }

    #[test]
    fn outliers_do_not_hide_a_difference_of_medians() {
        // Each side: ten steady samples and two preempted 40x over.
        let with_outliers = |centre: f64, seed| {
            let mut xs = noisy(centre, 0.02, 10, seed);
            xs.extend([40_000.0, 45_000.0]);
            xs
        };
        let (a, b) = (with_outliers(1000.0, 1), with_outliers(2800.0, 2));
        assert_eq!(judge(&a, &b).outcome, Outcome::Slower);
        assert_eq!(judge(&a, &with_outliers(1000.0, 3)).outcome, Outcome::Same);
        assert!(tame(&a)[10] < 1100.0, "{:?}", tame(&a));
    }

    #[test]
    fn one_sample_a_side_shows_nothing() {
        let j = judge(&[100.0], &[200.0]);
        assert_eq!(j.outcome, Outcome::Same);
        assert_eq!(j.ratio, 2.0);
        assert_eq!(j.p_value, 1.0);
    }

    #[test]
    fn constant_samples_that_differ_are_judged() {
        let j = judge(&[100.0; 5], &[150.0; 5]);
        assert_eq!(j.outcome, Outcome::Slower);
        assert!(j.p_value < 0.01, "{j:?}");
    }

    #[test]
    fn judgements_are_reproducible() {
        let a = noisy(1000.0, 0.1, 8, 5);
        let b = noisy(1050.0, 0.1, 8, 6);
        assert_eq!(judge(&a, &b), judge(&a, &b));
    }

    #[test]
    fn the_median_interval_narrows_with_more_samples() {
        assert!(median_interval(&[1.0; 5]).is_none());
        let width = |n| {
            let i = median_interval(&noisy(1000.0, 0.1, n, 9)).unwrap();
            assert!(i.lower <= i.upper);
            i.upper - i.lower
        };
        assert!(width(200) < width(10), "{} vs {}", width(200), width(10));
    }
}
