//! `compare` judges: two runs of the same samples are "no change" in every
//! cell, a 20% slowdown planted in some cells is flagged in exactly those,
//! and `--fail-above` turns it into an exit code a CI can gate on.

use assert_cmd::Command;
use mmap_lab::report::compare::{Comparison, Verdict};
use mmap_lab::results::Results;
use predicates::str::contains;
use std::path::Path;

fn fixture() -> Results {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run-a.json");
    Results::load(&path).expect("fixture loads")
}

/// The fixture with each cell's samples replaced by `n` made-up ones
/// within ±`spread` of its median (seeded), as a run that sampled each cell
/// until its median was known within a few percent would have them.
fn sampled(n: usize, spread: f64, seed: u64) -> Results {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    let mut results = fixture();
    for cell in results.scenarios.iter_mut().flat_map(|s| &mut s.cells) {
        let centre = cell.median_ns as f64;
        cell.samples_ns = (0..n)
            .map(|_| (centre * (1.0 + spread * (rng.random::<f64>() * 2.0 - 1.0))) as u64)
            .collect();
        cell.median_ns = mmap_lab::stats::median(&cell.samples_ns).unwrap();
        cell.min_ns = *cell.samples_ns.iter().min().unwrap();
        cell.max_ns = *cell.samples_ns.iter().max().unwrap();
        // A file run writes: its throughput is bytes over the median.
        cell.throughput_bytes_per_sec = cell.bytes as f64 / cell.median_ns as f64 * 1e9;
    }
    results
}

/// `results` with every `nth` cell of every scenario `factor` times as slow
/// (each sample, the median, min and max); returns the planted cells as
/// (scenario, size, label).
fn plant(results: &mut Results, nth: usize, factor: f64) -> Vec<(String, u64, String)> {
    let mut planted = Vec::new();
    for scenario in &mut results.scenarios {
        for cell in scenario.cells.iter_mut().step_by(nth) {
            let scale = |t: u64| (t as f64 * factor).round() as u64;
            cell.samples_ns = cell.samples_ns.iter().map(|&t| scale(t)).collect();
            cell.median_ns = scale(cell.median_ns);
            cell.min_ns = scale(cell.min_ns);
            cell.max_ns = scale(cell.max_ns);
            cell.throughput_bytes_per_sec = cell.bytes as f64 / cell.median_ns as f64 * 1e9;
            planted.push((scenario.name.clone(), cell.size, cell.label.clone()));
        }
    }
    planted
}

fn flagged(comparison: &Comparison, verdict: Verdict) -> Vec<(String, u64, String)> {
    comparison
        .changes()
        .filter(|(_, c)| c.verdict() == verdict)
        .map(|(name, c)| (name.to_string(), c.a.size, c.a.label.clone()))
        .collect()
}

#[test]
fn the_same_samples_twice_are_no_change_everywhere() {
    let a = fixture();
    let comparison = Comparison::new(&a, "a", &a, "b");
    let summary = comparison.summary();
    assert_eq!(summary.regressed + summary.improved, 0, "{summary:?}");
    assert_eq!(
        summary.unchanged,
        a.scenarios.iter().map(|s| s.cells.len()).sum::<usize>()
    );
    assert!(comparison.regressions_above(0.0).is_empty());
    assert!(comparison.warnings().is_empty());
}

#[test]
fn a_planted_slowdown_is_flagged_in_exactly_those_cells() {
    let a = sampled(20, 0.05, 1);
    let mut b = sampled(20, 0.05, 2);
    let planted = plant(&mut b, 3, 1.2);
    assert!(planted.len() > 5);
    let comparison = Comparison::new(&a, "a", &b, "b");
    let mut regressed = flagged(&comparison, Verdict::Regressed);
    let mut expected = planted.clone();
    regressed.sort();
    expected.sort();
    assert_eq!(regressed, expected);
    assert!(flagged(&comparison, Verdict::Improved).is_empty());
    assert_eq!(comparison.regressions_above(10.0).len(), planted.len());
    assert!(comparison.regressions_above(30.0).is_empty());
    // A third of the cells is no shift of the whole run.
    assert!(comparison.run_shift().unwrap().abs() < 0.03);
    assert!(
        comparison.warnings().is_empty(),
        "{:?}",
        comparison.warnings()
    );
    // Seen the other way round, the same cells improved.
    let reverse = Comparison::new(&b, "b", &a, "a");
    let mut improved = flagged(&reverse, Verdict::Improved);
    improved.sort();
    assert_eq!(improved, expected);
}

