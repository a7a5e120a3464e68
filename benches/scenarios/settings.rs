//! How long criterion samples, and which sizes it gets: short by default so a
//! plain `cargo bench` ends in minutes, criterion's own defaults for the full
//! sweep. Command-line options (`--sample-size`, `--measurement-time`...)
//! still override both.

use criterion::Criterion;
use mmap_lab::benchplan;
use mmap_lab::scenario::Scenario;
use std::time::Duration;

/// Set to anything but `0` for the full sweep.
pub const FULL_SWEEP_VARIABLE: &str = "MMAP_LAB_BENCH_FULL";

/// Samples per benchmark in the default run (criterion's minimum).
const SAMPLE_SIZE: usize = 10;
/// Warm-up per benchmark in the default run.
const WARM_UP: Duration = Duration::from_millis(300);
/// Measurement time per benchmark in the default run.
const MEASUREMENT: Duration = Duration::from_millis(700);
/// Bootstrap resamples in the default run (criterion's default is 100 000).
const RESAMPLES: usize = 10_000;

/// The run's length: default or full sweep.
pub struct Settings {
    full: bool,
}

impl Settings {
    /// Reads [`FULL_SWEEP_VARIABLE`].
    pub fn from_env() -> Settings {
        let full = std::env::var_os(FULL_SWEEP_VARIABLE).is_some_and(|v| !v.is_empty() && v != "0");
        Settings { full }
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

    /// The file sizes to benchmark for `scenario`.
    pub fn sizes(&self, scenario: &Scenario) -> Vec<u64> {
        benchplan::bench_sizes(scenario, self.full)
    }
}
