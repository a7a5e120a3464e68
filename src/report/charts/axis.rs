//! Chart axes: how a value maps to a position (linear, log, or a symmetric log
//! that keeps zero visible), which ticks to draw, and how to label them.

use crate::report::format::{bytes_tick, count_tick, percent, rate_tick};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use std::ops::Range;

/// How values are placed along an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    /// Position is the value; the axis starts at zero.
    Linear,
    /// Position is log10 of the value; zero and negatives cannot be shown.
    Log,
    /// Position is log10(1 + value): zero sits at the axis origin, large values
    /// are spaced like a log axis. Counts that are zero stay visible.
    SymLog,
}

/// What the numbers on an axis are, which decides tick values and labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Bytes per second, in decimal units.
    Rate,
    /// Bytes, with ticks on powers of two.
    Bytes,
    /// Plain counts or amounts per byte.
    Count,
    /// A speed ratio (1 = the same).
    Ratio,
    /// A fraction shown as a percentage.
    Percent,
    /// Nanoseconds, printed as µs or ms.
    Time,
}

/// A fitted axis: its range and ticks in position space.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    pub scale: Scale,
    pub unit: Unit,
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<f64>,
}

impl Scale {
    /// Position of a value, or None where this scale cannot show it.
    pub(crate) fn position(self, value: f64) -> Option<f64> {
        if !value.is_finite() {
            return None;
        }
        match self {
            Scale::Linear => Some(value),
            Scale::Log => (value > 0.0).then(|| value.log10()),
            Scale::SymLog => (value >= 0.0).then(|| (1.0 + value).log10()),
        }
    }

    /// The value at a position (inverse of [`Scale::position`]).
    pub(crate) fn value(self, position: f64) -> f64 {
        match self {
            Scale::Linear => position,
            Scale::Log => 10f64.powf(position),
            Scale::SymLog => 10f64.powf(position) - 1.0,
        }
    }
}

impl Unit {
    /// The tick label for a value.
    pub(crate) fn label(self, value: f64) -> String {
        match self {
            Unit::Rate => rate_tick(value),
            Unit::Bytes => bytes_tick(value),
            Unit::Count => count_tick(value),
            Unit::Ratio => format!("{}×", count_tick(value)),
            Unit::Percent => percent(value),
            Unit::Time => crate::units::Nanos(value).to_string(),
        }
    }
}

/// Candidate tick values for a log axis over `[min, max]`, ascending.
fn log_candidates(unit: Unit, min: f64, max: f64, max_ticks: usize) -> Vec<f64> {
    if unit == Unit::Bytes {
        let lo = min.log2().floor() as i32;
        let hi = max.log2().ceil() as i32;
        let span = (hi - lo).max(1);
        let step = [1, 2, 4, 5, 10, 20]
            .into_iter()
            .find(|s| ((span as f64 / *s as f64).ceil() as usize) <= max_ticks.max(2))
            .unwrap_or(20);
        let start = lo.div_euclid(step) * step;
        return (start..=hi + step)
            .step_by(step as usize)
            .map(|e| 2f64.powi(e))
            .collect();
    }
    let lo = min.log10().floor() as i32;
    let hi = max.log10().ceil() as i32;
    let decades = (hi - lo).max(1) as usize;
    let mantissas: &[f64] = if decades * 3 <= max_ticks + 4 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let step = decades.div_ceil(max_ticks.max(2)).max(1);
    let mut values = Vec::new();
    for e in (lo..=hi).step_by(step) {
        for m in mantissas {
            values.push(m * 10f64.powi(e));
        }
    }
    values
}

/// A "nice" step (1, 2 or 5 times a power of ten) giving at most `max_ticks` ticks.
fn nice_step(span: f64, max_ticks: usize) -> f64 {
    let raw = span / max_ticks.max(2) as f64;
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power)
}

