//! How long criterion samples, and which sizes it gets: short by default so a
//! plain `cargo bench` ends in minutes, criterion's own defaults for the full
//! sweep. Command-line options (`--sample-size`, `--measurement-time`...)
//! still override both. In criterion's test mode (`cargo test --benches`,
//! which runs each benchmark once, unoptimised) only sizes whose input files
//! total at most [`TEST_MODE_MAX_INPUT`] are run, so the smoke test stays quick.

use crate::plan;
use criterion::Criterion;
use mmap_lab::runner::{QUICK_MAX_SIZE, space_needed};
use mmap_lab::scenario::Scenario;
use std::time::Duration;

/// Set to anything but `0` for the full sweep.
pub const FULL_SWEEP_VARIABLE: &str = "MMAP_LAB_BENCH_FULL";

/// Samples per benchmark in the default run (criterion's minimum).
const SAMPLE_SIZE: usize = 10;
/// Warm-up per benchmark in the default run.
const WARM_UP: Duration = Duration::from_millis(100);
/// Measurement time per benchmark in the default run.
const MEASUREMENT: Duration = Duration::from_millis(500);
/// Bootstrap resamples in the default run (criterion's default is 100 000).
const RESAMPLES: usize = 10_000;

/// Most input bytes per size in test mode: the same bound as `mmap-lab run --quick`.
pub const TEST_MODE_MAX_INPUT: u64 = QUICK_MAX_SIZE;

/// The run's length: default or full sweep, measured or once as a test.
pub struct Settings {
    full: bool,
    test_mode: bool,
}

impl Settings {
    /// Reads [`FULL_SWEEP_VARIABLE`] and the arguments. Test mode follows
    /// criterion's own rule: `cargo bench` passes `--bench`, `cargo test
    /// --benches` does not, and `--test` asks for it explicitly.
    pub fn from_env() -> Settings {
        let full = std::env::var_os(FULL_SWEEP_VARIABLE).is_some_and(|v| !v.is_empty() && v != "0");
        let args: Vec<String> = std::env::args().skip(1).collect();
        let flag = |name: &str| args.iter().any(|a| a == name);
        let test_mode = flag("--test") || !flag("--bench");
        Settings { full, test_mode }
    }

    /// Criterion with this run's sampling defaults, before the command line is read.
    pub fn configure(&self, criterion: Criterion) -> Criterion {
        if self.full {
            return criterion;
        }
        criterion
            .sample_size(SAMPLE_SIZE)
            .warm_up_time(WARM_UP)
            .measurement_time(MEASUREMENT)
            .nresamples(RESAMPLES)
    }

    /// The file sizes to benchmark for `scenario`; in test mode the small
    /// ones only, and always at least the smallest.
    pub fn sizes(&self, scenario: &Scenario) -> Vec<u64> {
        let mut sizes = plan::bench_sizes(scenario, self.full);
        if self.test_mode {
            let smallest = sizes[0];
            sizes.retain(|&s| s == smallest || space_needed(scenario, &[s]) <= TEST_MODE_MAX_INPUT);
        }
        sizes
    }
}
