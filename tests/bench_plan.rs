//! The bench's size plan (benches/scenarios/plan.rs), tested here because a
//! `harness = false` bench runs no unit tests of its own.

#[path = "../benches/scenarios/plan.rs"]
mod plan;

use mmap_lab::scenario::Scenario;
use plan::bench_sizes;
use std::path::Path;

fn scenario(sizes: &str, bench_sizes: Option<&str>) -> Scenario {
    let bench = bench_sizes.map_or(String::new(), |b| format!(r#""bench_sizes": [{b}],"#));
    let json = format!(
        r#"{{"name": "t", "operation": "sequential_read", "sizes": [{sizes}], {bench}
            "methods": [{{"method": "mmap"}}]}}"#
    );
    mmap_lab::scenario::from_json(&json, Path::new("t.json")).unwrap()
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
