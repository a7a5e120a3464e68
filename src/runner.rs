//! Verify, then measure: runs one scenario's cells and returns their results.
//!
//! For each size the input files are generated once. Every method is first
//! run and checked against the in-memory reference (a mismatch stops the run,
//! naming scenario, size and method); then the timed samples go round-robin
//! over the methods, so slow drift in the machine touches all of them alike.
//! Set-up that must not be timed (restoring an overwritten range, removing a
//! file to be created, evicting the cache) happens before the probe starts.

use crate::fixture::Fixture;
use crate::method::{self, IoMethod};
use crate::probe::{Probe, median_counters};
use crate::results::{Cell, Counters, ScenarioResult};
use crate::scenario::{Cache, MethodSpec, Scenario};
use crate::stats::median;
use crate::units::ExactSize;
use crate::workdir::WorkDir;
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

/// Largest size `--quick` keeps, and the most samples it takes.
pub const QUICK_MAX_SIZE: u64 = 16 << 20;
/// Samples per cell under `--quick`.
pub const QUICK_SAMPLES: u32 = 3;

/// Why a scenario could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A method's output differed from the reference.
    #[error(
        "verification failed in scenario {scenario:?}, size {size}, method {method:?}: {detail}"
    )]
    Verification {
        /// Scenario name.
        scenario: String,
        /// File size, printed.
        size: String,
        /// Method label.
        method: String,
        /// What differed.
        detail: String,
    },
    /// An I/O error, with what was being done.
    #[error("scenario {scenario:?}, size {size}, {doing}: {source}")]
    Io {
        /// Scenario name.
        scenario: String,
        /// File size, printed.
        size: String,
        /// What was being done (a method label or a set-up step).
        doing: String,
        /// The underlying error.
        source: io::Error,
    },
    /// Ctrl-C (or SIGTERM) arrived.
    #[error("interrupted")]
    Interrupted,
}

/// Receives progress: one step per verification and per timed sample.
pub trait Progress {
    /// A scenario starts, with its number of steps.
    fn scenario_started(&self, name: &str, steps: u64);
    /// One step finished; `what` says which cell.
    fn step(&self, what: &str);
}

/// A progress sink that shows nothing.
pub struct NoProgress;

impl Progress for NoProgress {
    fn scenario_started(&self, _: &str, _: u64) {}
    fn step(&self, _: &str) {}
}

/// The sizes and sample count a scenario runs with, after `--quick`.
pub fn effective_plan(scenario: &Scenario, quick: bool) -> (Vec<u64>, u32) {
    if !quick {
        return (scenario.sizes.clone(), scenario.samples);
    }
    let mut sizes: Vec<u64> = scenario
        .sizes
        .iter()
        .copied()
        .filter(|&s| s <= QUICK_MAX_SIZE)
        .collect();
    if sizes.is_empty() {
        sizes.push(
            *scenario
                .sizes
                .iter()
                .min()
                .expect("validated: sizes is not empty"),
        );
    }
    (sizes, scenario.samples.min(QUICK_SAMPLES))
}

/// Disk bytes a scenario needs at its largest size.
pub fn space_needed(scenario: &Scenario, sizes: &[u64]) -> u64 {
    let largest = sizes.iter().copied().max().unwrap_or(0);
    let files = scenario.operation.input_files().max(1);
    largest * files
}

/// Runs scenarios on one thread with one probe, in one work directory.
pub struct Runner<'a> {
    probe: Probe,
    work: &'a WorkDir,
    interrupted: &'a AtomicBool,
}

