//! How far a machine drifted between two runs, read from the runs
//! themselves.
//!
//! One run samples the methods of one scenario and file size together, in
//! rounds, within a second or two; the next group comes later. On a shared
//! VM the machine's own speed moves between such moments (another guest on
//! the host, the clock): in two runs of the same build on this project's
//! 2-core VM, whole groups moved together by -33% to +164% while the cells
//! of one group kept their ratios to each other within about 4%. No
//! sample of either run shows that drift, so the judgement of each cell
//! alone calls it a change.
//!
//! A change in the code usually moves a method or an operation everywhere
//! it runs; the machine moves a moment. So the spread of the groups'
//! shifts (each the median change of the group's cells) around their
//! common shift measures the drift: its robust standard deviation
//! (1.4826 × the median absolute deviation), and the band that holds 99%
//! of a normal drift of that spread, [`BAND_SIGMAS`] of them. A uniform
//! slowdown of every cell moves every group alike and leaves the band at
//! zero; a slowdown planted in a few groups moves only those and barely
//! moves the median deviation. The groups' shifts also carry their cells'
//! own sampling noise, so the band errs wide: with 20 samples spread ±5%
//! a cell, identical runs give a band of 3-5%.

use crate::stats::median;

/// How many robust standard deviations of the groups' shifts the band
/// spans either side: 2.576 holds 99% of a normal distribution.
pub const BAND_SIGMAS: f64 = 2.576;

/// Fewer groups than this give no estimate: a spread needs several.
pub const MIN_GROUPS: usize = 4;

/// Cells a group needs for its shift to stand for a moment, not a cell.
pub const MIN_GROUP_CELLS: usize = 2;

/// The drift between two runs, from the shifts of their groups of cells.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drift {
    /// Groups the estimate rests on.
    pub groups: usize,
    /// The shift most groups share (median, as a fraction of time: +0.05 is
    /// 5% slower).
    pub common_shift: f64,
    /// Robust standard deviation of the groups' shifts, in natural log
    /// units (0.1 is about 10%).
    pub spread: f64,
    /// A change of time smaller than this fraction, either way, is within
    /// the drift ([`BAND_SIGMAS`] × `spread`, as a fraction).
    pub band: f64,
}

/// Estimates the drift from `groups`, each a group's per-cell ratios of
/// median times (second run ÷ first); `None` when fewer than
/// [`MIN_GROUPS`] groups have [`MIN_GROUP_CELLS`] cells or more.
pub fn estimate(groups: &[Vec<f64>]) -> Option<Drift> {
    let shifts: Vec<f64> = groups
        .iter()
        .filter(|g| g.len() >= MIN_GROUP_CELLS)
        .filter_map(|g| {
            let logs: Vec<f64> = g.iter().filter(|r| **r > 0.0).map(|r| r.ln()).collect();
            median(&logs)
        })
        .collect();
    if shifts.len() < MIN_GROUPS {
        return None;
    }
    let centre = median(&shifts)?;
    let deviations: Vec<f64> = shifts.iter().map(|s| (s - centre).abs()).collect();
    let spread = 1.4826 * median(&deviations)?;
    Some(Drift {
        groups: shifts.len(),
        common_shift: centre.exp() - 1.0,
        spread,
        band: (BAND_SIGMAS * spread).exp() - 1.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(shift: f64, cells: usize) -> Vec<f64> {
        (0..cells)
            .map(|i| shift * (1.0 + 0.001 * i as f64))
            .collect()
    }

    #[test]
    fn identical_runs_have_no_drift() {
        let groups: Vec<Vec<f64>> = (0..10).map(|_| group(1.0, 5)).collect();
        let drift = estimate(&groups).unwrap();
        assert!(drift.band < 0.001, "{drift:?}");
        assert_eq!(drift.groups, 10);
    }

    #[test]
    fn a_uniform_slowdown_is_a_common_shift_not_drift() {
        let groups: Vec<Vec<f64>> = (0..10).map(|_| group(1.2, 5)).collect();
        let drift = estimate(&groups).unwrap();
        assert!((drift.common_shift - 0.2).abs() < 0.01, "{drift:?}");
        assert!(drift.band < 0.01, "{drift:?}");
    }

    #[test]
    fn a_few_planted_groups_do_not_widen_the_band() {
        let mut groups: Vec<Vec<f64>> = (0..10).map(|_| group(1.0, 5)).collect();
        groups[2] = group(1.2, 5);
        groups[7] = group(1.2, 5);
        assert!(estimate(&groups).unwrap().band < 0.01);
    }

    #[test]
    fn groups_moving_apart_widen_the_band() {
        let shifts = [0.8, 0.9, 1.0, 1.1, 1.25, 0.95, 1.05, 1.3];
        let groups: Vec<Vec<f64>> = shifts.iter().map(|s| group(*s, 4)).collect();
        let drift = estimate(&groups).unwrap();
        assert!(drift.band > 0.2, "{drift:?}");
    }

    #[test]
    fn too_few_groups_or_single_cells_give_no_estimate() {
        let groups: Vec<Vec<f64>> = (0..3).map(|_| group(1.0, 5)).collect();
        assert_eq!(estimate(&groups), None);
        let singles: Vec<Vec<f64>> = (0..10).map(|_| group(1.0, 1)).collect();
        assert_eq!(estimate(&singles), None);
    }
}