#[test]
fn five_samples_spread_over_forty_percent_cannot_show_a_twenty_percent_change() {
    // The fixture's cells have 5 samples each, the slowest 1.44x the fastest.
    let a = fixture();
    let mut b = a.clone();
    plant(&mut b, 3, 1.2);
    let comparison = Comparison::new(&a, "a", &b, "b");
    assert!(flagged(&comparison, Verdict::Regressed).is_empty());
}

/// `results` with every cell of the `i`th group (one scenario and size, as
/// a run samples them together) `factors[i % factors.len()]` times as slow.
fn drift_groups(results: &mut Results, factors: &[f64]) {
    let mut group = 0;
    for scenario in &mut results.scenarios {
        let mut sizes: Vec<u64> = scenario.cells.iter().map(|c| c.size).collect();
        sizes.dedup();
        for size in sizes {
            let factor = factors[group % factors.len()];
            group += 1;
            for cell in scenario.cells.iter_mut().filter(|c| c.size == size) {
                let scale = |t: u64| (t as f64 * factor).round() as u64;
                cell.samples_ns = cell.samples_ns.iter().map(|&t| scale(t)).collect();
                cell.median_ns = scale(cell.median_ns);
                cell.min_ns = scale(cell.min_ns);
                cell.max_ns = scale(cell.max_ns);
                cell.throughput_bytes_per_sec = cell.bytes as f64 / cell.median_ns as f64 * 1e9;
            }
        }
    }
}

#[test]
fn groups_that_drift_apart_are_no_change_but_a_change_beyond_their_drift_is_flagged() {
    let a = sampled(20, 0.05, 1);
    let mut b = sampled(20, 0.05, 2);
    // Whole groups moved by -15% to +15%, as a shared VM moves between moments.
    drift_groups(&mut b, &[0.85, 0.95, 1.0, 1.05, 1.15]);
    let drifted = Comparison::new(&a, "a", &b, "b");
    let drift = drifted.drift().expect("enough groups for an estimate");
    assert!(drift.band > 0.15 && drift.band < 0.4, "{drift:?}");
    assert!(flagged(&drifted, Verdict::Regressed).is_empty());
    assert!(flagged(&drifted, Verdict::Improved).is_empty());
    let summary = drifted.summary();
    assert!(summary.within_drift > 0, "{summary:?}");
    assert!(summary.line().contains("only within the runs' drift"));
    assert!(
        drifted
            .warnings()
            .iter()
            .any(|w| w.starts_with("cells measured together")),
        "{:?}",
        drifted.warnings()
    );
    // A cell twice as slow on top of its group's drift is beyond the band.
    let planted = plant(&mut b, 7, 2.0);
    let comparison = Comparison::new(&a, "a", &b, "b");
    let mut regressed = flagged(&comparison, Verdict::Regressed);
    let mut expected = planted;
    regressed.sort();
    expected.sort();
    assert_eq!(regressed, expected);
}

#[test]
fn a_slowdown_of_every_cell_is_flagged_in_every_cell_not_taken_for_drift() {
    let a = sampled(20, 0.05, 1);
    let mut b = sampled(20, 0.05, 2);
    plant(&mut b, 1, 1.2);
    let comparison = Comparison::new(&a, "a", &b, "b");
    let drift = comparison.drift().expect("enough groups for an estimate");
    assert!(drift.band < 0.06, "{drift:?}");
    assert!((drift.common_shift - 0.2).abs() < 0.03, "{drift:?}");
    assert_eq!(comparison.summary().unchanged, 0);
}