impl<'a> Runner<'a> {
    /// A runner measuring on the calling thread.
    pub fn new(probe: Probe, work: &'a WorkDir, interrupted: &'a AtomicBool) -> Runner<'a> {
        Runner {
            probe,
            work,
            interrupted,
        }
    }

    /// The probe, for recording how syscalls were counted.
    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    /// Verifies and measures every cell of `scenario`.
    pub fn run(
        &mut self,
        scenario: &Scenario,
        quick: bool,
        progress: &dyn Progress,
    ) -> Result<ScenarioResult, RunError> {
        let (sizes, samples) = effective_plan(scenario, quick);
        let methods: Vec<(MethodSpec, Box<dyn IoMethod>)> = scenario
            .methods
            .iter()
            .map(|spec| (spec.clone(), method::for_kind(&spec.kind)))
            .collect();
        progress.scenario_started(
            &scenario.name,
            sizes.len() as u64 * methods.len() as u64 * (samples as u64 + 1),
        );
        let mut cells = Vec::new();
        for &size in &sizes {
            let size_text = ExactSize(size).to_string();
            let io_error = |doing: &str, source: io::Error| RunError::Io {
                scenario: scenario.name.clone(),
                size: size_text.clone(),
                doing: doing.to_string(),
                source,
            };
            self.work
                .ensure_space(
                    space_needed(scenario, &[size]),
                    &format!("scenario {}", scenario.name),
                )
                .map_err(|e| io_error("checking free space", e))?;
            let fixture = Fixture::generate(scenario, size, self.work.path())
                .map_err(|e| io_error("generating files", e))?;
            for (spec, method) in &methods {
                self.check_interrupt()?;
                fixture
                    .prepare(scenario, Cache::Warm)
                    .map_err(|e| io_error(&spec.label, e))?;
                let outcome = fixture.execute(&scenario.operation, method.as_ref());
                let outcome = outcome.map_err(|e| io_error(&spec.label, e))?;
                fixture
                    .verify(&scenario.operation, outcome)
                    .map_err(|detail| RunError::Verification {
                        scenario: scenario.name.clone(),
                        size: size_text.clone(),
                        method: spec.label.clone(),
                        detail,
                    })?;
                progress.step(&format!(
                    "{} {size_text} {} verified",
                    scenario.name, spec.label
                ));
            }
            let mut timings = vec![Vec::new(); methods.len()];
            let mut counters = vec![Vec::new(); methods.len()];
            let mut residency = vec![Vec::new(); methods.len()];
            for _ in 0..samples {
                for (index, (spec, method)) in methods.iter().enumerate() {
                    self.check_interrupt()?;
                    let resident = fixture
                        .prepare(scenario, scenario.cache)
                        .map_err(|e| io_error(&format!("preparing {}", spec.label), e))?;
                    let (outcome, elapsed, sample_counters) = self
                        .probe
                        .measure(|| fixture.execute(&scenario.operation, method.as_ref()))
                        .map_err(|e| io_error("reading counters", e))?;
                    outcome.map_err(|e| io_error(&spec.label, e))?;
                    timings[index].push(elapsed.as_nanos() as u64);
                    counters[index].push(sample_counters);
                    if let Some(fraction) = resident {
                        residency[index].push(fraction);
                    }
                    progress.step(&format!("{} {size_text} {}", scenario.name, spec.label));
                }
            }
            // The timed samples must have left the files as verified.
            fixture
                .verify_files_after_samples(&scenario.operation)
                .map_err(|detail| RunError::Verification {
                    scenario: scenario.name.clone(),
                    size: size_text.clone(),
                    method: "(after timed samples)".to_string(),
                    detail,
                })?;
            for (index, (spec, _)) in methods.iter().enumerate() {
                cells.push(make_cell(
                    spec,
                    size,
                    scenario.operation.payload_bytes(size),
                    std::mem::take(&mut timings[index]),
                    median_counters(&counters[index]),
                    median(&residency[index]),
                ));
            }
            fixture
                .remove()
                .map_err(|e| io_error("removing files", e))?;
        }
        Ok(ScenarioResult {
            name: scenario.name.clone(),
            about: scenario.about.clone(),
            operation: scenario.operation.name().to_string(),
            cache: scenario.cache.name().to_string(),
            operation_params: scenario.operation.params_json(),
            file: scenario.file.display().to_string(),
            cells,
        })
    }

    fn check_interrupt(&self) -> Result<(), RunError> {
        if self.interrupted.load(Ordering::SeqCst) {
            Err(RunError::Interrupted)
        } else {
            Ok(())
        }
    }
}

fn make_cell(
    spec: &MethodSpec,
    size: u64,
    bytes: u64,
    samples_ns: Vec<u64>,
    counters: Counters,
    resident_before: Option<f64>,
) -> Cell {
    let median_ns = median(&samples_ns).unwrap_or(0).max(1);
    Cell {
        method: spec.kind.name().to_string(),
        params: spec.kind.params_json(),
        label: spec.label.clone(),
        size,
        bytes,
        median_ns,
        min_ns: samples_ns.iter().copied().min().unwrap_or(0),
        max_ns: samples_ns.iter().copied().max().unwrap_or(0),
        throughput_bytes_per_sec: bytes as f64 / median_ns as f64 * 1e9,
        samples_ns,
        verified: true,
        counters,
        resident_before,
    }
}
