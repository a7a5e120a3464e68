//! Which file sizes `cargo bench` measures for a scenario.
//!
//! A scenario names its bench sizes in `bench_sizes`; when it does not (the
//! list then equals `sizes`), the default run keeps at most
//! [`DEFAULT_BENCH_SIZES`] of them, spread across the range, so a plain
//! `cargo bench` stays short. The full sweep takes every size of both lists.

use crate::scenario::Scenario;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(sizes: &str, bench_sizes: Option<&str>) -> Scenario {
        let bench = bench_sizes.map_or(String::new(), |b| format!(r#""bench_sizes": [{b}],"#));
        let json = format!(
            r#"{{"name": "t", "operation": "sequential_read", "sizes": [{sizes}], {bench}
                "methods": [{{"method": "mmap"}}]}}"#
        );
        crate::scenario::from_json(&json, Path::new("t.json")).unwrap()
    }

    #[test]
    fn a_scenario_without_bench_sizes_gives_three_spread_sizes() {
        let s = scenario(r#""4 KiB", "64 KiB", "1 MiB", "16 MiB", "256 MiB""#, None);
        assert_eq!(bench_sizes(&s, false), vec![4 << 10, 1 << 20, 256 << 20]);
    }

    #[test]
    fn short_lists_are_kept_whole() {
        let s = scenario(r#""1 MiB", "4 KiB""#, None);
        assert_eq!(bench_sizes(&s, false), vec![4 << 10, 1 << 20]);
    }

    #[test]
    fn an_own_bench_list_is_used_as_written() {
        let s = scenario(
            r#""4 KiB", "1 MiB", "256 MiB""#,
            Some(r#""16 MiB", "4 KiB", "64 KiB", "1 MiB""#),
        );
        assert_eq!(
            bench_sizes(&s, false),
            vec![4 << 10, 64 << 10, 1 << 20, 16 << 20]
        );
    }

    #[test]
    fn the_full_sweep_takes_both_lists() {
        let s = scenario(r#""4 KiB", "256 MiB""#, Some(r#""4 KiB", "1 MiB""#));
        assert_eq!(bench_sizes(&s, true), vec![4 << 10, 1 << 20, 256 << 20]);
    }
}