#[test]
fn a_shift_of_the_whole_run_is_warned_about() {
    let a = sampled(20, 0.05, 1);
    let mut b = sampled(20, 0.05, 2);
    plant(&mut b, 1, 1.2);
    let comparison = Comparison::new(&a, "a", &b, "b");
    let shift = comparison.run_shift().unwrap();
    assert!((shift - 0.2).abs() < 0.05, "{shift}");
    let warnings = comparison.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("the typical cell's time changed by +"));
}

#[test]
fn different_machines_and_kernels_are_warned_about() {
    let a = fixture();
    let mut b = a.clone();
    b.machine.kernel = "7.0.0".to_string();
    b.machine.cpu = "Some Other CPU".to_string();
    let comparison = Comparison::new(&a, "a", &b, "b");
    let warnings = comparison.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("CPU model") && warnings[0].contains("Some Other CPU"));
    assert!(warnings[1].contains("kernel") && warnings[1].contains("7.0.0"));
    assert!(
        comparison
            .markdown()
            .contains("**Warning:** the runs differ in kernel")
    );
}

#[test]
fn markdown_leads_with_the_count_and_the_significant_changes() {
    let a = sampled(20, 0.05, 1);
    let mut b = a.clone();
    let planted = plant(&mut b, 4, 1.2);
    let md = Comparison::new(&a, "a", &b, "b").markdown();
    let head = md.split("\n## ").next().unwrap();
    assert!(
        head.contains(&format!("**{} regressed, 0 improved", planted.len())),
        "{head}"
    );
    let significant = md
        .split("## Significant changes")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    assert_eq!(significant.matches("| regressed |").count(), planted.len());
    assert!(!significant.contains("| no change |"));
}

#[test]
fn fail_above_exits_3_for_a_planted_regression_and_0_without() {
    let temp = tempfile::tempdir().unwrap();
    let a = sampled(20, 0.05, 1);
    let mut b = sampled(20, 0.05, 2);
    plant(&mut b, 3, 1.2);
    let (pa, pb) = (temp.path().join("a.json"), temp.path().join("b.json"));
    a.save(&pa).unwrap();
    b.save(&pb).unwrap();
    let out = temp.path().join("out");
    let compare = |second: &Path, gate: &str| {
        let mut cmd = Command::cargo_bin("mmap-lab").unwrap();
        cmd.arg("compare")
            .arg(&pa)
            .arg(second)
            .arg("--out")
            .arg(&out)
            .args(["--fail-above", gate]);
        cmd.assert()
    };
    compare(&pb, "10")
        .code(3)
        .stderr(contains("regressed by more than 10%"));
    compare(&pb, "30").success();
    compare(&pa, "10")
        .success()
        .stdout(contains("0 regressed, 0 improved"));
    assert!(out.join("compare.md").is_file() && out.join("compare.html").is_file());
    let mut cmd = Command::cargo_bin("mmap-lab").unwrap();
    cmd.arg("compare")
        .arg(&pa)
        .arg(&pb)
        .arg("--out")
        .arg(&out)
        .args(["--format", "md"])
        .assert()
        .success()
        .stdout(contains("## Significant changes"));
}

#[test]
fn a_run_on_a_busy_machine_is_warned_about() {
    let a = fixture();
    let mut b = a.clone();
    b.environment = Some(mmap_lab::environment::Environment {
        load_average_start: [4.0, 4.0, 4.0],
        load_average_end: [4.0, 4.0, 4.0],
        others_cpu_share: Some(0.7),
        steal_share: Some(0.0),
        governor: None,
        thp: "enabled madvise, defrag madvise".to_string(),
        hypervisor: false,
        swap_total_bytes: 0,
        swap_used_bytes: 0,
        heap_mmap_threshold_bytes: None,
        warnings: vec![
            "other processes took 70% of the CPU time while the run measured".to_string(),
        ],
    });
    let warnings = Comparison::new(&a, "a", &b, "b").warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .starts_with("b measured on a busy or unsteady machine (other processes took 70%")
    );
}