impl Axis {
    /// Fits an axis to the values it must show, with at most about `max_ticks` ticks.
    pub(crate) fn fit(
        scale: Scale,
        unit: Unit,
        values: impl IntoIterator<Item = f64>,
        max_ticks: usize,
    ) -> Axis {
        let shown: Vec<f64> = values
            .into_iter()
            .filter(|v| scale.position(*v).is_some())
            .collect();
        let min = shown.iter().copied().fold(f64::INFINITY, f64::min);
        let max = shown.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let ticks: Vec<f64> = match scale {
            _ if shown.is_empty() => vec![0.0, 1.0],
            Scale::Log => {
                let candidates = log_candidates(unit, min, max, max_ticks);
                let lo = candidates
                    .iter()
                    .copied()
                    .filter(|v| *v <= min * (1.0 + 1e-9))
                    .fold(candidates[0], f64::max);
                let hi = candidates
                    .iter()
                    .copied()
                    .find(|v| *v >= max * (1.0 - 1e-9))
                    .unwrap_or(max);
                let mut t: Vec<f64> = candidates
                    .into_iter()
                    .filter(|v| *v >= lo && *v <= hi)
                    .collect();
                if t.len() < 2 {
                    t = vec![lo, hi.max(lo * 2.0)];
                }
                t
            }
            Scale::SymLog => {
                let top = max.max(1.0).log10().ceil() as i32;
                let step = (top as usize).div_ceil(max_ticks.max(2) - 1).max(1);
                std::iter::once(0.0)
                    .chain((0..=top).step_by(step).map(|e| 10f64.powi(e)))
                    .collect()
            }
            Scale::Linear => {
                let top = if unit == Unit::Percent {
                    max.max(1.0)
                } else {
                    max.max(min.abs()).max(f64::MIN_POSITIVE)
                };
                let top = if top == f64::MIN_POSITIVE { 1.0 } else { top };
                let step = nice_step(top, max_ticks);
                let count = (top / step).ceil() as usize;
                (0..=count).map(|i| i as f64 * step).collect()
            }
        };
        let positions: Vec<f64> = ticks.iter().filter_map(|v| scale.position(*v)).collect();
        let lo = positions.first().copied().unwrap_or(0.0);
        let hi = positions.last().copied().unwrap_or(1.0);
        let pad = (hi - lo) * 0.03;
        Axis {
            scale,
            unit,
            lo: lo - pad,
            hi: hi + pad,
            ticks: positions,
        }
    }

    /// The plotters coordinate for this axis.
    pub(crate) fn coord(&self) -> Ticked {
        Ticked {
            lo: self.lo,
            hi: self.hi,
            ticks: self.ticks.clone(),
        }
    }

    /// Position of a value on this axis.
    pub(crate) fn position(&self, value: f64) -> Option<f64> {
        self.scale.position(value)
    }

    /// Label for the tick at a position.
    pub(crate) fn label(&self, position: f64) -> String {
        let value = self.scale.value(position);
        // Undo float noise so 2^20 labels as "1 MiB" and 10^9 as "1 GB/s".
        let rounded = if self.unit == Unit::Bytes && value >= 1.0 {
            2f64.powf(value.log2().round())
        } else if value.abs() >= 1.0 {
            let digits = value.abs().log10().floor() as i32 - 5;
            let unit = 10f64.powi(digits.max(0));
            (value / unit).round() * unit
        } else {
            (value * 1e6).round() / 1e6
        };
        self.unit.label(rounded)
    }
}

/// A linear plotters coordinate whose ticks are exactly the ones given.
#[derive(Debug, Clone)]
pub(crate) struct Ticked {
    pub lo: f64,
    pub hi: f64,
    pub ticks: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        limit.0 + ((limit.1 - limit.0) as f64 * t).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_ticks_are_powers_of_two() {
        let axis = Axis::fit(Scale::Log, Unit::Bytes, [4096.0, 268435456.0], 6);
        let labels: Vec<String> = axis.ticks.iter().map(|p| axis.label(*p)).collect();
        assert_eq!(labels, ["4 KiB", "64 KiB", "1 MiB", "16 MiB", "256 MiB"]);
    }

    #[test]
    fn symlog_keeps_zero() {
        let axis = Axis::fit(Scale::SymLog, Unit::Count, [0.0, 65536.0], 8);
        assert_eq!(axis.label(axis.ticks[0]), "0");
        assert_eq!(axis.position(0.0), Some(0.0));
        assert!(axis.hi >= axis.position(65536.0).unwrap());
    }

    #[test]
    fn rate_ticks_read_well() {
        let axis = Axis::fit(Scale::Log, Unit::Rate, [0.8e9, 11e9], 10);
        let labels: Vec<String> = axis.ticks.iter().map(|p| axis.label(*p)).collect();
        assert_eq!(
            labels,
            [
                "500 MB/s", "1 GB/s", "2 GB/s", "5 GB/s", "10 GB/s", "20 GB/s"
            ]
        );
    }
}
