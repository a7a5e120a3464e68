//! Which file sizes `cargo bench` measures for a scenario (its tests run
//! from tests/bench_plan.rs).
//!
//! A scenario names its bench sizes in `bench_sizes`; when it does not (the
//! list then equals `sizes`), the default run keeps at most
//! [`DEFAULT_BENCH_SIZES`] of them, spread across the range, so a plain
//! `cargo bench` stays short. The full sweep takes every size of both lists.

use mmap_lab::scenario::Scenario;

/// Most sizes a default `cargo bench` takes from a scenario without `bench_sizes`.
pub const DEFAULT_BENCH_SIZES: usize = 3;

/// The sizes to benchmark, smallest first, without repeats.
///
/// With `full`, every size in `sizes` and `bench_sizes`. Otherwise
/// `bench_sizes` when the scenario gives its own list; when it does not, the
/// smallest size, the one nearest the geometric middle, and the largest.
pub fn bench_sizes(scenario: &Scenario, full: bool) -> Vec<u64> {
    let own_list = scenario.bench_sizes != scenario.sizes;
    let mut sizes = if full {
        [&scenario.sizes[..], &scenario.bench_sizes[..]].concat()
    } else {
        scenario.bench_sizes.clone()
    };
    sizes.sort_unstable();
    sizes.dedup();
    if full || own_list || sizes.len() <= DEFAULT_BENCH_SIZES {
        return sizes;
    }
    let (smallest, largest) = (sizes[0], sizes[sizes.len() - 1]);
    let middle_log = ((smallest as f64).ln() + (largest as f64).ln()) / 2.0;
    let middle = sizes[1..sizes.len() - 1]
        .iter()
        .copied()
        .min_by(|a, b| {
            let distance = |s: u64| ((s as f64).ln() - middle_log).abs();
            distance(*a).total_cmp(&distance(*b))
        })
        .expect("more than three sizes leave at least one in the middle");
    vec![smallest, middle, largest]
}
